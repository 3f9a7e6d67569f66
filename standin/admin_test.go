package standin

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
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

func TestAdminSessionAndOrgContext(t *testing.T) {
	h := start(t, Config{})
	for _, tc := range []struct {
		name   string
		header hdr
	}{
		{"no cookie", hdr{"X-Org-Id": h.fx.OrgID}},
		{"blank cookie", hdr{"Cookie": "_sid=", "X-Org-Id": h.fx.OrgID}},
		{"unknown cookie", hdr{"Cookie": "_sid=" + strings.Repeat("A", 43), "X-Org-Id": h.fx.OrgID}},
	} {
		for _, path := range []string{"/admin/billing/customers", "/admin/billing/cycles", "/admin/customers"} {
			r := h.do("GET", path, "", tc.header)
			if r.status != 302 || r.header.Get("Location") != "/login" {
				t.Fatalf("%s %s: %d %v, want 302 to /login", tc.name, path, r.status, r.header)
			}
		}
	}
	// An expired session is a redirect too.
	h.s.st.sessions.mu.RLock()
	for _, sess := range h.s.st.sessions.byHash {
		sess.mu.Lock()
		sess.ExpiresAt = time.Now().Add(-time.Second)
		sess.mu.Unlock()
	}
	h.s.st.sessions.mu.RUnlock()
	if r := h.do("GET", "/admin/customers", "", h.admin()); r.status != 302 {
		t.Fatalf("expired session: %d", r.status)
	}

	h = start(t, Config{})
	sid := hdr{"Cookie": "_sid=" + h.fx.AdminSession}
	wantEnvelope(t, h.do("GET", "/admin/customers", "", sid), 428, "precondition_required", "", "")
	wantEnvelope(t, h.do("GET", "/admin/customers", "", hdr{"Cookie": sid["Cookie"], "X-Org-Id": "12x"}), 400, "validation_error", "org_id", "invalid_org_id")
	wantEnvelope(t, h.do("GET", "/admin/customers", "", hdr{"Cookie": sid["Cookie"], "X-Org-Id": h.fx.OtherOrgID}), 403, "forbidden", "", "")
	wantEnvelope(t, h.do("GET", "/admin/customers", "", hdr{"Cookie": sid["Cookie"], "X-Org-Id": "42"}), 403, "forbidden", "", "")
	wantStatus(t, h.do("GET", "/admin/customers", "", h.admin()), 200)
	// The header's org sticks to the session.
	wantStatus(t, h.do("GET", "/admin/customers", "", sid), 200)

	// session-skip: no cookie is taken as the fixture owner.
	h.s.SetFaults(FaultSessionSkip)
	for _, hd := range []hdr{nil, {"X-Org-Id": h.fx.OrgID}, {"Cookie": "_sid=nope"}} {
		r := h.do("GET", "/admin/billing/customers", "", hd)
		wantStatus(t, r, 200)
	}
	h.s.SetFaults()
	if r := h.do("GET", "/admin/billing/customers", "", nil); r.status != 302 {
		t.Fatalf("healthy again: %d", r.status)
	}
}

// addMember creates a user with a role in org Main and a live session for it.
func addMember(t *testing.T, h *harness, role string) hdr {
	t.Helper()
	st := h.s.st
	st.mu.Lock()
	u := &user{ID: h.s.gen.Next(), Email: strings.ToLower(role) + "@example.com", PasswordHash: "x"}
	st.users[u.ID] = u
	st.usersByEmail[u.Email] = u
	st.members[h.fx.orgID][u.ID] = role
	st.mu.Unlock()
	token, _, err := h.s.createSession(u.ID, h.s.rand)
	if err != nil {
		t.Fatal(err)
	}
	return hdr{"Cookie": "_sid=" + token, "X-Org-Id": h.fx.OrgID, "Content-Type": "application/json"}
}

func TestRoleGates(t *testing.T) {
	h := start(t, Config{Customers: 3})
	roles := map[string]hdr{
		"OWNER":     h.admin(),
		"ADMIN":     addMember(t, h, "ADMIN"),
		"FINOPS":    addMember(t, h, "org_finops"), // normalised: uppercase, ORG_ prefix stripped
		"DEVELOPER": addMember(t, h, "DEVELOPER"),
		"MEMBER":    addMember(t, h, "MEMBER"),
	}
	routes := []struct {
		method, path, body string
		allowed            []string
	}{
		{"GET", "/admin/billing/customers", "", []string{"OWNER", "ADMIN", "FINOPS"}},
		{"GET", "/admin/billing/cycles", "", []string{"OWNER", "ADMIN", "FINOPS"}},
		{"GET", "/admin/customers", "", []string{"OWNER", "ADMIN", "FINOPS"}},
		{"POST", "/admin/customers", `{"name":"n","email":"n@example.com"}`, []string{"OWNER", "ADMIN"}},
		{"POST", "/admin/api-keys", `{"name":"k","scopes":[]}`, []string{"OWNER", "ADMIN"}},
		{"GET", "/admin/api-keys", "", []string{"OWNER", "ADMIN"}},
		{"POST", "/admin/payment-providers", `{"provider":"manual","config":{"note":"x"}}`, []string{"OWNER", "ADMIN"}},
		{"GET", "/admin/payment-providers", "", []string{"OWNER", "ADMIN"}},
		{"POST", "/admin/products", `{"code":"p-ROLE","name":"P"}`, []string{"OWNER", "ADMIN"}},
	}
	for _, rt := range routes {
		for role, hd := range roles {
			body := strings.ReplaceAll(rt.body, "ROLE", role)
			r := h.do(rt.method, rt.path, body, hd)
			allowed := false
			for _, a := range rt.allowed {
				allowed = allowed || a == role
			}
			if allowed {
				wantStatus(t, r, 200)
			} else {
				wantEnvelope(t, r, 403, "forbidden", "", "")
			}
		}
	}
}

