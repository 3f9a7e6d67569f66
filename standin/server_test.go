package standin

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

func TestRoutingBasics(t *testing.T) {
	h := start(t, Config{})

	r := h.do("GET", "/health", "", nil)
	wantStatus(t, r, 200)
	if string(r.body) != `{"status":"ok"}` {
		t.Fatalf("health body %s", r.body)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id on /health")
	}
	r = h.do("GET", "/health", "", hdr{"X-Request-Id": "abc-123"})
	if got := r.header.Get("X-Request-Id"); got != "abc-123" {
		t.Fatalf("X-Request-Id %q, want the caller's", got)
	}
	if a, b := h.do("GET", "/health", "", nil).header.Get("X-Request-Id"), h.do("GET", "/health", "", nil).header.Get("X-Request-Id"); a == b {
		t.Fatalf("request ids repeat: %s", a)
	}

	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/unknown"},
		{"GET", "/api/usage"}, // wrong method: gin's NoRoute, not 405
		{"DELETE", "/api/customers"},
		{"GET", "/admin/unknown"},
		{"GET", "/"},
		{"GET", "/dev/billing/x"},
	} {
		r := h.do(tc.method, tc.path, "", nil)
		if r.status != 404 || string(r.body) != "404 page not found\n" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s %s: %d %q %q, want the plain-text 404", tc.method, tc.path, r.status, r.header.Get("Content-Type"), r.body)
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tc.method, tc.path)
		}
	}

	// gin's trailing-slash redirect: 301 for GET, 307 otherwise, query kept.
	r = h.do("GET", "/api/customers/?page_size=1", "", nil)
	if r.status != 301 || r.header.Get("Location") != "/api/customers?page_size=1" {
		t.Fatalf("GET with trailing slash: %d %q", r.status, r.header.Get("Location"))
	}
	r = h.do("POST", "/api/usage/", "{}", nil)
	if r.status != 307 || r.header.Get("Location") != "/api/usage" {
		t.Fatalf("POST with trailing slash: %d %q", r.status, r.header.Get("Location"))
	}

	r = h.do("GET", "/metrics", "", nil)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), "go_goroutines") {
		t.Fatalf("metrics: %s", r.body)
	}
}

func TestFaultCatalogue(t *testing.T) {
	all := Faults()
	if len(all) != 21 {
		t.Fatalf("%d faults, want 21", len(all))
	}
	if len(all) > maxFaults {
		t.Fatalf("%d faults do not fit a faultSet of %d bits", len(all), maxFaults)
	}
	var names []string
	bits := map[uint64]Fault{}
	for _, f := range all {
		names = append(names, string(f.Name))
		if !strings.HasSuffix(f.Invariant, ".") || len(f.Invariant) < 20 {
			t.Errorf("%s: invariant %q is not a sentence", f.Name, f.Invariant)
		}
		b := faultBit(f.Name)
		if b == 0 || b&(b-1) != 0 {
			t.Errorf("%s: bit %#x is not one bit", f.Name, b)
		}
		if other, dup := bits[b]; dup {
			t.Errorf("%s and %s share bit %#x", f.Name, other, b)
		}
		bits[b] = f.Name
	}
	got, err := ParseFaults(" " + strings.Join(names, " , ") + ",")
	if err != nil || len(got) != len(names) {
		t.Fatalf("ParseFaults(all) = %v, %v", got, err)
	}
	// Every fault at once fits one faultSet and lists back in table order.
	var fs faultSet
	if err := fs.set(got); err != nil {
		t.Fatal(err)
	}
	if listed := fs.list(); fmt.Sprint(listed) != fmt.Sprint(got) {
		t.Fatalf("faultSet lists %v, want %v", listed, got)
	}
	for _, f := range got {
		if !fs.has(f) {
			t.Fatalf("faultSet with every fault lacks %s", f)
		}
	}
	if got, err := ParseFaults(""); err != nil || len(got) != 0 {
		t.Fatalf("ParseFaults(\"\") = %v, %v", got, err)
	}
	_, err = ParseFaults("slow,nope")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "ingest-duplicate") ||
		!strings.Contains(err.Error(), "activation-ignored") {
		t.Fatalf("ParseFaults(unknown) error %v, want one naming it and listing the accepted names", err)
	}
	if _, err := New(Config{Faults: []Fault{"nope"}, Argon2Memory: testArgon2Memory}); err == nil {
		t.Fatal("New accepted an unknown fault")
	}
	// Faults() hands out a copy.
	all[0].Invariant = "changed"
	if Faults()[0].Invariant == "changed" {
		t.Fatal("Faults() exposes the package table")
	}
}

