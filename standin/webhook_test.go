package standin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/extension/webhook"
)

const asyncDelay = 20 * time.Millisecond

func stripeEvent(t *testing.T, typ, id, customer string, amount int64) []byte {
	t.Helper()
	obj := "ch_1"
	if typ == "payment_intent.succeeded" || typ == "payment_intent.payment_failed" {
		obj = "pi_1"
	}
	b, err := webhook.StripeEvent(webhook.StripeEventParams{Type: typ, ID: id, ObjectID: obj, CustomerID: customer,
		Currency: "usd", Amount: amount, Created: 1767225600})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *harness) postStripe(payload []byte, secret string) resp {
	h.t.Helper()
	headers := hdr{"Content-Type": "application/json"}
	if secret != "" {
		sig, err := webhook.SignStripe(payload, 1700000000, secret) // an old timestamp: Valora has no tolerance
		if err != nil {
			h.t.Fatal(err)
		}
		headers["Stripe-Signature"] = sig.Header
	}
	return h.do("POST", "/api/payments/webhooks/stripe", string(payload), headers)
}

// settle waits until every pending balance update has landed and returns the balance; want is only a hint
// for the error message of the caller.
func (h *harness) settle(customerID string, want int64) int64 {
	h.t.Helper()
	if !eventually(h.t, 5*time.Second, func() bool { return h.s.asyncPending.Load() == 0 }) {
		h.t.Fatalf("balance updates still pending (want %d)", want)
	}
	return h.s.Balance(customerID)
}

func dashboardBalance(t *testing.T, h *harness, customerID string) (float64, string) {
	t.Helper()
	for _, c := range h.do("GET", "/admin/billing/customers", "", h.admin()).json(t)["customers"].([]any) {
		m := c.(map[string]any)
		if m["customer_id"] == customerID {
			return m["balance"].(float64), m["payment_status"].(string)
		}
	}
	t.Fatalf("customer %s not on the dashboard", customerID)
	return 0, ""
}

func TestStripeWebhookIdempotency(t *testing.T) {
	h := start(t, Config{Customers: 3, WebhookAsyncDelay: asyncDelay})
	payload := stripeEvent(t, "charge.succeeded", "evt_once", h.fx.CustomerID, 1000)

	r := h.postStripe(payload, h.fx.WebhookSecret)
	wantStatus(t, r, 200)
	if string(r.body) != `{"status":"ok"}` {
		t.Fatalf("body %s", r.body)
	}
	if b := h.s.Balance(h.fx.CustomerID); b != 0 {
		t.Fatalf("balance changed synchronously: %d", b)
	}
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d, want -1000", got)
	}
	if bal, status := dashboardBalance(t, h, h.fx.CustomerID); bal != -1000 || status != "credit" {
		t.Fatalf("dashboard %v %s", bal, status)
	}
	// Replays, sequential and concurrent: 200 and no further change.
	wantStatus(t, h.postStripe(payload, h.fx.WebhookSecret), 200)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := h.postStripe(payload, h.fx.WebhookSecret); r.status != 200 {
				t.Errorf("concurrent replay: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d after replays, want -1000", got)
	}

	// Ten concurrent first deliveries of a new event: one effect.
	fresh := stripeEvent(t, "payment_intent.succeeded", "evt_burst", h.fx.CustomerID, 250)
	start := make(chan struct{})
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if r := h.postStripe(fresh, h.fx.WebhookSecret); r.status != 200 {
				t.Errorf("concurrent delivery: %d", r.status)
			}
		}()
	}
	close(start)
	wg.Wait()
	if got := h.settle(h.fx.CustomerID, -1250); got != -1250 {
		t.Fatalf("balance %d, want -1250", got)
	}
	// A refund adds back.
	wantStatus(t, h.postStripe(stripeEvent(t, "charge.refunded", "evt_refund", h.fx.CustomerID, 250), h.fx.WebhookSecret), 200)
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d after refund, want -1000", got)
	}
	// A failed payment is recorded but moves nothing.
	wantStatus(t, h.postStripe(stripeEvent(t, "payment_intent.payment_failed", "evt_failed", h.fx.CustomerID, 99), h.fx.WebhookSecret), 200)
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d after a failure, want -1000", got)
	}
	if n := h.s.Stats().PaymentsApplied; n != 3 {
		t.Fatalf("%d payments applied, want 3", n)
	}

	// webhook-replay: the same event moves the balance on every delivery.
	h.s.SetFaults(FaultWebhookReplay)
	for i := 0; i < 3; i++ {
		wantStatus(t, h.postStripe(payload, h.fx.WebhookSecret), 200)
	}
	if got := h.settle(h.fx.CustomerID, -4000); got != -4000 {
		t.Fatalf("webhook-replay: balance %d, want -4000", got)
	}
}

