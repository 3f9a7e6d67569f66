package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// Valora's Braintree adapter (contract 5.5) signs with HMAC-SHA256 keyed with the private key itself, not
// the SHA-1 scheme of Braintree's own SDKs; this package follows Valora. Note that Valora rejects every
// form-encoded body with 400 invalid_payload before verifying, so these webhooks exercise that path only.

// BraintreeSignature returns the bt_signature value "<publicKey>|<lowercase hex HMAC-SHA256(key=privateKey,
// msg=btPayload)>".
func BraintreeSignature(publicKey, privateKey, btPayload string) string {
	return publicKey + "|" + braintreeHMAC(privateKey, btPayload)
}

func braintreeHMAC(privateKey, btPayload string) string {
	mac := hmac.New(sha256.New, []byte(privateKey))
	mac.Write([]byte(btPayload))
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// BraintreeForm returns the form-encoded body "bt_signature=…&bt_payload=…" Braintree posts.
func BraintreeForm(publicKey, privateKey, btPayload string) string {
	return "bt_signature=" + url.QueryEscape(BraintreeSignature(publicKey, privateKey, btPayload)) +
		"&bt_payload=" + url.QueryEscape(btPayload)
}

// VerifyBraintree checks a bt_signature against bt_payload. Braintree may send several "<public>|<sig>"
// pairs joined by '&' (one per key pair of the merchant); the check succeeds when any pair's signature
// matches, compared in constant time, so upper-case hex does not match. Pieces without '|' are ignored.
//
// Errors: ErrInvalidSecret (blank private key), ErrMissingHeader (empty bt_signature), ErrMalformedHeader
// (no "<public>|<sig>" pair), ErrSignatureMismatch.
func VerifyBraintree(btSignature, btPayload, privateKey string) error {
	if strings.TrimSpace(privateKey) == "" {
		return fmt.Errorf("%w: Braintree private key is empty", ErrInvalidSecret)
	}
	if btSignature == "" {
		return fmt.Errorf("%w: bt_signature is empty", ErrMissingHeader)
	}
	var expected []byte
	pairs := 0
	for pair := range strings.SplitSeq(btSignature, "&") {
		_, sig, ok := strings.Cut(pair, "|")
		if !ok {
			continue
		}
		pairs++
		if expected == nil {
			expected = []byte(braintreeHMAC(privateKey, btPayload))
		}
		if hmac.Equal(expected, []byte(sig)) {
			return nil
		}
	}
	if pairs == 0 {
		return fmt.Errorf("%w: bt_signature has no <public key>|<signature> pair", ErrMalformedHeader)
	}
	return fmt.Errorf("%w: none of %d bt_signature pairs matches", ErrSignatureMismatch, pairs)
}

// VerifyBraintreeForm parses a form-encoded webhook body and verifies its bt_signature and bt_payload.
// A body that is not a form, or has no bt_payload, gives ErrInvalidPayload; no bt_signature gives
// ErrMissingHeader.
func VerifyBraintreeForm(body []byte, privateKey string) error {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fmt.Errorf("%w: not a form-encoded body: %v", ErrInvalidPayload, err)
	}
	if !form.Has("bt_payload") {
		return fmt.Errorf("%w: form has no bt_payload", ErrInvalidPayload)
	}
	if !form.Has("bt_signature") {
		return fmt.Errorf("%w: form has no bt_signature", ErrMissingHeader)
	}
	return VerifyBraintree(form.Get("bt_signature"), form.Get("bt_payload"), privateKey)
}
