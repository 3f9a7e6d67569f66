package standin

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v86/webhook"

	"github.com/valora-k6/valora-k6/valoraid"
)

// The webhook tests sign with stripe-go (Stripe) and with the stand-in's own Adyen signer, whose signing string
// and HMAC are pinned to Adyen's published example in verify_test.go: nothing here comes from the suite's signers.

// stripeEvent is a Stripe event of the given type whose object pays (or refunds) amount for customer.
func stripeEvent(t testing.TB, typ, id, customer string, amount int64) []byte {
	t.Helper()
	obj := map[string]any{"id": "ch_1", "object": "charge", "amount": amount, "currency": "usd", "created": 1767225600,
		"metadata": map[string]any{"customer_id": customer}}
	switch typ {
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		obj["id"], obj["object"] = "pi_1", "payment_intent"
		if typ == "payment_intent.succeeded" {
			obj["amount_received"] = amount
		}
	case "charge.refunded":
		obj["amount_refunded"] = amount
	}
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": 1767225600,
		"data": map[string]any{"object": obj}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stripeHeader is a Stripe-Signature header made by stripe-go's test signer.
func stripeHeader(payload []byte, secret string, timestamp int64) string {
	return stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{
		Payload: payload, Secret: secret, Timestamp: time.Unix(timestamp, 0)}).Header
}

func (h *harness) postStripe(payload []byte, secret string) resp {
	h.t.Helper()
	headers := hdr{"Content-Type": "application/json"}
	if secret != "" {
		headers["Stripe-Signature"] = stripeHeader(payload, secret, 1700000000) // an old timestamp: Valora has no tolerance
	}
	return h.do("POST", "/api/payments/webhooks/stripe", string(payload), headers)
}

// settle runs rollup ticks until no billing event is pending and returns the customer's balance in org Main;
// want is only a hint for the caller's message.
func (h *harness) settle(customerID string, want int64) int64 {
	h.t.Helper()
	for i := 0; ; i++ {
		if pending, _ := h.s.billingStats(); pending == 0 {
			break
		}
		if i > 10000 {
			h.t.Fatalf("billing events still pending (want balance %d)", want)
		}
		h.s.rollupOnce()
	}
	return h.s.Balance(customerID)
}

func dashboardBalance(t *testing.T, h *harness, headers hdr, customerID string) (float64, string) {
	t.Helper()
	r := h.do("GET", "/admin/billing/customers", "", headers)
	wantStatus(t, r, 200)
	for _, c := range r.json(t)["customers"].([]any) {
		m := c.(map[string]any)
		if m["customer_id"] == customerID {
			return m["balance"].(float64), m["payment_status"].(string)
		}
	}
	t.Fatalf("customer %s not on the dashboard: %s", customerID, r.body)
	return 0, ""
}

// otherAdmin is the headers of an /admin call as org Other's owner.
func (h *harness) otherAdmin() hdr {
	h.t.Helper()
	org, err := valoraid.ParseString(h.fx.OtherOrgID)
	if err != nil {
		h.t.Fatal(err)
	}
	var owner valoraid.ID
	h.s.st.mu.RLock()
	for id := range h.s.st.members[org] {
		owner = id
	}
	h.s.st.mu.RUnlock()
	tok, _, err := h.s.createSession(owner, h.s.rand)
	if err != nil {
		h.t.Fatal(err)
	}
	return hdr{"Cookie": "_sid=" + tok, "X-Org-Id": h.fx.OtherOrgID}
}