func TestStripeWebhookRefusals(t *testing.T) {
	h := start(t, Config{Customers: 2, WebhookAsyncDelay: asyncDelay})
	good := stripeEvent(t, "charge.succeeded", "evt_r", h.fx.CustomerID, 500)
	sig, _ := webhook.SignStripe(good, 1700000000, h.fx.WebhookSecret)
	post := func(provider string, body []byte, headers hdr) resp {
		return h.do("POST", "/api/payments/webhooks/"+provider, string(body), headers)
	}
	tampered := []byte(strings.Replace(string(good), `"amount":500`, `"amount":5000`, 1))
	if string(tampered) == string(good) {
		t.Fatal("tampering did not change the body")
	}
	noCustomer := []byte(`{"id":"evt_nc","type":"charge.succeeded","created":1,"data":{"object":{"id":"ch_1","amount":1,"currency":"usd","metadata":{}}}}`)
	noCustomerSig, _ := webhook.SignStripe(noCustomer, 1, h.fx.WebhookSecret)
	ignored := []byte(`{"id":"evt_ign","type":"customer.created","data":{"object":{}}}`)
	ignoredSig, _ := webhook.SignStripe(ignored, 1, h.fx.WebhookSecret)
	noID := []byte(`{"type":"customer.created","data":{"object":{}}}`)
	noIDSig, _ := webhook.SignStripe(noID, 1, h.fx.WebhookSecret)
	zeroAmount := []byte(fmt.Sprintf(`{"id":"evt_z","type":"charge.succeeded","data":{"object":{"id":"ch","amount":0,"currency":"usd","metadata":{"customer_id":%s}}}}`, h.fx.CustomerID))
	zeroSig, _ := webhook.SignStripe(zeroAmount, 1, h.fx.WebhookSecret)
	noCurrency := []byte(fmt.Sprintf(`{"id":"evt_c","type":"charge.succeeded","data":{"object":{"id":"ch","amount":5,"metadata":{"customer_id":"%s"}}}}`, h.fx.CustomerID))
	noCurrencySig, _ := webhook.SignStripe(noCurrency, 1, h.fx.WebhookSecret)
	upper := "t=1700000000,v1=" + fmt.Sprintf("%X", sig.Signatures[0])

	for _, tc := range []struct {
		name, provider string
		body           []byte
		headers        hdr
		status         int
		field, code    string
	}{
		{"tampered body", "stripe", tampered, hdr{"Stripe-Signature": sig.Header}, 400, "signature", "invalid_signature"},
		{"missing signature", "stripe", good, nil, 400, "signature", "invalid_signature"},
		{"wrong secret", "stripe", good, hdr{"Stripe-Signature": "t=1,v1=00"}, 400, "signature", "invalid_signature"},
		{"uppercase hex", "stripe", good, hdr{"Stripe-Signature": upper}, 400, "signature", "invalid_signature"},
		{"not JSON", "stripe", []byte("nope"), hdr{"Stripe-Signature": sig.Header}, 400, "payload", "invalid_payload"},
		{"empty body", "stripe", nil, nil, 400, "payload", "invalid_payload"},
		{"no customer_id", "stripe", noCustomer, hdr{"Stripe-Signature": noCustomerSig.Header}, 400, "customer", "invalid_customer"},
		{"no event id", "stripe", noID, hdr{"Stripe-Signature": noIDSig.Header}, 400, "event", "invalid_event"},
		{"zero amount", "stripe", zeroAmount, hdr{"Stripe-Signature": zeroSig.Header}, 400, "amount", "invalid_amount"},
		{"no currency", "stripe", noCurrency, hdr{"Stripe-Signature": noCurrencySig.Header}, 400, "currency", "invalid_currency"},
		{"ignored type", "stripe", ignored, hdr{"Stripe-Signature": ignoredSig.Header}, 200, "", ""},
		{"unknown provider", "paypal", good, nil, 404, "", ""},
		{"catalogue provider without adapter", "midtrans", good, nil, 404, "", ""},
		{"blank provider", "%20", good, nil, 400, "provider", "invalid_provider"},
		{"provider case", "STRIPE", good, hdr{"Stripe-Signature": sig.Header}, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.provider, tc.body, tc.headers)
			switch {
			case tc.status == 200:
				wantStatus(t, r, 200)
			case tc.status == 404:
				wantEnvelope(t, r, 404, "not_found", "", "")
			default:
				wantEnvelope(t, r, tc.status, "validation_error", tc.field, tc.code)
			}
		})
	}
	if got := h.settle(h.fx.CustomerID, -500); got != -500 { // only "provider case" was processed
		t.Fatalf("balance %d", got)
	}
	// Ignored events are not stored: no idempotency record.
	if _, ok := h.s.st.payments.events[paymentKey{"stripe", "evt_ign"}]; ok {
		t.Fatal("ignored event stored")
	}

	// webhook-unsigned: anything goes, as the first active config's org.
	h.s.SetFaults(FaultWebhookUnsigned)
	unsigned := stripeEvent(t, "charge.succeeded", "evt_unsigned", h.fx.CustomerID, 100)
	wantStatus(t, post("stripe", unsigned, nil), 200)
	wantStatus(t, post("stripe", stripeEvent(t, "charge.succeeded", "evt_wrong_sig", h.fx.CustomerID, 500), hdr{"Stripe-Signature": "t=1,v1=bad"}), 200)
	if got := h.settle(h.fx.CustomerID, -600-500); got != -1100 {
		t.Fatalf("webhook-unsigned balance %d, want -1100", got)
	}
	wantEnvelope(t, post("stripe", []byte("nope"), nil), 400, "validation_error", "payload", "invalid_payload")
}

