package standin

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func railzway(t *testing.T, cfg Config) *harness {
	t.Helper()
	cfg.Flavor = FlavorRailzway
	return start(t, cfg)
}

// TestRailzwayShapes: the usage answer is wrapped, customer lists are data[] + page_info, GET /api/usage is routed.
func TestRailzwayShapes(t *testing.T) {
	h := railzway(t, Config{})
	r := h.ingest(uniqueKey("rz"))
	wantStatus(t, r, 200)
	data, ok := r.json(t)["data"].(map[string]any)
	if !ok || data["customer_id"] != h.fx.CustomerID || data["id"] == "" {
		t.Fatalf("usage answer not wrapped as Railzway's: %s", r.body)
	}
	r = h.do("GET", "/api/customers?page_size=2", "", h.key())
	wantStatus(t, r, 200)
	var page struct {
		Data     []map[string]any `json:"data"`
		PageInfo struct {
			Next    string `json:"next_page_token"`
			HasMore bool   `json:"has_more"`
		} `json:"page_info"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Data) != 2 || !page.PageInfo.HasMore || page.PageInfo.Next == "" {
		t.Fatalf("customer list is not data[] + page_info: %v %s", err, r.body)
	}
	r = h.do("GET", "/api/usage", "", nil)
	wantEnvelope(t, r, 401, "unauthorized", "", "")
	wantStatus(t, h.do("GET", "/api/usage", "", h.key()), 200)
	// Valora has no GET /api/usage: its fallback answers.
	v := start(t, Config{})
	if r := v.do("GET", "/api/usage", "", nil); r.status != 404 {
		t.Fatalf("Valora's GET /api/usage: %d %s", r.status, r.body)
	}
}

// TestRailzwayUsageValidation: Railzway's stricter ingest body rules and its 402 quota.
func TestRailzwayUsageValidation(t *testing.T) {
	h := railzway(t, Config{UsageQuota: 2})
	wantEnvelope(t, h.do("POST", "/api/usage", "{", h.key()), 400, "validation_error", "request", "invalid_request")
	neg := fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":-1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"n"}`, h.fx.CustomerID, h.fx.MeterCode)
	wantEnvelope(t, h.do("POST", "/api/usage", neg, h.key()), 400, "validation_error", "value", "invalid_value")
	future := fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":%q,"idempotency_key":"f"}`, h.fx.CustomerID, h.fx.MeterCode, time.Now().Add(time.Hour).Format(time.RFC3339))
	wantEnvelope(t, h.do("POST", "/api/usage", future, h.key()), 400, "validation_error", "recorded_at", "invalid_recorded_at")
	first := uniqueKey("q")
	wantStatus(t, h.ingest(first), 200)
	wantStatus(t, h.ingest(uniqueKey("q")), 200)
	wantEnvelope(t, h.ingest(uniqueKey("q")), 402, "quota_exceeded", "", "")
	wantStatus(t, h.ingest(first), 200) // a replay is no new event

	c := railzway(t, Config{Customers: 3, CustomerQuota: 5}) // 3 + the k6 customer + tenant B's (another org)
	wantStatus(t, c.do("POST", "/api/customers", `{"name":"a","email":"a@example.com"}`, c.key()), 200)
	wantEnvelope(t, c.do("POST", "/api/customers", `{"name":"b","email":"b@example.com"}`, c.key()), 402, "quota_exceeded", "", "")
}

// TestRailzwayScopes: every /api route needs its scope; the fault puts back 4ff8772's unmapped ingest scope.
func TestRailzwayScopes(t *testing.T) {
	h := railzway(t, Config{})
	mint := func(scopes ...string) string {
		body, _ := json.Marshal(map[string]any{"name": "k", "scopes": scopes})
		r := h.do("POST", "/admin/api-keys", string(body), h.admin())
		wantStatus(t, r, 200)
		return str(t, r.json(t)["api_key"])
	}
	with := func(key string) hdr { return hdr{"Authorization": "Bearer " + key, "Content-Type": "application/json"} }
	body := usageBody(h.fx.CustomerID, h.fx.MeterCode, uniqueKey("s"))
	wantEnvelope(t, h.do("POST", "/api/usage", body, with(mint())), 403, "forbidden", "", "")
	wantEnvelope(t, h.do("POST", "/api/usage", body, with(mint("customer:view"))), 403, "forbidden", "", "")
	wantStatus(t, h.do("POST", "/api/usage", body, with(mint("usage:*"))), 200)
	wantStatus(t, h.do("GET", "/api/customers", "", with(mint("customer:view"))), 200)
	h.s.SetFaults(FaultRailzwayIngestScope)
	wantEnvelope(t, h.ingest(uniqueKey("s")), 403, "forbidden", "", "")
	wantStatus(t, h.do("GET", "/api/customers", "", h.key()), 200)
}

