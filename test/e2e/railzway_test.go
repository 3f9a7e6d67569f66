//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
)

// railzwayServer starts the stand-in's Railzway flavour with cfg.
func railzwayServer(t *testing.T, cfg standin.Config) map[string]string {
	t.Helper()
	cfg.Flavor = standin.FlavorRailzway
	return server(t, cfg)
}

// call sends one JSON request to the stand-in and decodes the answer (nil for an empty body).
func call(t *testing.T, method, url string, headers map[string]string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// mintKeys creates n API keys of the fixture org with every scope the stand-in offers, as an operator would.
func mintKeys(t *testing.T, env map[string]string, n int) []string {
	t.Helper()
	admin := map[string]string{"Cookie": "_sid=" + env["ADMIN_SESSION"], "X-Org-Id": env["ORG_ID"]}
	req, _ := http.NewRequest("GET", env["BASE_URL"]+"/admin/api-keys/scopes", nil)
	for k, v := range admin {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var scopes []string
	err = json.NewDecoder(res.Body).Decode(&scopes)
	res.Body.Close()
	if err != nil || len(scopes) == 0 {
		t.Fatalf("GET /admin/api-keys/scopes: %v %v", scopes, err)
	}
	var keys []string
	for i := 0; i < n; i++ {
		status, b := call(t, "POST", env["BASE_URL"]+"/admin/api-keys", admin, map[string]any{"name": fmt.Sprint("k6-", i), "scopes": scopes})
		if status != 200 {
			t.Fatalf("POST /admin/api-keys: %d %v", status, b)
		}
		keys = append(keys, b["api_key"].(string))
	}
	return keys
}

// TestRailzwayKeyLimit: Railzway's per-key limiter at a small scale (5 requests per key per window). The run says
// up front that the limit will cap it; the retry it throttles is NOT CHECKED, naming the per-key limiter, never a
// violation (INCOMPLETE, exit 110). With two more keys of the org in API_KEYS the same run is spread over three
// keys' windows and PASSED.
func TestRailzwayKeyLimit(t *testing.T) {
	limits := map[string]string{"RAILZWAY_KEY_LIMIT": "5/10m", "IDEMPOTENCY_ITERATIONS": "3"}
	env := railzwayServer(t, standin.Config{KeyLimit: 5})
	res := runK6(t, scenario("ingest_idempotency"), env, quick, limits)
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE (exit 110) once the key's window is used up:\n%s", res)
	}
	if !strings.Contains(res.output, "will cap this run") {
		t.Errorf("the run must say up front that the per-key limit caps it:\n%s", res.output)
	}
	for _, name := range []string{"idempotent_retry", "idempotent_key_whitespace", "idempotent_changed_payload"} {
		inv, _ := res.report.invariant(name)
		if inv.Status == "violated" {
			t.Errorf("%s: a throttled retry is never a violation: %+v", name, inv)
		}
	}
	throttled, _ := res.report.invariant("idempotent_changed_payload")
	if throttled.Status != "not checked" || !strings.Contains(throttled.Note, "per-key limiter") {
		t.Errorf("idempotent_changed_payload: want NOT CHECKED naming Railzway's per-key limiter, got %+v", throttled)
	}
	if held, _ := res.report.invariant("idempotent_retry"); held.Status != "held" {
		t.Errorf("idempotent_retry came before the window ran out: want HELD, got %+v", held)
	}

	env = railzwayServer(t, standin.Config{KeyLimit: 5})
	spread := map[string]string{"API_KEYS": strings.Join(mintKeys(t, env, 2), ",")}
	res = runK6(t, scenario("ingest_idempotency"), env, quick, limits, spread)
	if res.code != 0 || res.report == nil || res.report.Verdict != "PASSED" {
		t.Fatalf("spread over three keys the run fits their windows and must pass:\n%s", res)
	}
	if !strings.Contains(res.output, "within their 15 per window") || strings.Contains(res.output, "will cap") {
		t.Errorf("the run must say its requests fit the keys' windows:\n%s", res.output)
	}
}

// TestRailzwayRefusalsExplained: a refused setup names the cause in the flavour's terms: Railzway 4ff8772's
// unmapped ingest scope (403), a subscription without a metered feature (feature_not_entitled), an org quota (402).
func TestRailzwayRefusalsExplained(t *testing.T) {
	env := railzwayServer(t, standin.Config{Faults: []standin.Fault{standin.FaultRailzwayIngestScope}})
	res := runK6(t, scenario("ingest_idempotency"), env, quick)
	for _, want := range []string{"the key's scopes do not allow usage ingest", "internal/auth/scope/scope.go", "usage:ingest"} {
		if res.code != 108 || !strings.Contains(res.output, want) {
			t.Errorf("with 4ff8772's scope table: want exit 108 and %q:\n%s", want, res)
		}
	}

	env = railzwayServer(t, standin.Config{UsageQuota: 1})
	res = runK6(t, scenario("ingest_idempotency"), env, quick)
	if res.code != 108 || !strings.Contains(res.output, "usage quota is used up (402") {
		t.Errorf("with the org's quota used up: want exit 108 naming the 402 quota:\n%s", res)
	}

	// A subscription activated before its product had a metered feature is not entitled to the meter.
	env = railzwayServer(t, standin.Config{})
	key := map[string]string{"Authorization": "Bearer " + env["API_KEY"]}
	post := func(path string, body any) string {
		t.Helper()
		status, b := call(t, "POST", env["BASE_URL"]+path, key, body)
		data, _ := b["data"].(map[string]any)
		if status != 200 || data == nil {
			t.Fatalf("POST %s: %d %v", path, status, b)
		}
		return data["id"].(string)
	}
	_, meters := call(t, "GET", env["BASE_URL"]+"/api/meters", key, nil)
	meterID := meters["data"].([]any)[0].(map[string]any)["id"].(string)
	product := post("/api/products", map[string]any{"code": "late-feature", "name": "p"})
	price := post("/api/prices", map[string]any{"product_id": product, "code": "late-feature", "name": "p",
		"pricing_model": "PER_UNIT", "billing_mode": "METERED", "billing_interval": "MONTH", "billing_interval_count": 1,
		"aggregate_usage": "SUM", "billing_unit": "API_CALL", "tax_behavior": "EXCLUSIVE"})
	post("/api/price_amounts", map[string]any{"price_id": price, "meter_id": meterID, "currency": "USD", "unit_amount_cents": 1})
	customer := post("/api/customers", map[string]any{"name": "late", "email": "late@example.com"})
	sub := post("/api/subscriptions", map[string]any{"customer_id": customer, "collection_mode": "SEND_INVOICE",
		"billing_cycle_type": "MONTHLY", "items": []any{map[string]any{"price_id": price}}})
	if status, b := call(t, "POST", env["BASE_URL"]+"/api/subscriptions/"+sub+"/activate", key, nil); status != 204 {
		t.Fatalf("activate: %d %v", status, b)
	}
	res = runK6(t, scenario("ingest_idempotency"), env, quick, map[string]string{"CUSTOMER_ID": customer})
	for _, want := range []string{"feature_not_entitled", "PUT /api/products/:id/features", "before the subscription is activated"} {
		if res.code != 108 || !strings.Contains(res.output, want) {
			t.Errorf("a subscription without a metered feature: want exit 108 and %q:\n%s", want, res)
		}
	}
}

// TestFlavorDeclared: VALORA_FLAVOR overrides detection and is printed as declared; an invalid value is a
// configuration error naming the variable (exit 107) before any request.
func TestFlavorDeclared(t *testing.T) {
	env := railzwayServer(t, standin.Config{})
	res := runK6(t, scenario("ingest_idempotency"), env, quick, map[string]string{"VALORA_FLAVOR": "Railzway"})
	if res.code != 0 || res.report == nil || res.report.Flavor != "railzway" || !strings.Contains(res.output, "target: Railzway") ||
		!strings.Contains(res.output, "declared by VALORA_FLAVOR") {
		t.Errorf("VALORA_FLAVOR=Railzway: want a PASSED run on the declared flavour, printed as declared:\n%s", res)
	}
	res = runK6(t, scenario("ingest_idempotency"), env, quick, map[string]string{"VALORA_FLAVOR": "railway"})
	if res.code != 107 || !strings.Contains(res.output, "VALORA_FLAVOR: not one of auto, valora, railzway") {
		t.Errorf("VALORA_FLAVOR=railway: want exit 107 naming the variable:\n%s", res)
	}
}

// TestRailzwayProvision: provision sets a Railzway up from admin credentials (explicit scopes, extra keys, a metered
// feature attached before activation, the subscription in Railzway's shape). It cannot set the Stripe secret, which
// Railzway does not route: it says what the operator must do and which variable carries the secret, writes what it
// made, and is INCOMPLETE; run again with the secret, it reuses everything and passes.
func TestRailzwayProvision(t *testing.T) {
	fixture := railzwayServer(t, standin.Config{})
	admin := map[string]string{
		"BASE_URL": fixture["BASE_URL"], "ADMIN_EMAIL": fixture["ADMIN_EMAIL"], "ADMIN_PASSWORD": fixture["ADMIN_PASSWORD"],
		"API_KEY": "", "CUSTOMER_ID": "", "METER_CODE": "", "ORG_ID": "", "WEBHOOK_SECRET": "",
		"PROVISION_API_KEYS": "3",
	}
	envPath := filepath.Join(t.TempDir(), "railzway.env")
	res := runK6(t, scenario("provision"), admin, map[string]string{"PROVISION_ENV_FILE": envPath})
	if res.code != 110 || !strings.Contains(res.output, "Railzway does not route POST /admin/payment-providers") ||
		!strings.Contains(res.output, "run provision again with WEBHOOK_SECRET set to that secret") {
		t.Fatalf("without a webhook secret: want INCOMPLETE (110) with what the operator must do:\n%s", res)
	}
	if !strings.Contains(res.output, "metered feature") {
		t.Errorf("provision must attach a metered feature to the product:\n%s", res.output)
	}
	first := readEnvFile(t, envPath)
	if first["API_KEY"] == "" || len(strings.Split(first["API_KEYS"], ",")) != 2 || first["WEBHOOK_SECRET"] != "" {
		t.Fatalf("the environment file must hold the key, two more keys and no webhook secret: have %v", keys(first))
	}
	if held, _ := res.report.invariant("provision_ready"); held.Status != "held" {
		t.Errorf("provision_ready: the provisioned key, customer and meter must ingest: %+v", held)
	}

	res = runK6(t, scenario("provision"), admin, map[string]string{"PROVISION_ENV_FILE": envPath, "WEBHOOK_SECRET": fixture["WEBHOOK_SECRET"]})
	if res.code != 0 || strings.Contains(res.output, "created") {
		t.Fatalf("with the secret the operator configured: want PASSED, everything reused:\n%s", res)
	}
	second := readEnvFile(t, envPath)
	for _, k := range []string{"API_KEY", "API_KEYS", "CUSTOMER_ID"} {
		if second[k] != first[k] {
			t.Errorf("the second run changed %s instead of reusing it", k)
		}
	}
}
