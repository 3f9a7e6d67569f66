// Package webhook signs, verifies and builds payment provider webhooks exactly as Valora checks them
// (POST /api/payments/webhooks/:provider): Stripe's Stripe-Signature header, Adyen's per-item HMAC and
// Braintree's bt_signature form field.
//
// Signers are pure functions of (secret, timestamp, payload bytes), so golden vectors are easy to check.
// Sign the exact bytes that go on the wire: build the body once, sign it, and send that same body.
// Verifiers compare in constant time and return errors wrapping the sentinels below; no error text ever
// contains a secret.
package webhook

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors; returned errors wrap them, so test with errors.Is.
var (
	// ErrMissingHeader: the signature is absent (no Stripe-Signature header, no Adyen hmacSignature on an
	// item, no bt_signature).
	ErrMissingHeader = errors.New("webhook: missing signature")
	// ErrMalformedHeader: the signature is present but cannot be read (no key=value pairs, no timestamp).
	ErrMalformedHeader = errors.New("webhook: malformed signature")
	// ErrNoSignatures: the header uses no scheme Valora checks (for Stripe, no v1 entry).
	ErrNoSignatures = errors.New("webhook: no signature in a supported scheme")
	// ErrSignatureMismatch: no signature matches any secret.
	ErrSignatureMismatch = errors.New("webhook: signature mismatch")
	// ErrTimestampOutsideTolerance: the signed timestamp is further from now than the tolerance.
	ErrTimestampOutsideTolerance = errors.New("webhook: timestamp outside tolerance")
	// ErrInvalidSecret: the secret is unusable (missing, blank, or not hex for Adyen).
	ErrInvalidSecret = errors.New("webhook: invalid secret")
	// ErrInvalidPayload: the body or the event parameters are not what the provider format requires.
	ErrInvalidPayload = errors.New("webhook: invalid payload")
	// ErrUnknownEventType: the event type or code is not one this package builds.
	ErrUnknownEventType = errors.New("webhook: unknown event type")
)

// parseCustomerID checks that s is what Valora accepts as a customer id: a positive int64 in decimal.
func parseCustomerID(field, s string) error {
	if s == "" {
		return fieldError(field, "is required")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return fieldError(field, "must be a positive int64 in decimal, got "+strconv.Quote(clip(s)))
	}
	return nil
}

func fieldError(field, problem string) error {
	return fmt.Errorf("%w: %s %s", ErrInvalidPayload, field, problem)
}

func unknownType(kind, got string, accepted []string) error {
	return fmt.Errorf("%w: %s %q; accepted: %s", ErrUnknownEventType, kind, clip(got), strings.Join(accepted, ", "))
}

// clip keeps error messages short when an input is large.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
