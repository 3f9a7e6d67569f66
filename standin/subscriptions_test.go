package standin

import (
	"fmt"
	"strings"
	"testing"
)

// TestActivationIgnoredFault: activation-ignored answers …/subscriptions/:id/activate with 204, after the same
// checks, but the subscription keeps its status, so ingest for its customer is refused invalid_subscription. On
// /api and /admin, with the usage limiter off and on.
func TestActivationIgnoredFault(t *testing.T) {
	for _, rateLimit := range []bool{false, true} {
		h := start(t, Config{Customers: 2, RateLimit: rateLimit})
		h.s.SetFaults(FaultActivationIgnored)
		type draft struct{ prefix, customer, sub string }
		var drafts []draft
		for _, tc := range []struct {
			prefix string
			header hdr
		}{{"/api", h.key()}, {"/admin", h.admin()}} {
			c := h.do("POST", tc.prefix+"/customers", `{"name":"draft","email":"draft@example.com"}`, tc.header)
			wantStatus(t, c, 200)
			customer := str(t, c.json(t)["data"].(map[string]any)["id"])
			s := h.do("POST", tc.prefix+"/subscriptions", fmt.Sprintf(`{"customer_id":%q,"collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q}]}`,
				customer, h.fx.PriceID), tc.header)
			wantStatus(t, s, 200)
			sub := str(t, s.json(t)["data"].(map[string]any)["id"])
			for i := 0; i < 2; i++ {
				if r := h.do("POST", tc.prefix+"/subscriptions/"+sub+"/activate", "", tc.header); r.status != 204 || len(r.body) != 0 {
					t.Fatalf("limiter %v %s: activate answered %d %q", rateLimit, tc.prefix, r.status, r.body)
				}
			}
			if r := h.do("GET", tc.prefix+"/subscriptions/"+sub, "", tc.header); !strings.Contains(string(r.body), `"Status":"DRAFT"`) {
				t.Fatalf("limiter %v %s: after activation %s", rateLimit, tc.prefix, r.body)
			}
			wantEnvelope(t, h.do("POST", "/api/usage", usageBody(customer, h.fx.MeterCode, uniqueKey("draft")), h.key()),
				400, "validation_error", "subscription", "invalid_subscription")
			// The checks before the change are Valora's as ever.
			wantEnvelope(t, h.do("POST", tc.prefix+"/subscriptions/abc/activate", "", tc.header), 400, "validation_error", "id", "invalid_id")
			wantEnvelope(t, h.do("POST", tc.prefix+"/subscriptions/123/activate", "", tc.header), 404, "not_found", "", "")
			drafts = append(drafts, draft{tc.prefix, customer, sub})
		}
		orphan := h.do("POST", "/api/subscriptions", fmt.Sprintf(`{"customer_id":"42","collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q}]}`, h.fx.PriceID), h.key())
		wantEnvelope(t, h.do("POST", "/api/subscriptions/"+str(t, orphan.json(t)["data"].(map[string]any)["id"])+"/activate", "", h.key()),
			400, "validation_error", "missing_customer", "missing_customer")
		// The fixture's ACTIVE subscription stays ACTIVE.
		wantStatus(t, h.do("POST", "/api/subscriptions/"+h.fx.SubscriptionID+"/activate", "", h.key()), 204)
		wantStatus(t, h.ingest(uniqueKey("fixture")), 200)

		h.s.SetFaults()
		for _, d := range drafts {
			headers := h.key()
			if d.prefix == "/admin" {
				headers = h.admin()
			}
			wantStatus(t, h.do("POST", d.prefix+"/subscriptions/"+d.sub+"/activate", "", headers), 204)
			if r := h.do("GET", d.prefix+"/subscriptions/"+d.sub, "", headers); !strings.Contains(string(r.body), `"Status":"ACTIVE"`) {
				t.Fatalf("limiter %v %s: healthy activation left %s", rateLimit, d.prefix, r.body)
			}
			wantStatus(t, h.do("POST", "/api/usage", usageBody(d.customer, h.fx.MeterCode, uniqueKey("active")), h.key()), 200)
		}
	}
}