func TestStripeWebhookIdempotency(t *testing.T) {
	h := start(t, Config{Customers: 3})
	payload := stripeEvent(t, "charge.succeeded", "evt_once", h.fx.CustomerID, 1000)

	r := h.postStripe(payload, h.fx.WebhookSecret)
	wantStatus(t, r, 200)
	if string(r.body) != `{"status":"ok"}` {
		t.Fatalf("body %s", r.body)
	}
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d, want -1000", got)
	}
	if bal, status := dashboardBalance(t, h, h.admin(), h.fx.CustomerID); bal != -1000 || status != "credit" {
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
	// A failed payment is recorded but moves nothing: no billing event.
	wantStatus(t, h.postStripe(stripeEvent(t, "payment_intent.payment_failed", "evt_failed", h.fx.CustomerID, 99), h.fx.WebhookSecret), 200)
	if st := h.s.Stats(); st.BillingEventsPending != 0 {
		t.Fatalf("a failed payment queued a billing event: %+v", st)
	}
	if n := h.s.Stats().PaymentsApplied; n != 3 {
		t.Fatalf("%d payments applied, want 3", n)
	}
}

// TestWebhookReplayFaultAfterTicks: under webhook-replay every delivery queues its own billing event, so the ticks
// show the effect once per delivery.
func TestWebhookReplayFaultAfterTicks(t *testing.T) {
	h := start(t, Config{Customers: 3})
	payload := stripeEvent(t, "charge.succeeded", "evt_replayed", h.fx.CustomerID, 1000)
	wantStatus(t, h.postStripe(payload, h.fx.WebhookSecret), 200)
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d, want -1000", got)
	}
	h.s.SetFaults(FaultWebhookReplay)
	for i := 0; i < 3; i++ {
		wantStatus(t, h.postStripe(payload, h.fx.WebhookSecret), 200)
	}
	if b := h.s.Balance(h.fx.CustomerID); b != -1000 {
		t.Fatalf("replays moved the balance before a tick: %d", b)
	}
	if got := h.settle(h.fx.CustomerID, -4000); got != -4000 {
		t.Fatalf("webhook-replay: balance %d after the ticks, want -4000", got)
	}
	if bal, _ := dashboardBalance(t, h, h.admin(), h.fx.CustomerID); bal != -4000 {
		t.Fatalf("webhook-replay: dashboard shows %v, want -4000", bal)
	}
}

// TestCrossTenantWebhook is contract 5.1 step 4: the first active config whose secret verifies decides the org,
// and the customer id is taken from the event without checking that it belongs to that org.
func TestCrossTenantWebhook(t *testing.T) {
	h := start(t, Config{Customers: 3})
	other := h.otherAdmin()

	// Signed with Main's secret, naming Other's customer: 200, stored and processed as Main's payment.
	r := h.postStripe(stripeEvent(t, "charge.succeeded", "evt_cross_a", h.fx.OtherCustomerID, 900), h.fx.WebhookSecret)
	wantStatus(t, r, 200)
	if e := h.s.st.payments.events[paymentKey{"stripe", "evt_cross_a"}]; e == nil || e.OrgID != h.fx.orgID {
		t.Fatalf("stored event %+v, want org Main's", e)
	}
	h.settle(h.fx.CustomerID, 0)
	if got := h.s.OrgBalance(h.fx.OrgID, h.fx.OtherCustomerID); got != -900 {
		t.Fatalf("balance row (Main, Other's customer) %d, want -900", got)
	}
	// Other's own dashboard does not move: the row belongs to Main, whose dashboard does not list the customer.
	if bal, status := dashboardBalance(t, h, other, h.fx.OtherCustomerID); bal != 0 || status != "settled" {
		t.Fatalf("Other's dashboard shows %v %s for its customer, want 0 settled", bal, status)
	}
	if r := h.do("GET", "/admin/billing/customers", "", h.admin()); strings.Contains(string(r.body), h.fx.OtherCustomerID) {
		t.Fatalf("Main's dashboard lists Other's customer: %s", r.body)
	}

	// The other way round: Other's secret naming Main's customer moves (Other, Main's customer) only.
	wantStatus(t, h.postStripe(stripeEvent(t, "charge.succeeded", "evt_cross_b", h.fx.CustomerID, 400), h.fx.OtherWebhookSecret), 200)
	h.settle(h.fx.CustomerID, 0)
	if got := h.s.OrgBalance(h.fx.OtherOrgID, h.fx.CustomerID); got != -400 {
		t.Fatalf("balance row (Other, Main's customer) %d, want -400", got)
	}
	if bal, _ := dashboardBalance(t, h, h.admin(), h.fx.CustomerID); bal != 0 {
		t.Fatalf("Main's dashboard shows %v for its customer, want 0", bal)
	}

	// Each org's own payment shows on its own dashboard.
	wantStatus(t, h.postStripe(stripeEvent(t, "charge.succeeded", "evt_own_b", h.fx.OtherCustomerID, 300), h.fx.OtherWebhookSecret), 200)
	h.settle(h.fx.CustomerID, 0)
	if bal, _ := dashboardBalance(t, h, other, h.fx.OtherCustomerID); bal != -300 {
		t.Fatalf("Other's dashboard shows %v, want -300", bal)
	}
}

