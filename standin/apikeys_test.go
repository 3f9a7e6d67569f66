package standin

import (
	"regexp"
	"strings"
	"testing"
)

func TestAdminAPIKeys(t *testing.T) {
	h := start(t, Config{Customers: 2})
	r := h.do("POST", "/admin/api-keys", `{"name":"k6","scopes":["Usage.Ingest","usage:ingest","customer:*"]}`, h.admin())
	wantStatus(t, r, 200)
	m := r.json(t)
	if len(m) != 2 {
		t.Fatalf("create answered %s, want exactly key_id and api_key", r.body)
	}
	keyID, plain := str(t, m["key_id"]), str(t, m["api_key"])
	if !regexp.MustCompile(`^key_[0-9A-Z]+$`).MatchString(keyID) || !strings.HasPrefix(plain, "vk_live_key_"+strings.TrimPrefix(keyID, "key_")+"_") ||
		!regexp.MustCompile(`^vk_live_key_[0-9A-Z]+_[0-9a-f]{64}$`).MatchString(plain) {
		t.Fatalf("key %q %q", keyID, plain)
	}
	newKey := hdr{"Authorization": "Bearer " + plain}
	wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", newKey), 200)

	list := h.do("GET", "/admin/api-keys", "", h.admin())
	if !strings.HasPrefix(string(list.body), "[") || !strings.Contains(string(list.body), `"scopes":["usage:ingest","customer:*"]`) {
		t.Fatalf("list %s", list.body)
	}
	wantStatus(t, h.do("GET", "/admin/api-keys/scopes", "", h.admin()), 200)

	wantEnvelope(t, h.do("POST", "/admin/api-keys", `{"name":"  "}`, h.admin()), 400, "validation_error", "name", "invalid_name")
	wantEnvelope(t, h.do("POST", "/admin/api-keys", `{"name":"x","scopes":["nope"]}`, h.admin()), 400, "validation_error", "scopes", "invalid_scope")
	wantEnvelope(t, h.do("POST", "/admin/api-keys", `{"name":3}`, h.admin()), 400, "validation_error", "request", "invalid_request")

	wantEnvelope(t, h.do("POST", "/admin/api-keys/key_NOPE/revoke", "", h.admin()), 404, "not_found", "", "")
	wantStatus(t, h.do("POST", "/admin/api-keys/"+keyID+"/revoke", "", h.admin()), 204)
	wantEnvelope(t, h.do("GET", "/api/customers?page_size=1", "", newKey), 401, "unauthorized", "", "")
}