func TestBillingDashboard(t *testing.T) {
	h := start(t, Config{Customers: 30})
	r := h.do("GET", "/admin/billing/customers", "", h.admin())
	wantStatus(t, r, 200)
	customers := r.json(t)["customers"].([]any)
	if len(customers) != 10 {
		t.Fatalf("%d rows, want the top 10", len(customers))
	}
	var names []string
	for _, c := range customers {
		m := c.(map[string]any)
		names = append(names, m["name"].(string))
		switch m["name"] {
		case "k6":
			if m["balance"] != float64(0) || m["payment_status"] != "settled" || m["customer_id"] != h.fx.CustomerID {
				t.Fatalf("k6 row %v", m)
			}
		case "page-00001":
			if m["balance"] != float64(5000) || m["payment_status"] != "due" || m["currency"] != "USD" {
				t.Fatalf("due row %v", m)
			}
		case "page-00002":
			if m["payment_status"] != "credit" {
				t.Fatalf("credit row %v", m)
			}
		}
		if _, ok := m["last_invoice_id"]; ok {
			t.Fatalf("last_invoice_id should be omitted: %v", m)
		}
	}
	if names[0] != "k6" || names[1] != "page-00001" || names[9] != "page-00009" {
		t.Fatalf("not ordered by name: %v", names)
	}

	c := h.do("GET", "/admin/billing/cycles", "", h.admin())
	wantStatus(t, c, 200)
	cycles := c.json(t)["cycles"].([]any)
	now := time.Now().UTC()
	thisMonth := now.Format("2006-01")
	lastMonth := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	if len(cycles) != 2 {
		t.Fatalf("cycles %s", c.body)
	}
	c0, c1 := cycles[0].(map[string]any), cycles[1].(map[string]any)
	if c0["period"] != thisMonth || c0["status"] != "No Activity" || c0["cycle_id"] != "" ||
		c1["period"] != lastMonth || c1["status"] != "finalized" || c1["total_revenue"] != float64(1250000) || c1["invoice_count"] != float64(42) {
		t.Fatalf("cycles %s", c.body)
	}
	// The other org's owner sees an empty dashboard.
	st := h.s.st
	var otherOwner valoraid.ID
	for id := range st.members[mustID(t, h.fx.OtherOrgID)] {
		otherOwner = id
	}
	tok, _, _ := h.s.createSession(otherOwner, h.s.rand)
	oh := hdr{"Cookie": "_sid=" + tok, "X-Org-Id": h.fx.OtherOrgID}
	if r := h.do("GET", "/admin/billing/cycles", "", oh); string(r.body) != `{"cycles":[]}` {
		t.Fatalf("other org cycles %s", r.body)
	}
	if r := h.do("GET", "/admin/billing/customers", "", oh); len(r.json(t)["customers"].([]any)) != 1 {
		t.Fatalf("other org customers %s", r.body)
	}
}

// TestDashboardShapeFault: dashboard-shape says payment_status "paid" on every customer row and gives each cycle's
// period as YYYY-MM-DD (its first day); every other field, the balances included, is what a healthy server says.
func TestDashboardShapeFault(t *testing.T) {
	h := start(t, Config{Customers: 30})
	rows := func(path, key string) []map[string]any {
		t.Helper()
		r := h.do("GET", path, "", h.admin())
		wantStatus(t, r, 200)
		var out []map[string]any
		for _, row := range r.json(t)[key].([]any) {
			out = append(out, row.(map[string]any))
		}
		return out
	}
	healthyCustomers, healthyCycles := rows("/admin/billing/customers", "customers"), rows("/admin/billing/cycles", "cycles")
	h.s.SetFaults(FaultDashboardShape)
	customers, cycles := rows("/admin/billing/customers", "customers"), rows("/admin/billing/cycles", "cycles")
	if len(customers) != len(healthyCustomers) || len(cycles) != len(healthyCycles) || len(cycles) == 0 {
		t.Fatalf("%d customers, %d cycles; healthy %d, %d", len(customers), len(cycles), len(healthyCustomers), len(healthyCycles))
	}
	statuses := map[any]bool{}
	for i, row := range customers {
		statuses[healthyCustomers[i]["payment_status"]] = true
		if row["payment_status"] != "paid" {
			t.Fatalf("row %v: payment_status %v, want paid", row["name"], row["payment_status"])
		}
		delete(row, "payment_status")
		delete(healthyCustomers[i], "payment_status")
		if !reflect.DeepEqual(row, healthyCustomers[i]) {
			t.Fatalf("dashboard-shape changed more than payment_status:\n%v\n%v", row, healthyCustomers[i])
		}
	}
	if len(statuses) != 3 {
		t.Fatalf("healthy statuses %v: the fixture shows due, credit and settled", statuses)
	}
	for i, row := range cycles {
		if want := healthyCycles[i]["period"].(string) + "-01"; row["period"] != want {
			t.Fatalf("period %v, want %s", row["period"], want)
		}
		delete(row, "period")
		delete(healthyCycles[i], "period")
		if !reflect.DeepEqual(row, healthyCycles[i]) {
			t.Fatalf("dashboard-shape changed more than period:\n%v\n%v", row, healthyCycles[i])
		}
	}
	h.s.SetFaults()
	if r := rows("/admin/billing/customers", "customers"); r[1]["payment_status"] != "due" {
		t.Fatalf("healthy again: %v", r[1])
	}
}