func TestStripeWebhookRefusals(t *testing.T) {
	h := start(t, Config{Customers: 2})
	good := stripeEvent(t, "charge.succeeded", "evt_r", h.fx.CustomerID, 500)
	goodSig := stripeHeader(good, h.fx.WebhookSecret, 1700000000)
	post := func(provider string, body []byte, headers hdr) resp {
		return h.do("POST", "/api/payments/webhooks/"+provider, string(body), headers)
	}
	tampered := []byte(strings.Replace(string(good), `"amount":500`, `"amount":5000`, 1))
	if string(tampered) == string(good) {
		t.Fatal("tampering did not change the body")
	}
	sign := func(body []byte) hdr {
		return hdr{"Stripe-Signature": stripeHeader(body, h.fx.WebhookSecret, 1)}
	}
	noCustomer := []byte(`{"id":"evt_nc","type":"charge.succeeded","created":1,"data":{"object":{"id":"ch_1","amount":1,"currency":"usd","metadata":{}}}}`)
	ignored := []byte(`{"id":"evt_ign","type":"customer.created","data":{"object":{}}}`)
	noID := []byte(`{"type":"customer.created","data":{"object":{}}}`)
	zeroAmount := []byte(fmt.Sprintf(`{"id":"evt_z","type":"charge.succeeded","data":{"object":{"id":"ch","amount":0,"currency":"usd","metadata":{"customer_id":%s}}}}`, h.fx.CustomerID))
	noCurrency := []byte(fmt.Sprintf(`{"id":"evt_c","type":"charge.succeeded","data":{"object":{"id":"ch","amount":5,"metadata":{"customer_id":"%s"}}}}`, h.fx.CustomerID))
	upper := strings.Replace(goodSig, "v1="+goodSig[strings.Index(goodSig, "v1=")+3:], "v1="+strings.ToUpper(goodSig[strings.Index(goodSig, "v1=")+3:]), 1)

	for _, tc := range []struct {
		name, provider string
		body           []byte
		headers        hdr
		status         int
		field, code    string
	}{
		{"tampered body", "stripe", tampered, hdr{"Stripe-Signature": goodSig}, 400, "signature", "invalid_signature"},
		{"missing signature", "stripe", good, nil, 400, "signature", "invalid_signature"},
		{"wrong secret", "stripe", good, hdr{"Stripe-Signature": stripeHeader(good, "whsec_wrong", 1700000000)}, 400, "signature", "invalid_signature"},
		{"garbage signature", "stripe", good, hdr{"Stripe-Signature": "t=1,v1=00"}, 400, "signature", "invalid_signature"},
		{"uppercase hex", "stripe", good, hdr{"Stripe-Signature": upper}, 400, "signature", "invalid_signature"},
		{"not JSON", "stripe", []byte("nope"), hdr{"Stripe-Signature": goodSig}, 400, "payload", "invalid_payload"},
		{"empty body", "stripe", nil, nil, 400, "payload", "invalid_payload"},
		{"no customer_id", "stripe", noCustomer, sign(noCustomer), 400, "customer", "invalid_customer"},
		{"no event id", "stripe", noID, sign(noID), 400, "event", "invalid_event"},
		{"zero amount", "stripe", zeroAmount, sign(zeroAmount), 400, "amount", "invalid_amount"},
		{"no currency", "stripe", noCurrency, sign(noCurrency), 400, "currency", "invalid_currency"},
		{"ignored type", "stripe", ignored, sign(ignored), 200, "", ""},
		{"unknown provider", "paypal", good, nil, 404, "", ""},
		{"catalogue provider without adapter", "midtrans", good, nil, 404, "", ""},
		{"blank provider", "%20", good, nil, 400, "provider", "invalid_provider"},
		{"provider case", "STRIPE", good, hdr{"Stripe-Signature": goodSig}, 200, "", ""},
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
	h := start(t, Config{Customers: 2})
	// Replace org Other's fixture secret: the config that verifies decides the org.
	h.s.upsertProviderConfig(mustID(t, h.fx.OtherOrgID), "stripe", map[string]any{"webhook_secret": "whsec_other"}, time.Now())
	payload := stripeEvent(t, "charge.succeeded", "evt_other", h.fx.OtherCustomerID, 700)
	wantStatus(t, h.postStripe(payload, "whsec_other"), 200)
	h.settle(h.fx.CustomerID, 0)
	oc := orgCustomer{mustID(t, h.fx.OtherOrgID), mustID(t, h.fx.OtherCustomerID)}
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

// adyenBody is a notification with the given items; sign sets each item's hmacSignature with hexKey.
func adyenBody(t testing.TB, hexKey string, sign bool, items ...adyenItem) []byte {
	t.Helper()
	type wrapper struct {
		Item adyenItem `json:"NotificationRequestItem"`
	}
	var ws []wrapper
	for _, it := range items {
		if sign {
			key, err := hex.DecodeString(hexKey)
			if err != nil {
				t.Fatal(err)
			}
			ad := map[string]string{}
			for k, v := range it.AdditionalData {
				ad[k] = v
			}
			ad[adyenSignatureKey] = adyenSignature(key, &it)
			it.AdditionalData = ad
		}
		ws = append(ws, wrapper{it})
	}
	b, err := json.Marshal(map[string]any{"live": "false", "notificationItems": ws})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func adyenAuthorisation(customerID, psp string, amount int64) adyenItem {
	it := adyenItem{AdditionalData: map[string]string{"metadata.customer_id": customerID}, EventCode: "AUTHORISATION",
		MerchantAccountCode: "Acct", MerchantReference: "ref-1", PspReference: psp, Success: "true"}
	it.Amount.Currency, it.Amount.Value = "EUR", amount
	return it
}

func TestAdyenWebhook(t *testing.T) {
	h := start(t, Config{Customers: 2})
	item := adyenAuthorisation(h.fx.CustomerID, "PSP1", 1500)
	signed := adyenBody(t, h.fx.AdyenHMACKey, true, item)
	post := func(body []byte) resp { return h.do("POST", "/api/payments/webhooks/adyen", string(body), nil) }
	wantStatus(t, post(signed), 200)
	wantStatus(t, post(signed), 200)
	if got := h.settle(h.fx.CustomerID, -1500); got != -1500 {
		t.Fatalf("balance %d, want -1500", got)
	}
	if _, ok := h.s.st.payments.events[paymentKey{"adyen", "PSP1_AUTHORISATION"}]; !ok {
		t.Fatal("event id is not <pspReference>_<eventCode>")
	}
	wantEnvelope(t, post(adyenBody(t, "00112233", true, item)), 400, "validation_error", "signature", "invalid_signature")
	wantEnvelope(t, post(adyenBody(t, "", false, item)), 400, "validation_error", "signature", "invalid_signature") // unsigned item
	// Every item must be signed, not only the first.
	second := adyenAuthorisation(h.fx.CustomerID, "PSP2", 10)
	firstSigned := adyenBody(t, h.fx.AdyenHMACKey, true, item)
	var n struct{ NotificationItems []json.RawMessage }
	if err := json.Unmarshal(firstSigned, &n); err != nil {
		t.Fatal(err)
	}
	mixed, _ := json.Marshal(map[string]any{"notificationItems": []any{n.NotificationItems[0], map[string]any{"NotificationRequestItem": second}}})
	wantEnvelope(t, post(mixed), 400, "validation_error", "signature", "invalid_signature")
	wantStatus(t, post(adyenBody(t, h.fx.AdyenHMACKey, true, adyenAuthorisation(h.fx.CustomerID, "PSP3", 20), second)), 200)
	// A tampered signed field fails.
	tampered := strings.Replace(string(signed), `"value":1500`, `"value":15000`, 1)
	wantEnvelope(t, post([]byte(tampered)), 400, "validation_error", "signature", "invalid_signature")

	wantEnvelope(t, post([]byte(`{"notificationItems":[]}`)), 400, "validation_error", "payload", "invalid_payload")
	wantEnvelope(t, post([]byte(`{"notificationItems":[{"NotificationRequestItem":{"success":true}}]}`)), 400, "validation_error", "payload", "invalid_payload")

	// A non-hex key ends the loop with invalid_config: 500.
	h.s.upsertProviderConfig(h.fx.orgID, "adyen", map[string]any{"hmac_key": "zz"}, time.Now())
	wantEnvelope(t, post(signed), 500, "internal_error", "", "")
}

// braintreeForm is a Braintree webhook form: bt_signature=<public>|<hex HMAC-SHA256(private, bt_payload)>.
func braintreeForm(public, private, btPayload string) string {
	return "bt_signature=" + url.QueryEscape(public+"|"+hmacHex(private, btPayload)) + "&bt_payload=" + url.QueryEscape(btPayload)
}

func TestBraintreeWebhookIsUnreachable(t *testing.T) {
	h := start(t, Config{Customers: 2})
	xml := fmt.Sprintf("<notification><kind>transaction_settled</kind><id>tx1</id><customer-id>%s</customer-id><amount>12.34</amount></notification>", h.fx.CustomerID)
	btPayload := base64.StdEncoding.EncodeToString([]byte(xml))
	form := braintreeForm(h.fx.BraintreePublicKey, h.fx.BraintreePrivateKey, btPayload)
	// Valora checks json.Valid before any adapter: a real Braintree form never gets through, healthy or not.
	for _, faults := range [][]Fault{nil, {FaultWebhookUnsigned}} {
		h.s.SetFaults(faults...)
		wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", form, hdr{"Content-Type": "application/x-www-form-urlencoded"}),
			400, "validation_error", "payload", "invalid_payload")
	}
	h.s.SetFaults()
	// A JSON string literal that is also a form does reach the adapter, as in Valora.
	jsonForm := `"&` + form + `&"`
	if !json.Valid([]byte(jsonForm)) {
		t.Fatalf("not JSON: %s", jsonForm)
	}
	wantStatus(t, h.do("POST", "/api/payments/webhooks/braintree", jsonForm, nil), 200)
	if got := h.settle(h.fx.CustomerID, -1234); got != -1234 {
		t.Fatalf("balance %d, want -1234", got)
	}
	badSig := `"&` + braintreeForm(h.fx.BraintreePublicKey, "wrong", btPayload) + `&"`
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", badSig, nil), 400, "validation_error", "signature", "invalid_signature")
	threeParts := `"&bt_signature=a|b|c&bt_payload=` + url.QueryEscape(btPayload) + `&"`
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", threeParts, nil), 400, "validation_error", "signature", "invalid_signature")
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/braintree", `{"a":1}`, nil), 400, "validation_error", "payload", "invalid_payload")
}

// TestWebhookDuplicateRefusedFault: a delivery whose provider event id is already stored, whether processed or
// racing its first delivery, is answered 409 with the conflict envelope and changes nothing; a first delivery is
// answered and processed as by a healthy server.
func TestWebhookDuplicateRefusedFault(t *testing.T) {
	h := start(t, Config{Customers: 3})
	const conflict = `{"error":{"type":"conflict","message":"conflict"}}`
	h.s.SetFaults(FaultWebhookDuplicateRefused)

	ev := stripeEvent(t, "charge.succeeded", "evt_conflict", h.fx.CustomerID, 700)
	r := h.postStripe(ev, h.fx.WebhookSecret)
	if r.status != 200 || string(r.body) != `{"status":"ok"}` {
		t.Fatalf("first delivery: %d %s", r.status, r.body)
	}
	for i := 0; i < 2; i++ {
		r := h.postStripe(ev, h.fx.WebhookSecret)
		wantEnvelope(t, r, 409, "conflict", "", "")
		if string(r.body) != conflict {
			t.Fatalf("replay body %s, want %s", r.body, conflict)
		}
	}
	if got := h.settle(h.fx.CustomerID, -700); got != -700 {
		t.Fatalf("balance %d, want -700: one payment", got)
	}

	// Concurrent first deliveries of a new event: one is processed and answered 200, every other one finds the id
	// stored and is refused.
	burst := stripeEvent(t, "charge.succeeded", "evt_conflict_burst", h.fx.CustomerID, 300)
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.postStripe(burst, h.fx.WebhookSecret)
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[409] != 9 {
		t.Fatalf("ten concurrent deliveries answered %v, want one 200 and nine 409", statuses)
	}
	if got := h.settle(h.fx.CustomerID, -1000); got != -1000 {
		t.Fatalf("balance %d, want -1000", got)
	}

	// Distinct events are first deliveries: 200. An ignored type is never stored, so its replays stay 200.
	wantStatus(t, h.postStripe(stripeEvent(t, "charge.succeeded", "evt_conflict_other", h.fx.CustomerID, 5), h.fx.WebhookSecret), 200)
	ignored := stripeEvent(t, "customer.created", "evt_conflict_ignored", h.fx.CustomerID, 5)
	wantStatus(t, h.postStripe(ignored, h.fx.WebhookSecret), 200)
	wantStatus(t, h.postStripe(ignored, h.fx.WebhookSecret), 200)
	// A bad signature is refused before the event id is looked at.
	wantEnvelope(t, h.postStripe(ev, "whsec_wrong"), 400, "validation_error", "signature", "invalid_signature")
	// Adyen's event ids (<pspReference>_<eventCode>) the same way.
	adyen := adyenBody(t, h.fx.AdyenHMACKey, true, adyenAuthorisation(h.fx.CustomerID, "PSP-CONFLICT", 50))
	wantStatus(t, h.do("POST", "/api/payments/webhooks/adyen", string(adyen), nil), 200)
	wantEnvelope(t, h.do("POST", "/api/payments/webhooks/adyen", string(adyen), nil), 409, "conflict", "", "")
	if got := h.settle(h.fx.CustomerID, -1055); got != -1055 {
		t.Fatalf("balance %d, want -1055", got)
	}

	// Healthy again: the stored events' replays are answered 200 and still change nothing.
	h.s.SetFaults()
	for _, payload := range [][]byte{ev, burst} {
		wantStatus(t, h.postStripe(payload, h.fx.WebhookSecret), 200)
	}
	wantStatus(t, h.do("POST", "/api/payments/webhooks/adyen", string(adyen), nil), 200)
	if got := h.settle(h.fx.CustomerID, -1055); got != -1055 {
		t.Fatalf("balance %d after healthy replays, want -1055", got)
	}
}
