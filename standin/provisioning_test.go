package standin

import (
	"fmt"
	"strings"
	"testing"
)

// provision runs contract 8.4 against a prefix (/api with the key, /admin with the session) and returns the new
// customer, which must then be able to ingest on the new meter.
func provision(t *testing.T, h *harness, prefix string, headers hdr, tag string) (customerID, meterCode string) {
	t.Helper()
	data := func(r resp) map[string]any {
		t.Helper()
		wantStatus(t, r, 200)
		return r.json(t)["data"].(map[string]any)
	}
	meterCode = "meter-" + tag
	m := data(h.do("POST", prefix+"/meters", fmt.Sprintf(`{"code":%q,"name":"M","aggregation_type":"SUM","unit":"call"}`, meterCode), headers))
	if m["active"] != true || m["aggregation"] != "SUM" {
		t.Fatalf("meter %v", m)
	}
	p := data(h.do("POST", prefix+"/products", fmt.Sprintf(`{"code":"prod-%s","name":"P"}`, tag), headers))
	pr := data(h.do("POST", prefix+"/prices", fmt.Sprintf(`{"product_id":%q,"code":"price-%s","name":"per unit","pricing_model":"PER_UNIT","billing_mode":"METERED","billing_interval":"MONTH","billing_interval_count":1,"aggregate_usage":"SUM","billing_unit":"API_CALL","tax_behavior":"EXCLUSIVE"}`, p["id"], tag), headers))
	if pr["version"] != float64(1) || pr["product_id"] != p["id"] {
		t.Fatalf("price %v", pr)
	}
	pa := data(h.do("POST", prefix+"/price_amounts", fmt.Sprintf(`{"price_id":%q,"meter_id":%q,"currency":"USD","unit_amount_cents":1}`, pr["id"], m["id"]), headers))
	if pa["status"] != "active" || pa["meter_id"] != m["id"] {
		t.Fatalf("price amount %v", pa)
	}
	c := data(h.do("POST", prefix+"/customers", fmt.Sprintf(`{"name":"c-%s","email":"c-%s@example.com"}`, tag, tag), headers))
	sub := data(h.do("POST", prefix+"/subscriptions", fmt.Sprintf(`{"customer_id":%q,"collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q,"meter_id":%q}]}`, c["id"], pr["id"], m["id"]), headers))
	if sub["status"] != "DRAFT" || len(sub["items"].([]any)) != 1 {
		t.Fatalf("subscription %v", sub)
	}
	item := sub["items"].([]any)[0].(map[string]any)
	if item["meter_code"] != meterCode || item["price_code"] != "price-"+tag {
		t.Fatalf("item %v", item)
	}
	// Not active yet: ingest is refused.
	r := h.do("POST", "/api/usage", usageBody(c["id"].(string), meterCode, uniqueKey("pre")), h.key())
	wantEnvelope(t, r, 400, "validation_error", "subscription", "invalid_subscription")
	wantStatus(t, h.do("POST", prefix+"/subscriptions/"+sub["id"].(string)+"/activate", "", headers), 204)
	wantStatus(t, h.do("POST", prefix+"/subscriptions/"+sub["id"].(string)+"/activate", "", headers), 204)
	return c["id"].(string), meterCode
}

func TestProvisioningFlow(t *testing.T) {
	h := start(t, Config{Customers: 2})
	for _, tc := range []struct {
		prefix string
		header hdr
	}{{"/api", h.key()}, {"/admin", h.admin()}} {
		tag := strings.Trim(tc.prefix, "/")
		cust, meter := provision(t, h, tc.prefix, tc.header, tag)
		wantStatus(t, h.do("POST", "/api/usage", usageBody(cust, meter, uniqueKey("post")), h.key()), 200)
		// A duplicate code is a raw unique violation in Valora: 500.
		wantEnvelope(t, h.do("POST", tc.prefix+"/meters", fmt.Sprintf(`{"code":%q,"name":"M","aggregation_type":"SUM","unit":"call"}`, meter), tc.header), 500, "internal_error", "", "")
	}
	if r := h.do("GET", "/api/subscriptions/"+h.fx.SubscriptionID, "", h.key()); !strings.Contains(string(r.body), `"Status":"ACTIVE"`) {
		t.Fatalf("fixture subscription %s", r.body)
	}
	wantStatus(t, h.do("GET", "/api/meters", "", h.key()), 200)
	if r := h.do("GET", "/admin/meters", "", h.admin()); !strings.Contains(string(r.body), `"code":"meter-admin"`) {
		t.Fatalf("admin meters %s", r.body)
	}
	wantStatus(t, h.do("GET", "/admin/subscriptions/"+h.fx.SubscriptionID, "", h.admin()), 200)
	wantEnvelope(t, h.do("GET", "/api/subscriptions/"+h.fx.SubscriptionID, "", hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey}), 404, "not_found", "", "")
}

