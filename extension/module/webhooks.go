package module

import (
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/ids"
	"github.com/valora-k6/valora-k6/extension/webhook"
)

type stripeSignOptions struct {
	Secret    []string `js:"secret,required" what:"the endpoint secret, or an array of them"`
	Timestamp *int64   `js:"timestamp" what:"unix seconds"`
}

// signStripe(payload, {secret, timestamp?}) → {header, signature, signatures, timestamp}
func signStripe(c call) sobek.Value {
	body := c.bytes(0)
	var o stripeSignOptions
	stripeSignSpec.read(c, 1, &o)
	ts := time.Now().Unix()
	if o.Timestamp != nil {
		ts = *o.Timestamp
	}
	h, err := webhook.SignStripe(body, ts, o.Secret...)
	if err != nil {
		c.webhookError(err, `option "secret"`)
	}
	return newObject(c.rt,
		"header", h.Header,
		"signature", h.Signatures[0],
		"signatures", newStringArray(c.rt, h.Signatures),
		"timestamp", h.Timestamp,
	)
}

// stripeSignatureHeader(payload, secret, timestamp?) → the Stripe-Signature header value alone: the hot-path form
// of signStripe, with positional arguments and a string result (no options object to read, no object to build).
func stripeSignatureHeader(c call) sobek.Value {
	body := c.bytes(0)
	secrets := c.strList(1)
	if len(secrets) == 0 {
		c.typeError("%s must not be empty (%s)", c.label(1), c.e.params[1].what)
	}
	for n, s := range secrets {
		if strings.TrimSpace(s) == "" {
			c.typeError("%s: item %d must not be blank (%s)", c.label(1), n, c.e.params[1].what)
		}
	}
	ts, given := c.optInteger(2, 1, maxUnixSeconds)
	if !given {
		ts = time.Now().Unix()
	}
	h, err := webhook.SignStripe(body, ts, secrets...)
	if err != nil {
		c.webhookError(err, c.label(1))
	}
	return c.rt.ToValue(h.Header)
}

type stripeEventOptions struct {
	Type       string `js:"type,required" enum:"StripeEventType"`
	CustomerID string `js:"customerId,required" what:"the Valora customer id as a decimal string"`
	Amount     *int64 `js:"amount" what:"minor units"`
	Currency   string `js:"currency" what:"an ISO currency code"`
	ID         string `js:"id" what:"the event id, evt_…"`
	ObjectID   string `js:"objectId" what:"data.object.id, ch_… or pi_…"`
	Created    *int64 `js:"created" what:"unix seconds"`
	InvoiceID  string `js:"invoiceId" what:"a Valora invoice id"`
}

// stripeEvent({type, customerId, …}) → {id, type, body}
func stripeEvent(c call) sobek.Value {
	var o stripeEventOptions
	stripeEventSpec.read(c, 0, &o)
	c.customerID(o.CustomerID)
	objectPrefix := "ch_"
	if strings.HasPrefix(o.Type, "payment_intent.") {
		objectPrefix = "pi_"
	}
	c.prefixed(`option "id"`, o.ID, "evt_")
	c.prefixed(`option "objectId"`, o.ObjectID, objectPrefix)
	p := webhook.StripeEventParams{
		Type:       o.Type,
		CustomerID: o.CustomerID,
		Currency:   o.Currency,
		ID:         o.ID,
		ObjectID:   o.ObjectID,
		InvoiceID:  o.InvoiceID,
		Amount:     1000,
		Created:    time.Now().Unix(),
	}
	if o.Amount != nil {
		p.Amount = *o.Amount
	}
	if o.Created != nil {
		p.Created = *o.Created
	}
	if p.Currency == "" {
		p.Currency = "usd"
	}
	if p.ID == "" {
		p.ID = c.newProviderID("evt")
	}
	if p.ObjectID == "" {
		p.ObjectID = c.newProviderID(strings.TrimSuffix(objectPrefix, "_"))
	}
	body, err := webhook.StripeEvent(p)
	if err != nil {
		c.webhookError(err, `argument "options"`)
	}
	return newObject(c.rt, "id", p.ID, "type", p.Type, "body", string(body))
}

type adyenEventOptions struct {
	EventCode           string `js:"eventCode,required" enum:"AdyenEventCode"`
	CustomerID          string `js:"customerId,required" what:"the Valora customer id as a decimal string"`
	Success             *bool  `js:"success"`
	Amount              *int64 `js:"amount" what:"minor units"`
	Currency            string `js:"currency" what:"an ISO currency code"`
	PspReference        string `js:"pspReference" what:"the PSP reference"`
	OriginalReference   string `js:"originalReference" what:"the original PSP reference"`
	MerchantAccountCode string `js:"merchantAccountCode" what:"the merchant account"`
	MerchantReference   string `js:"merchantReference" what:"the merchant reference"`
	EventDate           string `js:"eventDate" what:"an RFC 3339 date"`
	InvoiceID           string `js:"invoiceId" what:"a Valora invoice id"`
}

