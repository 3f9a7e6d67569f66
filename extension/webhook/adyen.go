package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AdyenSignatureKey is the additionalData entry that carries an item's HMAC signature.
const AdyenSignatureKey = "hmacSignature"

// AdyenAmount is an Adyen amount in minor units.
type AdyenAmount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

// AdyenItem is one NotificationRequestItem with the fields Valora reads.
type AdyenItem struct {
	AdditionalData      map[string]string `json:"additionalData,omitempty"`
	Amount              AdyenAmount       `json:"amount"`
	EventCode           string            `json:"eventCode"`
	EventDate           string            `json:"eventDate,omitempty"`
	MerchantAccountCode string            `json:"merchantAccountCode"`
	MerchantReference   string            `json:"merchantReference"`
	OriginalReference   string            `json:"originalReference,omitempty"`
	PspReference        string            `json:"pspReference"`
	Reason              string            `json:"reason,omitempty"`
	Success             string            `json:"success"` // "true" or "false", a string in Adyen's format
}

type adyenNotification struct {
	Live              string             `json:"live,omitempty"`
	NotificationItems []adyenItemWrapper `json:"notificationItems"`
}

type adyenItemWrapper struct {
	Item AdyenItem `json:"NotificationRequestItem"`
}

var adyenEscaper = strings.NewReplacer(`\`, `\\`, `:`, `\:`)

// AdyenSigningString returns the string Adyen's HMAC covers: pspReference, originalReference,
// merchantAccountCode, merchantReference, value, currency, eventCode and success joined by ':', with '\'
// escaped as '\\' and ':' as '\:' inside each value.
func AdyenSigningString(item AdyenItem) string {
	fields := [...]string{
		item.PspReference,
		item.OriginalReference,
		item.MerchantAccountCode,
		item.MerchantReference,
		strconv.FormatInt(item.Amount.Value, 10),
		item.Amount.Currency,
		item.EventCode,
		item.Success,
	}
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(':')
		}
		adyenEscaper.WriteString(&b, f)
	}
	return b.String()
}

// AdyenSignature returns the base64 (standard, padded) HMAC-SHA256 of the item's signing string, keyed
// with the hex-decoded key. A key that is empty or not hex gives ErrInvalidSecret.
func AdyenSignature(hexKey string, item AdyenItem) (string, error) {
	key, err := adyenKey(hexKey)
	if err != nil {
		return "", err
	}
	return adyenSignature(key, item), nil
}

func adyenKey(hexKey string) ([]byte, error) {
	if hexKey == "" {
		return nil, fmt.Errorf("%w: Adyen HMAC key is empty", ErrInvalidSecret)
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		// The hex error quotes the offending byte of the key, so it is not passed on.
		return nil, fmt.Errorf("%w: Adyen HMAC key (%d characters) is not hex", ErrInvalidSecret, len(hexKey))
	}
	return key, nil
}

func adyenSignature(key []byte, item AdyenItem) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(AdyenSigningString(item)))
	var sum [sha256.Size]byte
	return base64.StdEncoding.EncodeToString(mac.Sum(sum[:0]))
}

// SignAdyen sets additionalData.hmacSignature on every item of an Adyen notification
// ({"notificationItems":[{"NotificationRequestItem":{…}}]}) and returns the re-serialised body. Every other
// field, including ones this package does not know, keeps its value; the body is re-encoded compactly with
// object keys in sorted order. A body that is not such a notification, or has no items, gives
// ErrInvalidPayload.
func SignAdyen(payload []byte, hexKey string) ([]byte, error) {
	key, err := adyenKey(hexKey)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil || top == nil {
		return nil, fmt.Errorf("%w: Adyen notification is not a JSON object", ErrInvalidPayload)
	}
	var wrappers []map[string]json.RawMessage
	if err := json.Unmarshal(top["notificationItems"], &wrappers); err != nil {
		return nil, fmt.Errorf("%w: notificationItems is not an array of objects", ErrInvalidPayload)
	}
	if len(wrappers) == 0 {
		return nil, fmt.Errorf("%w: notificationItems is empty", ErrInvalidPayload)
	}
	for i, w := range wrappers {
		raw, err := signAdyenItem(key, w["NotificationRequestItem"])
		if err != nil {
			return nil, fmt.Errorf("%w: notificationItems[%d]: %v", ErrInvalidPayload, i, err)
		}
		w["NotificationRequestItem"] = raw
	}
	if top["notificationItems"], err = json.Marshal(wrappers); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	body, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	return body, nil
}

// signAdyenItem signs one raw NotificationRequestItem, keeping all of its fields as they are.
func signAdyenItem(key []byte, raw json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("NotificationRequestItem is missing or not an object")
	}
	// Only the signed fields are decoded here, so additionalData may hold anything.
	var signed struct {
		Amount              AdyenAmount `json:"amount"`
		EventCode           string      `json:"eventCode"`
		MerchantAccountCode string      `json:"merchantAccountCode"`
		MerchantReference   string      `json:"merchantReference"`
		OriginalReference   string      `json:"originalReference"`
		PspReference        string      `json:"pspReference"`
		Success             string      `json:"success"`
	}
	if err := json.Unmarshal(raw, &signed); err != nil {
		return nil, fmt.Errorf("a signed field has the wrong type: %s", describeJSONError(err))
	}
	sig := adyenSignature(key, AdyenItem{
		Amount:              signed.Amount,
		EventCode:           signed.EventCode,
		MerchantAccountCode: signed.MerchantAccountCode,
		MerchantReference:   signed.MerchantReference,
		OriginalReference:   signed.OriginalReference,
		PspReference:        signed.PspReference,
		Success:             signed.Success,
	})

	additional := map[string]json.RawMessage{}
	if ad, ok := fields["additionalData"]; ok && !bytes.Equal(bytes.TrimSpace(ad), []byte("null")) {
		if err := json.Unmarshal(ad, &additional); err != nil {
			return nil, fmt.Errorf("additionalData is not an object")
		}
	}
	quoted, _ := json.Marshal(sig) // a base64 string always marshals
	additional[AdyenSignatureKey] = quoted
	var err error
	if fields["additionalData"], err = json.Marshal(additional); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// VerifyAdyen checks every item of an Adyen notification as Valora does (contract 5.4): each must carry
// additionalData.hmacSignature equal to AdyenSignature of the item, compared in constant time.
//
// Errors: ErrInvalidSecret (empty or non-hex key), ErrInvalidPayload (not a notification, no items),
// ErrMissingHeader (an item without hmacSignature; Valora answers invalid_signature to that as to a wrong
// signature), ErrSignatureMismatch. The error names the index of the first failing item.
func VerifyAdyen(payload []byte, hexKey string) error {
	key, err := adyenKey(hexKey)
	if err != nil {
		return err
	}
	var n adyenNotification
	if err := json.Unmarshal(payload, &n); err != nil {
		return fmt.Errorf("%w: not an Adyen notification: %s", ErrInvalidPayload, describeJSONError(err))
	}
	if len(n.NotificationItems) == 0 {
		return fmt.Errorf("%w: notificationItems is empty", ErrInvalidPayload)
	}
	for i, w := range n.NotificationItems {
		got, ok := w.Item.AdditionalData[AdyenSignatureKey]
		if !ok || got == "" {
			return fmt.Errorf("%w: notificationItems[%d] has no additionalData.%s", ErrMissingHeader, i, AdyenSignatureKey)
		}
		if !hmac.Equal([]byte(adyenSignature(key, w.Item)), []byte(got)) {
			return fmt.Errorf("%w: notificationItems[%d] (pspReference %q)", ErrSignatureMismatch, i, clip(w.Item.PspReference))
		}
	}
	return nil
}

// AdyenEventCodes are the event codes AdyenEvent builds; Valora maps them to payment_succeeded or
// payment_failed (AUTHORISATION), refunded (REFUND) and payment_failed (CANCELLATION, OFFER_CLOSED).
var AdyenEventCodes = []string{"AUTHORISATION", "REFUND", "CANCELLATION", "OFFER_CLOSED"}

// AdyenEventParams describe an Adyen notification item. EventCode, CustomerID, Amount, Currency,
// PspReference, MerchantAccountCode and MerchantReference are required.
type AdyenEventParams struct {
	EventCode           string // one of AdyenEventCodes
	Success             bool
	CustomerID          string // Valora customer id: a positive int64 in decimal
	Amount              int64  // minor units, > 0
	Currency            string // e.g. "EUR"
	PspReference        string
	OriginalReference   string // optional; the authorisation a REFUND or CANCELLATION refers to
	MerchantAccountCode string
	MerchantReference   string
	EventDate           string // optional, RFC 3339; Valora uses now when absent
	InvoiceID           string // optional Valora invoice id
}

// AdyenEvent returns an unsigned test notification with one item; sign it with SignAdyen. The customer
// goes into additionalData["metadata.customer_id"] (and the invoice into "metadata.invoice_id"), where
// Valora looks first. The output is deterministic.
func AdyenEvent(p AdyenEventParams) ([]byte, error) {
	if !slices.Contains(AdyenEventCodes, p.EventCode) {
		return nil, unknownType("Adyen event code", p.EventCode, AdyenEventCodes)
	}
	if err := parseCustomerID("CustomerID", p.CustomerID); err != nil {
		return nil, err
	}
	if err := validateMoney(p.Amount, p.Currency); err != nil {
		return nil, err
	}
	for _, f := range [...]struct{ name, value string }{
		{"PspReference", p.PspReference},
		{"MerchantAccountCode", p.MerchantAccountCode},
		{"MerchantReference", p.MerchantReference},
	} {
		if strings.TrimSpace(f.value) == "" {
			return nil, fieldError(f.name, "is required")
		}
	}
	if p.EventDate != "" {
		if _, err := time.Parse(time.RFC3339, p.EventDate); err != nil {
			return nil, fieldError("EventDate", fmt.Sprintf("must be RFC 3339, got %q", clip(p.EventDate)))
		}
	}

	additional := map[string]string{"metadata.customer_id": p.CustomerID}
	if p.InvoiceID != "" {
		additional["metadata.invoice_id"] = p.InvoiceID
	}
	body, err := json.Marshal(adyenNotification{
		Live: "false",
		NotificationItems: []adyenItemWrapper{{Item: AdyenItem{
			AdditionalData:      additional,
			Amount:              AdyenAmount{Currency: p.Currency, Value: p.Amount},
			EventCode:           p.EventCode,
			EventDate:           p.EventDate,
			MerchantAccountCode: p.MerchantAccountCode,
			MerchantReference:   p.MerchantReference,
			OriginalReference:   p.OriginalReference,
			PspReference:        p.PspReference,
			Success:             strconv.FormatBool(p.Success),
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	return body, nil
}

// describeJSONError says what is wrong with a JSON document in JSON's terms: encoding/json names the Go
// type it decodes into ("… of type int64"), which means nothing to whoever wrote the JSON.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		want := "a string"
		switch typeErr.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			want = "a number"
		case reflect.Bool:
			want = "a boolean"
		case reflect.Map, reflect.Struct:
			want = "an object"
		case reflect.Slice, reflect.Array:
			want = "an array"
		}
		field := typeErr.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s is a JSON %s, it must be %s", field, typeErr.Value, want)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("invalid JSON at byte %d", syntaxErr.Offset)
	}
	return "invalid JSON"
}

// AdyenEventID returns the event id Valora stores for an item: "<pspReference>_<eventCode>".
func AdyenEventID(item AdyenItem) string {
	return item.PspReference + "_" + item.EventCode
}
