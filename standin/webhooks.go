package standin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type paymentKey struct{ provider, eventID string }

type paymentEvent struct {
	OrgID     valoraid.ID
	Processed bool
}

// paymentStore holds the provider events processed so far, by provider and event id across all orgs: Valora's
// webhook idempotency (processPayment).
type paymentStore struct {
	mu        sync.Mutex
	events    map[paymentKey]*paymentEvent
	processed atomic.Int64 // balance-changing applications, for tests and Stats
}

// Canonical payment event types (Valora's payment domain).
const (
	eventPaymentSucceeded = "payment_succeeded"
	eventPaymentFailed    = "payment_failed"
	eventRefunded         = "refunded"
)

// paymentEventData is what an adapter's Parse produces.
type paymentEventData struct {
	provider   string
	eventID    string
	typ        string
	orgID      valoraid.ID
	customerID valoraid.ID
	amount     int64
	currency   string
	occurredAt time.Time
	dispute    bool
}

// verifyResult is the outcome of one config's signature check, as Valora's matchAdapter loop reads it.
type verifyResult int

const (
	verified     verifyResult = iota
	badSignature              // try the next config
	stopLoop                  // the error ends the loop (apiErr says which)
)

var (
	errWebhookConfig = errInternal // payment-domain invalid_config is not in Valora's error mapping: 500
	errStatusOK      = []byte(`{"status":"ok"}`)
)

// paymentWebhook is POST /api/payments/webhooks/:provider (contract 5.1–5.5): no API key, no session. The first
// active config, across all orgs, whose secret verifies decides the org; the customer id is then taken from the
// event and not checked against that org, so an event signed with org A's secret naming org B's customer is
// answered 200 and processed as org A's payment for that customer: the balance row it moves is (A, customer),
// which B's dashboard never shows.
func (s *Server) paymentWebhook(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var payload []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, errInvalidRequest)
			return
		}
		payload = b
	}
	provider := strings.ToLower(strings.TrimSpace(rc.param))
	if provider == "" {
		writeError(w, errInvalid("invalid_provider"))
		return
	}
	switch provider {
	case "stripe", "adyen", "braintree":
	default:
		writeError(w, errNotFound)
		return
	}
	// Every provider's body must be JSON, which in practice makes Braintree's form-encoded webhooks fail here.
	if !json.Valid(payload) {
		writeError(w, errInvalid("invalid_payload"))
		return
	}
	configs := s.activeConfigs(provider)
	if len(configs) == 0 {
		writeError(w, errNotFound)
		return
	}
	unsigned := s.faults.has(FaultWebhookUnsigned)
	configErr := false
	for _, cfg := range configs {
		secret, ok := configString(cfg.Config, secretField[provider])
		if !ok {
			configErr = true
			continue
		}
		if !unsigned {
			res, apiErr := verifyWebhook(provider, payload, r.Header, secret)
			if res == badSignature {
				continue
			}
			if res == stopLoop {
				writeError(w, apiErr)
				return
			}
		}
		ev, ignored, apiErr := parseWebhook(provider, payload)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		if !ignored {
			ev.provider = provider
			ev.orgID = cfg.OrgID
			if s.faults.has(FaultTenantWebhook) {
				ev.orgID = s.customerOrg(ev.customerID, ev.orgID)
			}
			if apiErr := s.processPayment(ev); apiErr != nil {
				writeError(w, apiErr)
				return
			}
		}
		writeRaw(w, http.StatusOK, errStatusOK)
		return
	}
	if configErr {
		writeError(w, errWebhookConfig)
		return
	}
	writeError(w, errInvalid("invalid_signature"))
}

var secretField = map[string]string{"stripe": "webhook_secret", "adyen": "hmac_key", "braintree": "private_key"}