func TestFixtureAndEnv(t *testing.T) {
	h := start(t, Config{Customers: 5})
	env := h.fx.Env(h.base)
	keys := EnvKeys()
	if len(env) != len(keys) || len(keys) != 19 {
		t.Fatalf("env has %d keys, want 19: %v", len(env), env)
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

func TestDefaultPasswordHashIsValoras(t *testing.T) {
	s, err := New(Config{Customers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h := s.st.usersByEmail["admin@railzway.com"].PasswordHash; !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=4$") {
		t.Fatalf("default hash %q", h)
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

// TestFaultErrors5xx: errors-5xx fails exactly every N-th request, N = round(1/ErrorRate), counted over every
// route but /health (which is neither failed nor counted); SetFaults starts the count again.
func TestFaultErrors5xx(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		every int
	}{{0.25, 4}, {0.3, 3}, {0.6, 2}, {1, 1}, {0, 10}, {0.1, 10}, {0.07, 14}} {
		h := start(t, Config{Faults: []Fault{FaultErrors5xx}, ErrorRate: tc.rate, Customers: 2})
		for i := 1; i <= 3*tc.every; i++ {
			var r resp
			if i%2 == 0 { // one count over all routes
				r = h.ingest(uniqueKey("5xx"))
			} else {
				r = h.do("GET", "/api/customers?page_size=1", "", h.key())
			}
			if i%tc.every == 0 {
				wantEnvelope(t, r, 500, "internal_error", "", "")
			} else if r.status != 200 {
				t.Fatalf("rate %v: request %d answered %d, want only every %d-th to fail", tc.rate, i, r.status, tc.every)
			}
			wantStatus(t, h.do("GET", "/health", "", nil), 200) // probes are never failed
		}
		if tc.every < 3 {
			continue
		}
		// Switching the faults again restarts the count: N-1 pass, the N-th fails.
		h.do("GET", "/api/customers?page_size=1", "", h.key())
		h.s.SetFaults(FaultErrors5xx)
		for i := 1; i <= tc.every; i++ {
			if r := h.do("GET", "/api/customers?page_size=1", "", h.key()); (r.status == 500) != (i == tc.every) {
				t.Fatalf("rate %v after SetFaults: request %d answered %d", tc.rate, i, r.status)
			}
		}
		h.s.SetFaults()
		for i := 0; i < 2*tc.every; i++ {
			wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", h.key()), 200)
		}
	}
	if errorEvery(1e-30) != 1<<62 || errorEvery(5) != 1 {
		t.Fatalf("errorEvery(1e-30) = %d, errorEvery(5) = %d", errorEvery(1e-30), errorEvery(5))
	}
}

func TestFaultSlow(t *testing.T) {
	h := start(t, Config{SlowDelay: 150 * time.Millisecond})
	t0 := time.Now()
	wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", h.key()), 200)
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Fatalf("healthy request took %v", d)
	}
	h.s.SetFaults(FaultSlow)
	if got := h.s.ActiveFaults(); len(got) != 1 || got[0] != FaultSlow {
		t.Fatalf("ActiveFaults %v", got)
	}
	t0 = time.Now()
	wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", h.key()), 200)
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Fatalf("slow request took only %v", d)
	}
	t0 = time.Now()
	wantStatus(t, h.do("GET", "/health", "", nil), 200)
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Fatalf("/health was slowed: %v", d)
	}
}

func TestDefaultsAndSetFaultsIgnoresUnknown(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Customers != 120 || s.cfg.SlowDelay != 600*time.Millisecond || s.cfg.ErrorRate != 0.1 ||
		s.cfg.RollupInterval != time.Minute || s.cfg.MaxBodyBytes != 0 || s.cfg.ReadHeaderTimeout != 10*time.Second ||
		s.cfg.IdleTimeout != 2*time.Minute || s.cfg.RateLimit {
		t.Fatalf("defaults: %+v", s.cfg)
	}
	if env := s.Fixture().Env("http://x"); env["VALORA_ROLLUP_INTERVAL"] != "1m" {
		t.Fatalf("VALORA_ROLLUP_INTERVAL %q, want 1m (Valora's tick)", env["VALORA_ROLLUP_INTERVAL"])
	}
	if s.Fixture().Customers != 121 {
		t.Fatalf("fixture customers %d", s.Fixture().Customers)
	}
	s.SetFaults(FaultSlow, "bogus")
	if got := s.ActiveFaults(); len(got) != 1 || got[0] != FaultSlow {
		t.Fatalf("ActiveFaults %v", got)
	}
	// Close before Start is fine; so is Start after a failed Start.
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStartAndClose(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 1})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Fatal("second Start succeeded")
	}
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Transport: &http.Transport{}}).Get(base + "/health"); err == nil {
		t.Fatal("server still answers after Close")
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := New(Config{Argon2Memory: testArgon2Memory}); err != nil {
		t.Fatal(err)
	}
	s2, _ := New(Config{Argon2Memory: testArgon2Memory, Customers: 1})
	if _, err := s2.Start("256.0.0.1:99999"); err == nil {
		t.Fatal("Start on a bad address succeeded")
	}
}

// TestHandlerWithoutListener: the same handler serves tests that skip the network.
func TestHandlerWithoutListener(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	req, _ := http.NewRequest("GET", "/api/customers?page_size=1", nil)
	req.Header.Set("Authorization", "Bearer "+s.Fixture().APIKey)
	s.Handler().ServeHTTP(rec, req)
	if rec.code != 200 {
		t.Fatalf("status %d: %s", rec.code, rec.body)
	}
}
