package standin

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func sidFrom(t *testing.T, r resp) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "_sid" {
			return c.Value
		}
	}
	t.Fatalf("no _sid cookie in %v", r.header)
	return ""
}

func TestLoginSessionFlow(t *testing.T) {
	h := start(t, Config{})
	wantEnvelope(t, h.do("POST", "/auth/login", `{"email":"admin@railzway.com","password":"wrong"}`, nil), 401, "unauthorized", "", "")
	wantEnvelope(t, h.do("POST", "/auth/login", `{"email":"nobody@railzway.com","password":"admin"}`, nil), 401, "unauthorized", "", "")
	wantEnvelope(t, h.do("POST", "/auth/login", `{"email":"not an email","password":"admin"}`, nil), 401, "unauthorized", "", "")
	wantEnvelope(t, h.do("POST", "/auth/login", `{"email":"admin@railzway.com","password":"  "}`, nil), 401, "unauthorized", "", "")
	wantEnvelope(t, h.do("POST", "/auth/login", `{"email":`, nil), 400, "validation_error", "request", "invalid_request")

	r := h.do("POST", "/auth/login", `{"email":" Admin@Railzway.com ","password":"admin"}`, nil)
	wantStatus(t, r, 200)
	sc := r.header.Get("Set-Cookie")
	if !regexp.MustCompile(`^_sid=[A-Za-z0-9_-]{43}; Path=/; Max-Age=60479\d; HttpOnly; SameSite=Lax$`).MatchString(sc) {
		t.Fatalf("Set-Cookie %q", sc)
	}
	md := r.json(t)["metadata"].(map[string]any)
	if md["email"] != "admin@railzway.com" || md["must_change_password"] != true || md["password_state"] != "default" ||
		md["auth_provider"] != "local" || md["user_id"] != h.fx.OwnerUserID {
		t.Fatalf("login metadata %v", md)
	}
	if orgs := md["org_ids"].([]any); len(orgs) != 1 || orgs[0] != h.fx.OrgID {
		t.Fatalf("org_ids %v", md["org_ids"])
	}
	sid := sidFrom(t, r)
	cookie := hdr{"Cookie": "_sid=" + sid}

	// /auth/me: 401 JSON without a cookie, no active org right after login.
	wantEnvelope(t, h.do("GET", "/auth/me", "", nil), 401, "unauthorized", "", "")
	wantEnvelope(t, h.do("GET", "/auth/me", "", hdr{"Cookie": "_sid=bogus"}), 401, "unauthorized", "", "")
	me := h.do("GET", "/auth/me", "", cookie).json(t)["metadata"].(map[string]any)
	if _, ok := me["active_org_id"]; ok {
		t.Fatalf("active_org_id right after login: %v", me)
	}
	// /admin without X-Org-Id and no active org: 428.
	wantEnvelope(t, h.do("GET", "/admin/customers", "", cookie), 428, "precondition_required", "", "")

	// Select the org.
	wantEnvelope(t, h.do("POST", "/auth/user/using/abc", "", cookie), 400, "validation_error", "org_id", "invalid_org_id")
	wantEnvelope(t, h.do("POST", "/auth/user/using/"+h.fx.OtherOrgID, "", cookie), 403, "forbidden", "", "")
	if r := h.do("POST", "/auth/user/using/"+h.fx.OrgID, "", nil); r.status != 302 || r.header.Get("Location") != "/login" {
		t.Fatalf("using without a cookie: %d %v", r.status, r.header)
	}
	u := h.do("POST", "/auth/user/using/"+h.fx.OrgID, "", cookie)
	wantStatus(t, u, 200)
	if u.json(t)["metadata"].(map[string]any)["active_org_id"] != h.fx.OrgID {
		t.Fatalf("using: %s", u.body)
	}
	if me := h.do("GET", "/auth/me", "", cookie).json(t)["metadata"].(map[string]any); me["active_org_id"] != h.fx.OrgID {
		t.Fatalf("me after using: %v", me)
	}
	wantStatus(t, h.do("GET", "/admin/customers", "", cookie), 200)
	orgs := h.do("GET", "/auth/user/orgs", "", cookie)
	if !strings.Contains(string(orgs.body), `"role":"OWNER"`) {
		t.Fatalf("orgs %s", orgs.body)
	}
	// A logged-in visit to /login goes to /orgs; a stale one gets the text 404 (no SPA built).
	if r := h.do("GET", "/login", "", cookie); r.status != 302 || r.header.Get("Location") != "/orgs" {
		t.Fatalf("/login logged in: %d", r.status)
	}

	// Logout: 204, cookie cleared, session dead.
	wantEnvelope(t, h.do("POST", "/auth/logout", "", nil), 401, "unauthorized", "", "")
	lo := h.do("POST", "/auth/logout", "", cookie)
	wantStatus(t, lo, 204)
	if sc := lo.header.Get("Set-Cookie"); sc != "_sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" {
		t.Fatalf("logout Set-Cookie %q", sc)
	}
	wantEnvelope(t, h.do("GET", "/auth/me", "", cookie), 401, "unauthorized", "", "")
	if r := h.do("GET", "/admin/customers", "", cookie); r.status != 302 {
		t.Fatalf("revoked session on /admin: %d", r.status)
	}
	if r := h.do("GET", "/login", "", cookie); r.status != 404 {
		t.Fatalf("/login stale: %d", r.status)
	}
}