// adyenEvent({eventCode, customerId, …}) → {id, type, body}
func adyenEvent(c call) sobek.Value {
	var o adyenEventOptions
	adyenEventSpec.read(c, 0, &o)
	c.customerID(o.CustomerID)
	if o.EventDate != "" {
		if _, err := time.Parse(time.RFC3339, o.EventDate); err != nil {
			c.typeError("option \"eventDate\" must be an RFC 3339 date such as 2026-01-05T09:42:25Z, got %q", clip(o.EventDate))
		}
	}
	p := webhook.AdyenEventParams{
		EventCode:           o.EventCode,
		Success:             true,
		CustomerID:          o.CustomerID,
		Amount:              1000,
		Currency:            o.Currency,
		PspReference:        o.PspReference,
		OriginalReference:   o.OriginalReference,
		MerchantAccountCode: o.MerchantAccountCode,
		MerchantReference:   o.MerchantReference,
		EventDate:           o.EventDate,
		InvoiceID:           o.InvoiceID,
	}
	if o.Success != nil {
		p.Success = *o.Success
	}
	if o.Amount != nil {
		p.Amount = *o.Amount
	}
	if p.Currency == "" {
		p.Currency = "USD"
	}
	if p.MerchantAccountCode == "" {
		p.MerchantAccountCode = "ValoraK6"
	}
	if p.MerchantReference == "" {
		p.MerchantReference = p.CustomerID
	}
	if p.EventDate == "" {
		p.EventDate = time.Now().UTC().Format(time.RFC3339)
	}
	if p.PspReference == "" {
		src := c.idSource()
		p.PspReference = ids.PSPReference(src.run, src.gen.Next())
	}
	body, err := webhook.AdyenEvent(p)
	if err != nil {
		c.webhookError(err, `argument "options"`)
	}
	return newObject(c.rt, "id", p.PspReference+"_"+p.EventCode, "type", p.EventCode, "body", string(body))
}

type adyenSignOptions struct {
	HmacKey string `js:"hmacKey,required" what:"the HMAC key in hex, as Adyen shows it"`
}

// signAdyen(payload, {hmacKey}) → the payload with additionalData.hmacSignature on every item
func signAdyen(c call) sobek.Value {
	body := c.bytes(0)
	var o adyenSignOptions
	adyenSignSpec.read(c, 1, &o)
	signed, err := webhook.SignAdyen(body, o.HmacKey)
	if err != nil {
		switch {
		case errors.Is(err, webhook.ErrInvalidSecret):
			c.webhookError(err, `option "hmacKey"`)
		default:
			c.webhookError(err, c.label(0))
		}
	}
	return c.rt.ToValue(string(signed))
}

type braintreeSignOptions struct {
	PublicKey  string `js:"publicKey,required" what:"the Braintree public key"`
	PrivateKey string `js:"privateKey,required" what:"the Braintree private key"`
}

// signBraintree(btPayload, {publicKey, privateKey}) → {signature, form}
func signBraintree(c call) sobek.Value {
	btPayload := c.str(0)
	var o braintreeSignOptions
	braintreeSignSpec.read(c, 1, &o)
	// bt_signature is "<public>|<signature>" pairs joined by '&': a public key holding either would be misread.
	if strings.ContainsAny(o.PublicKey, "|&") {
		c.typeError("option \"publicKey\" must not contain | or & (bt_signature is <public key>|<signature>[&…])")
	}
	return newObject(c.rt,
		"signature", webhook.BraintreeSignature(o.PublicKey, o.PrivateKey, btPayload),
		"form", webhook.BraintreeForm(o.PublicKey, o.PrivateKey, btPayload),
	)
}

// webhookError throws a webhook package error: a TypeError naming what was wrong when the input was at
// fault (the errors never quote a secret), an Error otherwise.
func (c call) webhookError(err error, label string) {
	for _, bad := range []error{webhook.ErrInvalidSecret, webhook.ErrInvalidPayload, webhook.ErrUnknownEventType} {
		if errors.Is(err, bad) {
			c.typeError("%s: %v", label, err)
		}
	}
	c.fail(err)
}

// customerID checks a Valora customer id: a positive int64 in decimal, as Valora parses it.
func (c call) customerID(s string) {
	if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
		c.typeError("option \"customerId\" must be a positive 64-bit integer as a decimal string, got %q", clip(s))
	}
}

// prefixed checks an optional id that, when given, must be prefix followed by something.
func (c call) prefixed(label, s, prefix string) {
	if s != "" && (len(s) <= len(prefix) || !strings.HasPrefix(s, prefix)) {
		c.typeError("%s must be %q followed by an id, got %q", label, prefix, clip(s))
	}
}

// newProviderID mints a provider id of the given kind from this process's run id and generator.
func (c call) newProviderID(kind string) string {
	src := c.idSource()
	id, err := ids.ProviderID(kind, src.run, src.gen.Next(), rand.Reader)
	if err != nil {
		c.fail(err)
	}
	return id
}

// idSource returns this process's run id and generator, throwing in the init context.
func (c call) idSource() idSource {
	src, err := c.i.root.idSource(c.i.vu, c.e.name)
	if err != nil {
		c.fail(err)
	}
	return src
}
