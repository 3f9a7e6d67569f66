package standin

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/valora-k6/valora-k6/valoraid"
)

func TestFixtureAndEnv(t *testing.T) {
	h := start(t, Config{Customers: 5})
	env := h.fx.Env(h.base)
	keys := EnvKeys()
	if len(env) != len(keys) || len(keys) != 26 {
		t.Fatalf("env has %d keys, want 26: %v", len(env), env)
	}
	for _, k := range keys {
		if env[k] == "" {
			t.Errorf("env %s is empty", k)
		}
	}
	for _, k := range SecretEnvKeys() {
		if _, ok := env[k]; !ok {
			t.Errorf("secret %s is not an env key", k)
		}
	}
	if env["VALORA_ROLLUP_INTERVAL"] != "1h" { // the harness's interval
		t.Errorf("VALORA_ROLLUP_INTERVAL %q", env["VALORA_ROLLUP_INTERVAL"])
	}

	// Tenant B: its own key, org, customer with an ACTIVE subscription on its own meter, and Stripe secret.
	if env["TENANT_B_ORG_ID"] != h.fx.OtherOrgID || env["TENANT_B_API_KEY"] != h.fx.OtherAPIKey ||
		env["TENANT_B_CUSTOMER_ID"] != h.fx.OtherCustomerID || env["TENANT_B_METER_CODE"] != "api_calls" ||
		env["TENANT_B_WEBHOOK_SECRET"] != h.fx.OtherWebhookSecret {
		t.Fatalf("tenant B env: %v", env)
	}
	if env["TENANT_B_ORG_ID"] == env["ORG_ID"] || env["TENANT_B_API_KEY"] == env["API_KEY"] ||
		env["TENANT_B_CUSTOMER_ID"] == env["CUSTOMER_ID"] || env["TENANT_B_WEBHOOK_SECRET"] == env["WEBHOOK_SECRET"] ||
		!strings.HasPrefix(env["TENANT_B_WEBHOOK_SECRET"], "whsec_") {
		t.Fatalf("tenant B shares a value with tenant A: %v", env)
	}
	tenantB := hdr{"Authorization": "Bearer " + env["TENANT_B_API_KEY"], "Content-Type": "application/json"}
	wantStatus(t, h.do("POST", "/api/usage", usageBody(env["TENANT_B_CUSTOMER_ID"], env["TENANT_B_METER_CODE"], uniqueKey("tenant-b")), tenantB), 200)
	// Tenant A's key cannot ingest for tenant B's customer: it has no subscription in org A.
	wantEnvelope(t, h.do("POST", "/api/usage", usageBody(env["TENANT_B_CUSTOMER_ID"], env["TENANT_B_METER_CODE"], uniqueKey("tenant-a")), h.key()),
		400, "validation_error", "subscription", "invalid_subscription")
	b := stripeEvent(t, "charge.succeeded", "evt_tenant_b", env["TENANT_B_CUSTOMER_ID"], 10)
	wantStatus(t, h.do("POST", "/api/payments/webhooks/stripe", string(b),
		hdr{"Stripe-Signature": stripeHeader(b, env["TENANT_B_WEBHOOK_SECRET"], 1)}), 200)
	if e := h.s.st.payments.events[paymentKey{"stripe", "evt_tenant_b"}]; e == nil || e.OrgID.String() != env["TENANT_B_ORG_ID"] {
		t.Fatalf("tenant B's secret did not resolve to tenant B: %+v", e)
	}
	if env["BASE_URL"] != h.base || env["PAYMENT_PROVIDER"] != "stripe" || env["METER_CODE"] != "api_calls" ||
		env["ADMIN_EMAIL"] != "admin@railzway.com" || env["ADMIN_PASSWORD"] != "admin" {
		t.Fatalf("env values: %v", env)
	}
	m := regexp.MustCompile(`^vk_live_key_([0-9A-Z]+)_[0-9a-f]{64}$`).FindStringSubmatch(h.fx.APIKey)
	if m == nil {
		t.Fatalf("API key %q is not in Valora's format", h.fx.APIKey)
	}
	n, err := strconv.ParseInt(m[1], 36, 64)
	if err != nil || valoraid.Decode(valoraid.ID(n)).Node != 1 || "key_"+m[1] != h.fx.APIKeyID {
		t.Fatalf("key id %s: %v node %d, key_id %s", m[1], err, valoraid.Decode(valoraid.ID(n)).Node, h.fx.APIKeyID)
	}
	if !strings.HasPrefix(h.fx.WebhookSecret, "whsec_") || !regexp.MustCompile(`^[0-9A-F]{64}$`).MatchString(h.fx.AdyenHMACKey) {
		t.Fatalf("secrets: %q %q", h.fx.WebhookSecret, h.fx.AdyenHMACKey)
	}
	if len(h.fx.AdminSession) != 43 {
		t.Fatalf("session token %q is not 43 base64url chars", h.fx.AdminSession)
	}
	for _, id := range []string{h.fx.OrgID, h.fx.CustomerID, h.fx.OtherOrgID, h.fx.SubscriptionID} {
		p, err := valoraid.ParseString(id)
		if err != nil || p <= 0 || p.String() != id || valoraid.Decode(p).Node != 1 {
			t.Fatalf("id %s is not a node-1 snowflake: %v", id, err)
		}
	}
	if h.fx.Customers != 6 {
		t.Fatalf("Customers %d, want 6", h.fx.Customers)
	}
	// The owner's password is stored in Valora's Argon2id format and verifies.
	u := h.s.st.usersByEmail[h.fx.AdminEmail]
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=1024,t=1,p=4$") {
		t.Fatalf("hash %q", u.PasswordHash)
	}
	if ok, err := verifyPassword("admin", u.PasswordHash); !ok || err != nil {
		t.Fatalf("verifyPassword: %v %v", ok, err)
	}
	if ok, _ := verifyPassword("Admin", u.PasswordHash); ok {
		t.Fatal("wrong password verified")
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	mk := func(seed int64) Fixture {
		s, err := New(Config{Seed: seed, Customers: 3, Argon2Memory: testArgon2Memory})
		if err != nil {
			t.Fatal(err)
		}
		return s.Fixture()
	}
	a, b, c := mk(7), mk(7), mk(8)
	if a != b {
		t.Fatalf("same seed, different fixtures:\n%+v\n%+v", a, b)
	}
	if a.APIKey == c.APIKey || a.WebhookSecret == c.WebhookSecret || a.AdminSession == c.AdminSession {
		t.Fatal("different seeds gave the same secrets")
	}
	if r1, r2 := mk(0), mk(0); r1.APIKey == r2.APIKey {
		t.Fatal("unseeded fixtures repeat")
	}
}