func configString(cfg map[string]any, key string) (string, bool) {
	v, ok := cfg[key].(string)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// activeConfigs lists the active configs of a provider across all orgs, in creation order.
func (s *Server) activeConfigs(provider string) []*providerConfig {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	var out []*providerConfig
	for _, c := range s.st.providerConfigs {
		if c.Provider == provider && c.Active {
			out = append(out, c)
		}
	}
	return out
}

// verifyWebhook is one config's Verify, as Valora's loop over configs reads its result (verify.go has the checks).
func verifyWebhook(provider string, payload []byte, h http.Header, secret string) (verifyResult, *apiError) {
	switch provider {
	case "stripe":
		if !verifyStripeSignature(payload, h.Get("Stripe-Signature"), secret) {
			return badSignature, nil
		}
		return verified, nil
	case "adyen":
		return verifyAdyen(payload, secret)
	case "braintree":
		return verifyBraintree(payload, secret)
	}
	return badSignature, nil
}

// parseWebhook is the adapter's Parse (and, for Stripe, ParseDispute first). ignored means a type Valora does
// not process: 200 and nothing stored.
func parseWebhook(provider string, payload []byte) (*paymentEventData, bool, *apiError) {
	switch provider {
	case "stripe":
		return parseStripe(payload)
	case "adyen":
		return parseAdyen(payload)
	default:
		return parseBraintree(payload)
	}
}

type stripeEnvelope struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type stripeObject struct {
	ID             string         `json:"id"`
	Amount         int64          `json:"amount"`
	AmountReceived int64          `json:"amount_received"`
	AmountRefunded int64          `json:"amount_refunded"`
	Currency       string         `json:"currency"`
	Created        int64          `json:"created"`
	Metadata       map[string]any `json:"metadata"`
}

func parseStripe(payload []byte) (*paymentEventData, bool, *apiError) {
	var env stripeEnvelope
	if json.Unmarshal(payload, &env) != nil {
		return nil, false, errInvalid("invalid_payload")
	}
	if strings.TrimSpace(env.ID) == "" {
		return nil, false, errInvalid("invalid_event")
	}
	typ := strings.TrimSpace(env.Type)
	var canonical string
	dispute := false
	switch typ {
	case "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated", "charge.dispute.closed":
		dispute = true
	case "payment_intent.succeeded", "charge.succeeded":
		canonical = eventPaymentSucceeded
	case "payment_intent.payment_failed":
		canonical = eventPaymentFailed
	case "charge.refunded":
		canonical = eventRefunded
	default:
		return nil, true, nil
	}
	var obj stripeObject
	if json.Unmarshal(env.Data.Object, &obj) != nil {
		return nil, false, errInvalid("invalid_payload")
	}
	if dispute && strings.TrimSpace(obj.ID) == "" {
		return nil, false, errInvalid("invalid_event")
	}
	customerID, err := metadataID(obj.Metadata)
	if err != nil {
		return nil, false, errInvalid("invalid_customer")
	}
	amount := obj.Amount
	switch typ {
	case "payment_intent.succeeded":
		if obj.AmountReceived > 0 {
			amount = obj.AmountReceived
		}
	case "charge.refunded":
		if obj.AmountRefunded > 0 {
			amount = obj.AmountRefunded
		}
	}
	created := obj.Created
	if created == 0 {
		created = env.Created
	}
	occurred := time.Now().UTC()
	if created != 0 {
		occurred = time.Unix(created, 0).UTC()
	}
	return &paymentEventData{
		eventID:    env.ID,
		typ:        canonical,
		customerID: customerID,
		amount:     amount,
		currency:   strings.ToUpper(strings.TrimSpace(obj.Currency)),
		occurredAt: occurred,
		dispute:    dispute,
	}, false, nil
}

// metadataID reads metadata.customer_id, a string or a number, as Valora's readMetadataValue does.
func metadataID(md map[string]any) (valoraid.ID, error) {
	var raw string
	switch v := md["customer_id"].(type) {
	case string:
		raw = strings.TrimSpace(v)
	case float64:
		if v != 0 {
			raw = strconv.FormatInt(int64(v), 10)
		}
	}
	if raw == "" {
		return 0, errors.New("missing customer_id")
	}
	return valoraid.ParseString(raw)
}

func parseAdyen(payload []byte) (*paymentEventData, bool, *apiError) {
	n, ok := parseAdyenNotification(payload)
	if !ok {
		return nil, false, errInvalid("invalid_payload")
	}
	item := n.NotificationItems[0].Item
	var typ string
	switch item.EventCode {
	case "AUTHORISATION":
		typ = eventPaymentFailed
		if item.Success == "true" {
			typ = eventPaymentSucceeded
		}
	case "REFUND":
		if item.Success != "true" {
			return nil, true, nil
		}
		typ = eventRefunded
	case "CANCELLATION":
		if item.Success != "true" {
			return nil, true, nil
		}
		typ = eventPaymentFailed
	case "OFFER_CLOSED":
		typ = eventPaymentFailed
	default:
		return nil, true, nil
	}
	rawCustomer := item.AdditionalData["metadata.customer_id"]
	if rawCustomer == "" {
		rawCustomer = item.MerchantReference
	}
	customerID, err := valoraid.ParseString(rawCustomer)
	if err != nil {
		return nil, false, errInvalid("invalid_customer")
	}
	occurred, err := time.Parse(time.RFC3339, item.EventDate)
	if err != nil {
		occurred = time.Now()
	}
	return &paymentEventData{
		eventID:    item.PspReference + "_" + item.EventCode,
		typ:        typ,
		customerID: customerID,
		amount:     item.Amount.Value,
		currency:   strings.ToUpper(item.Amount.Currency),
		occurredAt: occurred.UTC(),
	}, false, nil
}

// parseBraintree is reachable only with a body that is valid JSON and a form at once (a JSON string literal
// holding "&bt_payload=…"), exactly as in Valora.
func parseBraintree(payload []byte) (*paymentEventData, bool, *apiError) {
	form, err := url.ParseQuery(string(payload))
	if err != nil || form.Get("bt_payload") == "" {
		return nil, false, errInvalid("invalid_payload")
	}
	encoded := form.Get("bt_payload")
	xml, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		xml = []byte(encoded)
	}
	doc := string(xml)
	kind := xmlTag(doc, "kind")
	if kind == "" {
		return nil, false, errInvalid("invalid_payload")
	}
	var typ string
	switch kind {
	case "subscription_charged_successfully", "transaction_settled":
		typ = eventPaymentSucceeded
	case "subscription_canceled", "transaction_settlement_declined", "subscription_went_past_due":
		typ = eventPaymentFailed
	default:
		return nil, true, nil
	}
	customerID, err := valoraid.ParseString(xmlTag(doc, "customer-id"))
	if err != nil {
		return nil, false, errInvalid("invalid_customer")
	}
	amount, _ := strconv.ParseFloat(xmlTag(doc, "amount"), 64)
	currency := "USD"
	if c := xmlTag(doc, "currency-iso-code"); c != "" {
		currency = c
	}
	return &paymentEventData{
		eventID:    xmlTag(doc, "id") + "_" + kind,
		typ:        typ,
		customerID: customerID,
		amount:     int64(amount * 100),
		currency:   strings.ToUpper(currency),
		occurredAt: time.Now().UTC(),
	}, false, nil
}