func TestWebhookOrgResolution(t *testing.T) {
	h := start(t, Config{Customers: 2, WebhookAsyncDelay: asyncDelay})
	// Give org Other a Stripe config of its own: the config that verifies decides the org.
	h.s.upsertProviderConfig(mustID(t, h.fx.OtherOrgID), "stripe", map[string]any{"webhook_secret": "whsec_other"}, time.Now())
	payload := stripeEvent(t, "charge.succeeded", "evt_other", h.fx.OtherCustomerID, 700)
	wantStatus(t, h.postStripe(payload, "whsec_other"), 200)
	oc := orgCustomer{mustID(t, h.fx.OtherOrgID), mustID(t, h.fx.OtherCustomerID)}
	eventually(t, time.Second, func() bool {
		h.s.st.mu.RLock()
		defer h.s.st.mu.RUnlock()
		return h.s.st.balances[oc] != nil && h.s.st.balances[oc].Amount == -700
	})
	h.s.st.mu.RLock()
	b := h.s.st.balances[oc]
	h.s.st.mu.RUnlock()
	if b == nil || b.Amount != -700 || b.Currency != "USD" {
		t.Fatalf("other org balance %+v", b)
	}
	// The event id is global per provider: the same id signed for Main is a replay.
	again := stripeEvent(t, "charge.succeeded", "evt_other", h.fx.CustomerID, 700)
	wantStatus(t, h.postStripe(again, h.fx.WebhookSecret), 200)
	if got := h.settle(h.fx.CustomerID, 0); got != 0 {
		t.Fatalf("main balance %d, want 0 (event id already processed)", got)
	}

	// A config without a usable secret is remembered: when nothing verifies, Valora answers 500.
	h.s.upsertProviderConfig(mustID(t, h.fx.OtherOrgID), "stripe", map[string]any{"webhook_secret": 42.0}, time.Now())
	wantEnvelope(t, h.postStripe(payload, "whsec_unknown"), 500, "internal_error", "", "")

	// No active config for a provider: 404.
	wantStatus(t, h.do("PATCH", "/admin/payment-providers/braintree", `{"is_active":false}`, h.admin()), 200)
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", `{}`, nil), 404, "not_found", "", "")
}

