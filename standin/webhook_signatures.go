package standin

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// The webhook signature checks, written from the contract (5.3–5.5) rather than shared with the suite's signers:
// a signer that is wrong in a way its own verifier agrees with must still fail against the stand-in.

// verifyStripeSignature is Valora's Stripe check (contract 5.3). The header is split on ','; each piece is trimmed
// and split at its first '='; the last t is the timestamp and every v1 a candidate; other keys (v0, …) and pieces
// without '=' are ignored. A missing or empty t, or no v1, fails. The expected value is the lowercase hex of
// HMAC-SHA256 over "<t>.<body>", keyed with the secret's bytes taken literally (a "whsec_…" secret is not
// decoded), compared in constant time with each v1, so uppercase hex never matches. t is never parsed: there is
// no timestamp tolerance, and any non-empty t signs.
func verifyStripeSignature(payload []byte, header, secret string) bool {
	header = strings.TrimSpace(header)
	if header == "" {
		return false
	}
	var t string
	var candidates []string
	for _, piece := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(piece), "=")
		if !ok {
			continue
		}
		switch key {
		case "t":
			t = value
		case "v1":
			candidates = append(candidates, value)
		}
	}
	if t == "" || len(candidates) == 0 {
		return false
	}
	expected := []byte(stripeSignature(secret, t, payload))
	for _, c := range candidates {
		if subtle.ConstantTimeCompare(expected, []byte(c)) == 1 {
			return true
		}
	}
	return false
}

// hmacSHA256 is the HMAC-SHA256 of the parts, one after the other, keyed with key: the MAC all three providers
// sign with.
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	mac := hmac.New(sha256.New, key)
	for _, p := range parts {
		mac.Write(p)
	}
	return mac.Sum(nil)
}

// stripeSignature is the lowercase hex HMAC-SHA256 of "<t>.<payload>" keyed with the raw secret bytes.
func stripeSignature(secret, t string, payload []byte) string {
	return hex.EncodeToString(hmacSHA256([]byte(secret), []byte(t), []byte{'.'}, payload))
}

// adyenNotification is the body of an Adyen webhook: {"notificationItems":[{"NotificationRequestItem":{…}}]}.
type adyenNotification struct {
	NotificationItems []struct {
		Item adyenItem `json:"NotificationRequestItem"`
	} `json:"notificationItems"`
}

// adyenItem holds the NotificationRequestItem fields Valora reads. success is a string ("true"/"false") in
// Adyen's format, and additionalData maps strings to strings: other JSON types do not decode (invalid_payload).
type adyenItem struct {
	AdditionalData map[string]string `json:"additionalData"`
	Amount         struct {
		Currency string `json:"currency"`
		Value    int64  `json:"value"`
	} `json:"amount"`
	EventCode           string `json:"eventCode"`
	EventDate           string `json:"eventDate"`
	MerchantAccountCode string `json:"merchantAccountCode"`
	MerchantReference   string `json:"merchantReference"`
	OriginalReference   string `json:"originalReference"`
	PspReference        string `json:"pspReference"`
	Reason              string `json:"reason"`
	Success             string `json:"success"`
}

// adyenSignatureKey is the additionalData entry that carries an item's signature.
const adyenSignatureKey = "hmacSignature"

// adyenEscaper escapes a value of the signing string: '\' as '\\' and ':' as '\:', so values cannot run together.
var adyenEscaper = strings.NewReplacer(`\`, `\\`, `:`, `\:`)

// adyenSigningString is what an item's HMAC covers (contract 5.4): pspReference, originalReference,
// merchantAccountCode, merchantReference, value (decimal), currency, eventCode and success, each escaped, joined
// with ':'.
func adyenSigningString(it *adyenItem) string {
	fields := [...]string{it.PspReference, it.OriginalReference, it.MerchantAccountCode, it.MerchantReference,
		strconv.FormatInt(it.Amount.Value, 10), it.Amount.Currency, it.EventCode, it.Success}
	for i, f := range fields {
		fields[i] = adyenEscaper.Replace(f)
	}
	return strings.Join(fields[:], ":")
}

// adyenSignature is the standard base64 of HMAC-SHA256 over the item's signing string, keyed with the
// hex-decoded key.
func adyenSignature(key []byte, it *adyenItem) string {
	return base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(adyenSigningString(it))))
}

// parseAdyenNotification decodes a notification; ok is false for a body that does not decode or has no items
// (invalid_payload in Valora).
func parseAdyenNotification(payload []byte) (*adyenNotification, bool) {
	var n adyenNotification
	if json.Unmarshal(payload, &n) != nil || len(n.NotificationItems) == 0 {
		return nil, false
	}
	return &n, true
}

// verifyAdyen is Valora's Adyen check (contract 5.4), in its order: the body must be a notification with items
// (else the loop over configs stops with invalid_payload); a first item without hmacSignature is a bad signature;
// only then is the key hex-decoded, and a key that is not hex stops the loop with invalid_config (500); finally
// every item must carry hmacSignature and match it.
func verifyAdyen(payload []byte, hexKey string) (verifyResult, *apiError) {
	n, ok := parseAdyenNotification(payload)
	if !ok {
		return stopLoop, errInvalid("invalid_payload")
	}
	if n.NotificationItems[0].Item.AdditionalData[adyenSignatureKey] == "" {
		return badSignature, nil
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		return stopLoop, errWebhookConfig
	}
	for i := range n.NotificationItems {
		it := &n.NotificationItems[i].Item
		got := it.AdditionalData[adyenSignatureKey]
		if got == "" || subtle.ConstantTimeCompare([]byte(adyenSignature(key, it)), []byte(got)) != 1 {
			return badSignature, nil
		}
	}
	return verified, nil
}

// verifyBraintree is Valora's Braintree check (contract 5.5): a form with bt_signature=<public>|<hex HMAC-SHA256
// of bt_payload keyed with the private key> and bt_payload. A body that is not a form, or lacks either field,
// stops the loop with invalid_payload; a signature that is not exactly two '|'-separated parts, or whose hash
// differs, is a bad signature. The public key part is not checked.
//
// It never runs for a real Braintree notification: the webhook route refuses every body that is not JSON with
// invalid_payload before any adapter (contract 5.1 step 2), as Valora does, and a Braintree form is not JSON. Only
// a contrived body that is a JSON string literal and a form at once (`"&bt_signature=…&bt_payload=…&"`) gets here.
func verifyBraintree(payload []byte, privateKey string) (verifyResult, *apiError) {
	form, err := url.ParseQuery(string(payload))
	if err != nil || form.Get("bt_signature") == "" || form.Get("bt_payload") == "" {
		return stopLoop, errInvalid("invalid_payload")
	}
	parts := strings.Split(form.Get("bt_signature"), "|")
	if len(parts) != 2 {
		return badSignature, nil
	}
	want := hex.EncodeToString(hmacSHA256([]byte(privateKey), []byte(form.Get("bt_payload"))))
	if subtle.ConstantTimeCompare([]byte(want), []byte(parts[1])) != 1 {
		return badSignature, nil
	}
	return verified, nil
}
