package standin

import (
	"strings"
	"testing"
)

func TestSecondTenantAndInvite(t *testing.T) {
	h := start(t, Config{Customers: 1})
	owner := hdr{"Cookie": "_sid=" + h.fx.AdminSession, "Content-Type": "application/json"}

	wantEnvelope(t, h.do("POST", "/auth/user/orgs", `{"name":"B","country_code":"XX","timezone_name":"UTC"}`, owner), 400, "validation_error", "country", "invalid_country")
	r := h.do("POST", "/auth/user/orgs", `{"name":"Tenant B","country_code":"US","timezone_name":"America/New_York"}`, owner)
	wantStatus(t, r, 200)
	org := r.json(t)
	if org["slug"] != "tenant-b" || org["id"] == "" {
		t.Fatalf("org %v", org)
	}
	wantStatus(t, h.do("POST", "/auth/user/orgs", `{"name":"tenant b","country_code":"US","timezone_name":"America/New_York"}`, owner), 500)
	if r := h.do("GET", "/auth/user/orgs", "", owner); !strings.Contains(string(r.body), org["id"].(string)) {
		t.Fatalf("the creator is not a member: %s", r.body)
	}
	// Not a member of Main's new org: another org's owner cannot invite into it.
	wantStatus(t, h.do("POST", "/auth/user/orgs/"+org["id"].(string)+"/invites", `{"invites":[{"email":"x@example.com","role":"MEMBER"}]}`, h.otherAdmin()), 403)

	inv := h.do("POST", "/auth/user/orgs/"+h.fx.OrgID+"/invites", `{"invites":[{"email":"New@Example.com","role":"member"}]}`, owner)
	if inv.status != 204 || len(inv.body) != 0 {
		t.Fatalf("invite answered %d %q", inv.status, inv.body)
	}
	sent := h.s.Invites()
	if len(sent) != 1 || sent[0].Email != "new@example.com" || sent[0].Role != "MEMBER" || sent[0].OrgID != h.fx.OrgID {
		t.Fatalf("sent %+v", sent)
	}
	wantStatus(t, h.do("GET", "/auth/invites/"+sent[0].ID, "", nil), 200)
	done := h.do("POST", "/auth/invites/"+sent[0].ID+"/complete", `{"password":"long-enough","name":"New"}`, hdr{"Content-Type": "application/json"})
	wantStatus(t, done, 200)
	if !strings.Contains(done.header.Get("Set-Cookie"), "_sid=") {
		t.Fatalf("no session cookie: %v", done.header)
	}
	wantStatus(t, h.do("POST", "/auth/invites/"+sent[0].ID+"/complete", `{"password":"long-enough","name":"New"}`, hdr{"Content-Type": "application/json"}), 500)
	wantStatus(t, h.do("POST", "/auth/login", `{"email":"new@example.com","password":"long-enough"}`, hdr{"Content-Type": "application/json"}), 200)
	if got := h.s.st.role(h.fx.orgID, h.s.st.usersByEmail["new@example.com"].ID); got != roleMember {
		t.Fatalf("role %q", got)
	}
}