func TestAdyenWebhook(t *testing.T) {
	h := start(t, Config{Customers: 2, WebhookAsyncDelay: asyncDelay})
	raw, err := webhook.AdyenEvent(webhook.AdyenEventParams{EventCode: "AUTHORISATION", Success: true, CustomerID: h.fx.CustomerID,
		Amount: 1500, Currency: "EUR", PspReference: "PSP1", MerchantAccountCode: "Acct", MerchantReference: "ref-1"})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := webhook.SignAdyen(raw, h.fx.AdyenHMACKey)
	if err != nil {
		t.Fatal(err)
	}
	post := func(body []byte) resp { return h.do("POST", "/api/payments/webhooks/adyen", string(body), nil) }
	wantStatus(t, post(signed), 200)
	wantStatus(t, post(signed), 200)
	if got := h.settle(h.fx.CustomerID, -1500); got != -1500 {
		t.Fatalf("balance %d, want -1500", got)
	}
	if _, ok := h.s.st.payments.events[paymentKey{"adyen", "PSP1_AUTHORISATION"}]; !ok {
		t.Fatal("event id is not <pspReference>_<eventCode>")
	}
	wrongKey, _ := webhook.SignAdyen(raw, "00112233")
	wantEnvelope(t, post(wrongKey), 400, "validation_error", "signature", "invalid_signature")
	wantEnvelope(t, post(raw), 400, "validation_error", "signature", "invalid_signature") // unsigned item
	wantEnvelope(t, post([]byte(`{"notificationItems":[]}`)), 400, "validation_error", "payload", "invalid_payload")
	wantEnvelope(t, post([]byte(`{"notificationItems":[{"NotificationRequestItem":{"success":true}}]}`)), 400, "validation_error", "payload", "invalid_payload")

	// A non-hex key ends the loop with invalid_config: 500.
	h.s.upsertProviderConfig(h.fx.orgID, "adyen", map[string]any{"hmac_key": "zz"}, time.Now())
	wantEnvelope(t, post(signed), 500, "internal_error", "", "")
}

func TestBraintreeWebhookIsUnreachable(t *testing.T) {
	h := start(t, Config{Customers: 2, WebhookAsyncDelay: asyncDelay})
	xml := fmt.Sprintf("<notification><kind>transaction_settled</kind><id>tx1</id><customer-id>%s</customer-id><amount>12.34</amount></notification>", h.fx.CustomerID)
	btPayload := base64.StdEncoding.EncodeToString([]byte(xml))
	form := webhook.BraintreeForm(h.fx.BraintreePublicKey, h.fx.BraintreePrivateKey, btPayload)
	// Valora checks json.Valid before any adapter: a real Braintree form never gets through.
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", form, hdr{"Content-Type": "application/x-www-form-urlencoded"}),
		400, "validation_error", "payload", "invalid_payload")
	// A JSON string literal that is also a form does reach the adapter, as in Valora.
	jsonForm := `"&` + form + `&"`
	if !json.Valid([]byte(jsonForm)) {
		t.Fatalf("not JSON: %s", jsonForm)
	}
	wantStatus(t, h.do("POST", "/api/payments/webhooks/braintree", jsonForm, nil), 200)
	if got := h.settle(h.fx.CustomerID, -1234); got != -1234 {
		t.Fatalf("balance %d, want -1234", got)
	}
	badSig := `"&` + webhook.BraintreeForm(h.fx.BraintreePublicKey, "wrong", btPayload) + `&"`
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", badSig, nil), 400, "validation_error", "signature", "invalid_signature")
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", `{"a":1}`, nil), 400, "validation_error", "payload", "invalid_payload")
}
