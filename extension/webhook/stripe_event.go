package webhook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// StripeAPIVersion is the api_version StripeEvent writes.
const StripeAPIVersion = "2024-06-20"

// StripeEventTypes are the Stripe event types StripeEvent builds; Valora turns them into payment_succeeded,
// payment_succeeded, payment_failed and refunded.
var StripeEventTypes = []string{"charge.succeeded", "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"}

// StripeEventParams describe a Stripe event. All fields are required except InvoiceID.
type StripeEventParams struct {
	Type       string // one of StripeEventTypes
	ID         string // event id, "evt_…"
	ObjectID   string // "ch_…" for charge.*, "pi_…" for payment_intent.*
	CustomerID string // Valora customer id: a positive int64 in decimal
	InvoiceID  string // optional Valora invoice id
	Currency   string // as Stripe writes it, e.g. "usd"
	Amount     int64  // minor units, > 0
	Created    int64  // unix seconds, > 0
}

type stripeEvent struct {
	ID         string          `json:"id"`
	Object     string          `json:"object"`
	Type       string          `json:"type"`
	Created    int64           `json:"created"`
	Livemode   bool            `json:"livemode"`
	APIVersion string          `json:"api_version"`
	Data       stripeEventData `json:"data"`
}

type stripeEventData struct {
	Object stripeObject `json:"object"`
}

type stripeObject struct {
	ID             string         `json:"id"`
	Object         string         `json:"object"`
	Amount         int64          `json:"amount"`
	AmountReceived int64          `json:"amount_received,omitempty"`
	AmountRefunded int64          `json:"amount_refunded,omitempty"`
	Currency       string         `json:"currency"`
	Created        int64          `json:"created"`
	Metadata       stripeMetadata `json:"metadata"`
}

type stripeMetadata struct {
	CustomerID string `json:"customer_id"`
	InvoiceID  string `json:"invoice_id,omitempty"`
}

// StripeEvent returns the JSON of a test-mode Stripe event carrying a charge or payment intent whose
// metadata names the Valora customer (and invoice). The output is deterministic: same params, same bytes.
// payment_intent.succeeded also carries amount_received and charge.refunded amount_refunded, both equal to
// Amount, since those are the amounts Valora books.
func StripeEvent(p StripeEventParams) ([]byte, error) {
	if !slices.Contains(StripeEventTypes, p.Type) {
		return nil, unknownType("Stripe event type", p.Type, StripeEventTypes)
	}
	objectKind, idPrefix := "charge", "ch_"
	if strings.HasPrefix(p.Type, "payment_intent.") {
		objectKind, idPrefix = "payment_intent", "pi_"
	}
	if err := requirePrefix("ID", p.ID, "evt_"); err != nil {
		return nil, err
	}
	if err := requirePrefix("ObjectID", p.ObjectID, idPrefix); err != nil {
		return nil, err
	}
	if err := parseCustomerID("CustomerID", p.CustomerID); err != nil {
		return nil, err
	}
	if err := validateMoney(p.Amount, p.Currency); err != nil {
		return nil, err
	}
	if p.Created <= 0 {
		return nil, fieldError("Created", fmt.Sprintf("must be unix seconds > 0, got %d", p.Created))
	}

	obj := stripeObject{
		ID:       p.ObjectID,
		Object:   objectKind,
		Amount:   p.Amount,
		Currency: p.Currency,
		Created:  p.Created,
		Metadata: stripeMetadata{CustomerID: p.CustomerID, InvoiceID: p.InvoiceID},
	}
	switch p.Type {
	case "payment_intent.succeeded":
		obj.AmountReceived = p.Amount
	case "charge.refunded":
		obj.AmountRefunded = p.Amount
	}
	body, err := json.Marshal(stripeEvent{
		ID:         p.ID,
		Object:     "event",
		Type:       p.Type,
		Created:    p.Created,
		APIVersion: StripeAPIVersion,
		Data:       stripeEventData{Object: obj},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	return body, nil
}

func requirePrefix(field, value, prefix string) error {
	if len(value) <= len(prefix) || !strings.HasPrefix(value, prefix) {
		return fieldError(field, fmt.Sprintf("must be %q followed by an id, got %q", prefix, clip(value)))
	}
	return nil
}

func validateMoney(amount int64, currency string) error {
	if amount <= 0 {
		return fieldError("Amount", fmt.Sprintf("must be > 0, got %d", amount))
	}
	if strings.TrimSpace(currency) == "" {
		return fieldError("Currency", "is required")
	}
	return nil
}