func xmlTag(doc, tag string) string {
	start := strings.Index(doc, "<"+tag+">")
	if start < 0 {
		return ""
	}
	start += len(tag) + 2
	end := strings.Index(doc[start:], "</"+tag+">")
	if end < 0 {
		return ""
	}
	return strings.TrimSpace(doc[start : start+end])
}

// processPayment is ProcessEvent: validation, then event-id idempotency global per provider, then the ledger
// entry, whose billing event the rollup applies to the balance of (the verifying org, the event's customer) on a
// later tick. Nothing in the request touches a balance.
func (s *Server) processPayment(ev *paymentEventData) *apiError {
	ev.eventID = strings.TrimSpace(ev.eventID)
	switch {
	case ev.eventID == "", ev.orgID == 0:
		return errInvalid("invalid_event")
	case ev.customerID == 0:
		return errInvalid("invalid_customer")
	case strings.TrimSpace(ev.currency) == "":
		return errInvalid("invalid_currency")
	case ev.occurredAt.IsZero():
		return errInvalid("invalid_event")
	}
	ev.currency = strings.ToUpper(strings.TrimSpace(ev.currency))
	if !ev.dispute {
		switch ev.typ {
		case eventPaymentSucceeded, eventRefunded:
			if ev.amount <= 0 {
				return errInvalid("invalid_amount")
			}
		case eventPaymentFailed:
		default:
			return errInvalid("invalid_event")
		}
	}

	key := paymentKey{provider: ev.provider, eventID: ev.eventID}
	if ev.dispute {
		key.eventID = "dispute:" + ev.eventID
	}
	ps := &s.st.payments
	ps.mu.Lock()
	stored := ps.events[key]
	if stored != nil && s.faults.has(FaultWebhookDuplicateRefused) {
		// The event id is already stored, processed or (in Valora) a first delivery still in flight: refused
		// as a conflict, where Valora answers 200. Nothing is processed again.
		ps.mu.Unlock()
		return errConflict
	}
	if stored != nil && stored.Processed && !s.faults.has(FaultWebhookReplay) {
		ps.mu.Unlock()
		return nil
	}
	ps.events[key] = &paymentEvent{OrgID: ev.orgID, Processed: true}
	ps.mu.Unlock()

	// The ledger entry is posted now (for a payment: cash debited, accounts receivable credited, so the balance
	// falls); the balance moves when the rollup applies its billing event. A refund adds its amount back: that is
	// the stand-in's model, as contract 5.2 only says refunds post to refund_liability and cash.
	var delta int64
	switch {
	case ev.dispute:
	case ev.typ == eventPaymentSucceeded:
		delta = -ev.amount
	case ev.typ == eventRefunded:
		delta = ev.amount
	}
	if delta == 0 {
		return nil
	}
	s.enqueueBillingEvent(billingEvent{orgID: ev.orgID, customerID: ev.customerID, currency: ev.currency, delta: delta})
	return nil
}

// customerOrg is the org a customer belongs to, or def when the customer is unknown.
func (s *Server) customerOrg(customerID, def valoraid.ID) valoraid.ID {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	if c := s.st.customers[customerID]; c != nil {
		return c.OrgID
	}
	return def
}