// TestRailzwayKeyLimiter: a fixed window per raw key, 429 without Retry-After or a reason, before the key lookup.
func TestRailzwayKeyLimiter(t *testing.T) {
	h := railzway(t, Config{KeyLimit: 3, KeyWindow: 300 * time.Millisecond})
	for i := 0; i < 3; i++ {
		wantStatus(t, h.do("GET", "/api/customers", "", h.key()), 200)
	}
	r := h.do("GET", "/api/customers", "", h.key())
	wantEnvelope(t, r, 429, "rate_limited", "", "")
	if r.header.Get("Retry-After") != "" || r.header.Get("X-Rate-Limited-Reason") != "" {
		t.Fatalf("the per-key limiter sends no Retry-After and no reason: %v", r.header)
	}
	unknown := hdr{"Authorization": "Bearer vk_live_key_X_00"}
	for i := 0; i < 3; i++ {
		wantStatus(t, h.do("GET", "/api/customers", "", unknown), 401)
	}
	wantStatus(t, h.do("GET", "/api/customers", "", unknown), 429) // counted before the lookup
	time.Sleep(350 * time.Millisecond)
	wantStatus(t, h.do("GET", "/api/customers", "", h.key()), 200)
}

// TestRailzwayOrgHints: the key's own org in X-Org-Id is allowed, another org is 401, a query hint of its own org 428.
func TestRailzwayOrgHints(t *testing.T) {
	h := railzway(t, Config{})
	with := func(extra hdr) hdr {
		out := h.key()
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	wantStatus(t, h.do("GET", "/api/customers", "", with(hdr{"X-Org-Id": h.fx.OrgID})), 200)
	wantEnvelope(t, h.do("GET", "/api/customers", "", with(hdr{"X-Org-Id": h.fx.OtherOrgID})), 401, "unauthorized", "", "")
	wantEnvelope(t, h.do("GET", "/api/customers?org_id="+h.fx.OrgID, "", h.key()), 428, "precondition_required", "", "")
	wantEnvelope(t, h.do("GET", "/api/customers?orgId="+h.fx.OtherOrgID, "", h.key()), 401, "unauthorized", "", "")
	h.s.SetFaults(FaultOrgHeader)
	wantStatus(t, h.do("GET", "/api/customers", "", with(hdr{"X-Org-Id": h.fx.OtherOrgID})), 200)
}

// TestRailzwayEntitlements: provisioning as Railzway wants it (a metered feature on the product before activation)
// ingests; items[].meter_id is refused; a feature attached after activation does not reach the subscription.
func TestRailzwayEntitlements(t *testing.T) {
	h := railzway(t, Config{})
	post := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		r := h.do("POST", path, string(b), h.key())
		wantStatus(t, r, 200)
		return r.json(t)["data"].(map[string]any)
	}
	meter := post("/api/meters", map[string]any{"code": "rz_meter", "name": "m", "aggregation_type": "SUM", "unit": "call"})["id"]
	chain := func(attachFirst bool) (string, string) {
		suffix := uniqueKey("p")
		product := post("/api/products", map[string]any{"code": "p-" + suffix, "name": "p"})["id"].(string)
		price := post("/api/prices", map[string]any{"product_id": product, "code": "pr-" + suffix, "name": "p",
			"pricing_model": "PER_UNIT", "billing_mode": "METERED", "billing_interval": "MONTH", "billing_interval_count": 1,
			"aggregate_usage": "SUM", "billing_unit": "API_CALL", "tax_behavior": "EXCLUSIVE"})["id"]
		post("/api/price_amounts", map[string]any{"price_id": price, "meter_id": meter, "currency": "USD", "unit_amount_cents": 1})
		customer := post("/api/customers", map[string]any{"name": "c", "email": "c@example.com"})["id"].(string)
		attach := func() {
			f := post("/api/features", map[string]any{"code": "f-" + suffix, "name": "f", "feature_type": "metered", "meter_id": meter})
			b, _ := json.Marshal(map[string]any{"feature_ids": []any{f["id"]}})
			wantStatus(t, h.do("PUT", "/api/products/"+product+"/features", string(b), h.key()), 200)
		}
		if attachFirst {
			attach()
		}
		refused, _ := json.Marshal(map[string]any{"customer_id": customer, "collection_mode": "SEND_INVOICE",
			"billing_cycle_type": "MONTHLY", "items": []any{map[string]any{"price_id": price, "meter_id": meter}}})
		wantEnvelope(t, h.do("POST", "/api/subscriptions", string(refused), h.key()), 400, "validation_error", "meter_id", "unsupported")
		sub := post("/api/subscriptions", map[string]any{"customer_id": customer, "collection_mode": "SEND_INVOICE",
			"billing_cycle_type": "MONTHLY", "items": []any{map[string]any{"price_id": price}}})["id"].(string)
		wantStatus(t, h.do("POST", "/api/subscriptions/"+sub+"/activate", "", h.key()), 204)
		if !attachFirst {
			attach()
		}
		return customer, sub
	}
	customer, _ := chain(true)
	wantStatus(t, h.do("POST", "/api/usage", usageBody(customer, "rz_meter", uniqueKey("e")), h.key()), 200)
	late, _ := chain(false)
	wantEnvelope(t, h.do("POST", "/api/usage", usageBody(late, "rz_meter", uniqueKey("e")), h.key()), 400,
		"validation_error", "feature", "feature_not_entitled")
	// /admin/payment-providers is not routed.
	if r := h.do("POST", "/admin/payment-providers", `{"provider":"stripe","config":{"webhook_secret":"x"}}`, h.admin()); r.status != 404 {
		t.Fatalf("POST /admin/payment-providers: %d, want 404: %s", r.status, r.body)
	}
}
