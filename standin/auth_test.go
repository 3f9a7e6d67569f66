package standin

import (
	"strings"
	"testing"
	"time"
)

func TestAPIKeyAuth(t *testing.T) {
	h := start(t, Config{})
	path := "/api/customers?page_size=1"
	cases := []struct {
		name   string
		path   string
		header hdr
		want   int
	}{
		{"valid key", path, hdr{"Authorization": "Bearer " + h.fx.APIKey}, 200},
		{"valid key, padded header", path, hdr{"Authorization": "  Bearer   " + h.fx.APIKey + "  "}, 200},
		{"no header", path, nil, 401},
		{"scheme only", path, hdr{"Authorization": "Bearer"}, 401},
		{"lowercase scheme", path, hdr{"Authorization": "bearer " + h.fx.APIKey}, 401},
		{"three fields", path, hdr{"Authorization": "Bearer " + h.fx.APIKey + " x"}, 401},
		{"basic scheme", path, hdr{"Authorization": "Basic " + h.fx.APIKey}, 401},
		{"wrong key", path, hdr{"Authorization": "Bearer vk_live_key_F98QDZLSN9J4_" + strings.Repeat("0", 64)}, 401},
		{"key with a changed last char", path, hdr{"Authorization": "Bearer " + h.fx.APIKey[:len(h.fx.APIKey)-1] + "x"}, 401},
		{"X-Org-Id with a valid key", path, hdr{"Authorization": "Bearer " + h.fx.APIKey, "X-Org-Id": h.fx.OrgID}, 401},
		{"org_id query", path + "&org_id=" + h.fx.OrgID, hdr{"Authorization": "Bearer " + h.fx.APIKey}, 401},
		{"orgId query", path + "&orgId=" + h.fx.OrgID, hdr{"Authorization": "Bearer " + h.fx.APIKey}, 401},
		{"blank org_id query is no hint", path + "&org_id=%20", hdr{"Authorization": "Bearer " + h.fx.APIKey}, 200},
		{"other org's key", path, hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("GET", tc.path, "", tc.header)
			if tc.want == 401 {
				wantEnvelope(t, r, 401, "unauthorized", "", "")
				if string(r.body) != `{"error":{"type":"unauthorized","message":"unauthorized"}}` {
					t.Fatalf("401 body %s", r.body)
				}
				return
			}
			wantStatus(t, r, tc.want)
		})
	}
}

func TestAPIKeyFaults(t *testing.T) {
	h := start(t, Config{})
	list := func(headers hdr) resp { return h.do("GET", "/api/customers?page_size=200", "", headers) }
	firstOrg := func(r resp) string {
		customers := r.json(t)["data"].(map[string]any)["customers"].([]any)
		return str(t, customers[0].(map[string]any)["organization_id"])
	}

	h.s.SetFaults(FaultAPIKeyAny)
	for _, hd := range []hdr{nil, {"Authorization": "Bearer nope"}, {"Authorization": "garbage"}} {
		r := list(hd)
		wantStatus(t, r, 200)
		if got := firstOrg(r); got != h.fx.OrgID {
			t.Fatalf("apikey-any answered as org %s, want the fixture org", got)
		}
	}
	// Org hints are still refused: the fault breaks the key check only.
	wantStatus(t, list(hdr{"X-Org-Id": h.fx.OrgID}), 401)

	h.s.SetFaults(FaultOrgHeader)
	r := list(hdr{"Authorization": "Bearer " + h.fx.APIKey, "X-Org-Id": h.fx.OtherOrgID})
	wantStatus(t, r, 200)
	if got := firstOrg(r); got != h.fx.OtherOrgID {
		t.Fatalf("org-header: answered as org %s, want the header's org %s", got, h.fx.OtherOrgID)
	}
	wantStatus(t, list(nil), 401) // a key is still needed

	h.s.SetFaults()
	wantStatus(t, list(hdr{"Authorization": "Bearer " + h.fx.APIKey, "X-Org-Id": h.fx.OtherOrgID}), 401)
	wantStatus(t, list(nil), 401)
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
