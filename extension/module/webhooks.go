package module

import (
	"crypto/rand"
	"slices"
	"strings"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/common"

	"github.com/valora-k6/valora-k6/extension/ids"
	"github.com/valora-k6/valora-k6/extension/webhook"
)

// signStripe(payload, {secret, timestamp?}) → {header, signature, signatures, timestamp}
func (i *Instance) signStripe(payload sobek.Value, opts sobek.Value) *sobek.Object {
	const fn = "signStripe"
	rt := i.vu.Runtime()
	body := bytesArg(rt, fn, "payload", payload)
	o := readOptions(rt, fn, "StripeSignOptions", opts, true)
	secrets := o.strs("secret", true, "the endpoint secret, or an array of them")
	ts, given := o.integer("timestamp", "unix seconds")
	if !given {
		ts = time.Now().Unix()
	}
	h, err := webhook.SignStripe(body, ts, secrets...)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return newObject(rt,
		"header", h.Header,
		"signature", h.Signatures[0],
		"signatures", newStringArray(rt, h.Signatures),
		"timestamp", h.Timestamp,
	)
}

// stripeSignatureHeader(payload, secret, timestamp?) → the Stripe-Signature header value alone: the hot-path form
// of signStripe, with positional arguments and a string result (no options object to read, no object to build).
func (i *Instance) stripeSignatureHeader(payload, secret, timestamp sobek.Value) string {
	const fn = "stripeSignatureHeader"
	rt := i.vu.Runtime()
	body := bytesArg(rt, fn, "payload", payload)
	var secrets []string
	switch x := secret.Export().(type) {
	case string:
		secrets = []string{x}
	case []any:
		for idx, e := range x {
			s, ok := e.(string)
			if !ok {
				throwType(rt, "%s: argument \"secret\" must hold only strings; item %d is %T", fn, idx, e)
			}
			secrets = append(secrets, s)
		}
	default:
		throwType(rt, "%s: argument \"secret\" must be a string or an array of strings, got %s", fn, typeName(secret))
	}
	ts := time.Now().Unix()
	if !common.IsNullish(timestamp) {
		ts = toInteger(rt, fn, `argument "timestamp"`, "unix seconds", timestamp)
	}
	h, err := webhook.SignStripe(body, ts, secrets...)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return h.Header
}

// stripeEvent({type, customerId, …}) → {id, type, body}
func (i *Instance) stripeEvent(opts sobek.Value) *sobek.Object {
	const fn = "stripeEvent"
	rt := i.vu.Runtime()
	o := readOptions(rt, fn, "StripeEventOptions", opts, true)
	typ := o.str("type", true, "one of "+strings.Join(webhook.StripeEventTypes, ", "))
	if !slices.Contains(webhook.StripeEventTypes, typ) {
		throwType(rt, "%s: unknown event type %q; accepted: %s", fn, typ, strings.Join(webhook.StripeEventTypes, ", "))
	}
	p := webhook.StripeEventParams{
		Type:       typ,
		CustomerID: o.str("customerId", true, "the Valora customer id as a decimal string"),
		Currency:   o.str("currency", false, ""),
		ID:         o.str("id", false, ""),
		ObjectID:   o.str("objectId", false, ""),
		InvoiceID:  o.str("invoiceId", false, ""),
		Amount:     1000,
	}
	if amount, ok := o.integer("amount", "minor units"); ok {
		p.Amount = amount
	}
	if p.Currency == "" {
		p.Currency = "usd"
	}
	if created, ok := o.integer("created", "unix seconds"); ok {
		p.Created = created
	} else {
		p.Created = time.Now().Unix()
	}
	if p.ID == "" {
		p.ID = i.newProviderID(fn, "evt")
	}
	if p.ObjectID == "" {
		kind := "ch"
		if strings.HasPrefix(typ, "payment_intent.") {
			kind = "pi"
		}
		p.ObjectID = i.newProviderID(fn, kind)
	}
	body, err := webhook.StripeEvent(p)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return newObject(rt, "id", p.ID, "type", typ, "body", string(body))
}

// adyenEvent({eventCode, customerId, …}) → {id, type, body}
func (i *Instance) adyenEvent(opts sobek.Value) *sobek.Object {
	const fn = "adyenEvent"
	rt := i.vu.Runtime()
	o := readOptions(rt, fn, "AdyenEventOptions", opts, true)
	code := o.str("eventCode", true, "one of "+strings.Join(webhook.AdyenEventCodes, ", "))
	if !slices.Contains(webhook.AdyenEventCodes, code) {
		throwType(rt, "%s: unknown eventCode %q; accepted: %s", fn, code, strings.Join(webhook.AdyenEventCodes, ", "))
	}
	p := webhook.AdyenEventParams{
		EventCode:           code,
		Success:             true,
		CustomerID:          o.str("customerId", true, "the Valora customer id as a decimal string"),
		Amount:              1000,
		Currency:            o.str("currency", false, ""),
		PspReference:        o.str("pspReference", false, ""),
		OriginalReference:   o.str("originalReference", false, ""),
		MerchantAccountCode: o.str("merchantAccountCode", false, ""),
		MerchantReference:   o.str("merchantReference", false, ""),
		EventDate:           o.str("eventDate", false, ""),
		InvoiceID:           o.str("invoiceId", false, ""),
	}
	if success, ok := o.boolean("success"); ok {
		p.Success = success
	}
	if amount, ok := o.integer("amount", "minor units"); ok {
		p.Amount = amount
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
		gen, err := i.root.generator(i.vu, fn)
		if err != nil {
			throwErr(rt, fn, err)
		}
		p.PspReference = ids.PSPReference(gen.Next())
	}
	body, err := webhook.AdyenEvent(p)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return newObject(rt, "id", p.PspReference+"_"+code, "type", code, "body", string(body))
}

// signAdyen(payload, {hmacKey}) → the payload with additionalData.hmacSignature on every item
func (i *Instance) signAdyen(payload sobek.Value, opts sobek.Value) string {
	const fn = "signAdyen"
	rt := i.vu.Runtime()
	body := bytesArg(rt, fn, "payload", payload)
	o := readOptions(rt, fn, "AdyenSignOptions", opts, true)
	key := o.str("hmacKey", true, "the HMAC key in hex, as Adyen shows it")
	signed, err := webhook.SignAdyen(body, key)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return string(signed)
}

// signBraintree(btPayload, {publicKey, privateKey}) → {signature, form}
func (i *Instance) signBraintree(payload sobek.Value, opts sobek.Value) *sobek.Object {
	const fn = "signBraintree"
	rt := i.vu.Runtime()
	btPayload := stringArg(rt, fn, "payload", payload)
	o := readOptions(rt, fn, "BraintreeSignOptions", opts, true)
	pub := o.str("publicKey", true, "the Braintree public key")
	priv := o.str("privateKey", true, "the Braintree private key")
	return newObject(rt,
		"signature", webhook.BraintreeSignature(pub, priv, btPayload),
		"form", webhook.BraintreeForm(pub, priv, btPayload),
	)
}

func (i *Instance) newProviderID(fn, kind string) string {
	rt := i.vu.Runtime()
	gen, err := i.root.generator(i.vu, fn)
	if err != nil {
		throwErr(rt, fn, err)
	}
	id, err := ids.ProviderID(kind, gen.Next(), rand.Reader)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return id
}