func TestProvisioningValidation(t *testing.T) {
	h := start(t, Config{Customers: 2})
	k := h.key()
	price := func(fields string) string {
		base := map[string]string{"product_id": `"` + h.fx.ProductID + `"`, "code": `"c"`, "pricing_model": `"PER_UNIT"`, "billing_mode": `"METERED"`,
			"billing_interval": `"MONTH"`, "billing_interval_count": "1", "aggregate_usage": `"SUM"`, "billing_unit": `"API_CALL"`, "tax_behavior": `"EXCLUSIVE"`}
		for _, kv := range strings.Split(fields, ";") {
			if kv == "" {
				continue
			}
			name, value, _ := strings.Cut(kv, "=")
			if value == "" {
				delete(base, name)
			} else {
				base[name] = value
			}
		}
		var parts []string
		for name, value := range base {
			parts = append(parts, fmt.Sprintf("%q:%s", name, value))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	for _, tc := range []struct {
		path, body, field, code string
	}{
		{"/api/meters", `{"code":"","name":"n","aggregation_type":"SUM","unit":"u"}`, "code", "invalid_code"},
		{"/api/meters", `{"code":"c","name":"n","aggregation_type":"","unit":"u"}`, "aggregation_type", "invalid_aggregation_type"},
		{"/api/meters", `{"code":"c","name":"n","aggregation_type":"SUM"}`, "unit", "invalid_unit"},
		{"/api/meters", `{"code":1}`, "request", "invalid_request"},
		{"/api/products", `{"code":"p"}`, "name", "invalid_name"},
		{"/api/prices", price("product_id=\"x\""), "product", "invalid_product"},
		{"/api/prices", price("product_id=\"123\""), "product", "invalid_product"},
		{"/api/prices", price("pricing_model=\"BOGUS\""), "pricing_model", "invalid_pricing_model"},
		{"/api/prices", price("billing_mode=\"LICENSED\""), "billing_mode", "invalid_billing_mode"},
		{"/api/prices", price("billing_unit="), "billing_unit", "invalid_billing_unit"},
		{"/api/prices", price("aggregate_usage=\"MAX\""), "aggregate_usage", "invalid_aggregate_usage"},
		{"/api/prices", price("billing_interval_count=0"), "billing_interval_count", "invalid_billing_interval_count"},
		{"/api/prices", price("tax_behavior=\"NONE\""), "tax_behavior", "invalid_tax_behavior"},
		{"/api/prices", price("pricing_model=\"FLAT\";billing_mode=\"LICENSED\""), "aggregate_usage", "invalid_aggregate_usage"},
		{"/api/price_amounts", `{"price_id":"x","currency":"USD"}`, "price", "invalid_price"},
		{"/api/price_amounts", `{"price_id":"` + h.fx.PriceID + `","currency":""}`, "currency", "invalid_currency"},
		{"/api/price_amounts", `{"price_id":"` + h.fx.PriceID + `","currency":"USD","unit_amount_cents":-1}`, "unit_amount", "invalid_unit_amount"},
		{"/api/price_amounts", `{"price_id":"` + h.fx.PriceID + `","meter_id":"m","currency":"USD"}`, "meter_id", "invalid_meter_id"},
		{"/api/subscriptions", `{"customer_id":"x"}`, "customer", "invalid_customer"},
		{"/api/subscriptions", `{"customer_id":"` + h.fx.CustomerID + `","billing_cycle_type":"yearly"}`, "billing_cycle_type", "invalid_billing_cycle_type"},
		{"/api/subscriptions", `{"customer_id":"` + h.fx.CustomerID + `","billing_cycle_type":"MONTHLY","items":[]}`, "items", "invalid_items"},
		{"/api/subscriptions", `{"customer_id":"` + h.fx.CustomerID + `","billing_cycle_type":"MONTHLY","collection_mode":"send_invoice","items":[{"price_id":"1"}]}`, "collection_mode", "invalid_collection_mode"},
		{"/api/subscriptions", `{"customer_id":"` + h.fx.CustomerID + `","billing_cycle_type":"WEEKLY","collection_mode":"SEND_INVOICE","items":[{"price_id":"` + h.fx.PriceID + `"}]}`, "billing_cycle_type", "invalid_billing_cycle_type"},
	} {
		wantEnvelope(t, h.do("POST", tc.path, tc.body, k), 400, "validation_error", tc.field, tc.code)
	}
	wantEnvelope(t, h.do("POST", "/api/subscriptions/abc/activate", "", k), 400, "validation_error", "id", "invalid_id")
	wantEnvelope(t, h.do("POST", "/api/subscriptions/123/activate", "", k), 404, "not_found", "", "")

	// A metered price without a price amount: Valora panics while creating the subscription, 500 with no body.
	p := h.do("POST", "/api/prices", strings.Replace(price(""), `"c"`, `"no-amount"`, 1), k).json(t)["data"].(map[string]any)
	r := h.do("POST", "/api/subscriptions", fmt.Sprintf(`{"customer_id":%q,"collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q}]}`, h.fx.CustomerID, p["id"]), k)
	if r.status != 500 || len(r.body) != 0 {
		t.Fatalf("subscription on an unpriced price: %d %q", r.status, r.body)
	}
	// Activation needs the customer to exist.
	sub := h.do("POST", "/api/subscriptions", fmt.Sprintf(`{"customer_id":"42","collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q}]}`, h.fx.PriceID), k)
	wantStatus(t, sub, 200)
	id := sub.json(t)["data"].(map[string]any)["id"].(string)
	wantEnvelope(t, h.do("POST", "/api/subscriptions/"+id+"/activate", "", k), 400, "validation_error", "missing_customer", "missing_customer")
}
