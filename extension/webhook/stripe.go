package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StripeSignature returns the lowercase hex HMAC-SHA256 of "<timestamp>.<payload>", keyed with the secret's
// bytes taken literally (a "whsec_…" secret is not decoded), as Stripe and Valora compute it.
func StripeSignature(secret string, timestamp int64, payload []byte) string {
	var buf [20]byte
	return stripeSignature(secret, strconv.AppendInt(buf[:0], timestamp, 10), payload)
}

func stripeSignature(secret string, timestamp, payload []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(timestamp)
	mac.Write([]byte{'.'})
	mac.Write(payload)
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// StripeHeader is a signed Stripe-Signature header and its parts.
type StripeHeader struct {
	Header     string   // "t=<timestamp>,v1=<signature>[,v1=<signature>…]"
	Timestamp  int64    // unix seconds
	Signatures []string // one per secret, in order
}

// SignStripe signs payload at timestamp (unix seconds) with each secret, as Stripe does during a secret
// rotation, and returns the finished header. At least one secret is required and none may be blank.
func SignStripe(payload []byte, timestamp int64, secrets ...string) (StripeHeader, error) {
	if err := checkSecrets(secrets); err != nil {
		return StripeHeader{}, err
	}
	var tbuf [20]byte
	t := strconv.AppendInt(tbuf[:0], timestamp, 10)

	h := StripeHeader{Timestamp: timestamp, Signatures: make([]string, len(secrets))}
	var b strings.Builder
	b.Grow(2 + len(t) + len(secrets)*(4+2*sha256.Size))
	b.WriteString("t=")
	b.Write(t)
	for i, secret := range secrets {
		h.Signatures[i] = stripeSignature(secret, t, payload)
		b.WriteString(",v1=")
		b.WriteString(h.Signatures[i])
	}
	h.Header = b.String()
	return h, nil
}

func checkSecrets(secrets []string) error {
	if len(secrets) == 0 {
		return fmt.Errorf("%w: no secret given", ErrInvalidSecret)
	}
	for i, s := range secrets {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%w: secret %d is empty", ErrInvalidSecret, i)
		}
	}
	return nil
}

// StripeVerifyOptions select how VerifyStripe treats the header's timestamp.
type StripeVerifyOptions struct {
	// Now is the time the timestamp is compared with; zero means time.Now().
	Now time.Time
	// Tolerance ≤ 0 is Valora's behaviour: t must be present and is signed over, but is not even parsed, so
	// old events replay fine. Tolerance > 0 is Stripe's: t must be unix seconds within Tolerance of Now
	// (either side), otherwise ErrTimestampOutsideTolerance.
	Tolerance time.Duration
}

// VerifyStripe checks a Stripe-Signature header the way Valora does (contract 5.3):
//   - the header is split on ','; each piece is trimmed and split at its first '='; pieces without '='
//     and keys other than t and v1 (such as v0) are ignored;
//   - the last t wins and is signed as written;
//   - every v1 is a candidate, compared in constant time with the lowercase hex HMAC, so upper-case hex
//     does not match;
//   - it succeeds when any secret matches any v1, which is how a secret rotation is verified.
//
// Errors: ErrInvalidSecret (no or blank secret), ErrMissingHeader (empty header), ErrMalformedHeader (no
// key=value piece, no t, or with a tolerance a t that is not an integer), ErrNoSignatures (no v1),
// ErrTimestampOutsideTolerance, ErrSignatureMismatch.
func VerifyStripe(payload []byte, header string, secrets []string, opts StripeVerifyOptions) error {
	if err := checkSecrets(secrets); err != nil {
		return err
	}
	t, candidates, err := parseStripeHeader(header)
	if err != nil {
		return err
	}
	if opts.Tolerance > 0 {
		if err := checkTolerance(t, opts); err != nil {
			return err
		}
	}
	tb := []byte(t)
	for _, secret := range secrets {
		expected := []byte(stripeSignature(secret, tb, payload))
		for _, c := range candidates {
			if hmac.Equal(expected, []byte(c)) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: none of %d v1 signatures matches any of %d secrets",
		ErrSignatureMismatch, len(candidates), len(secrets))
}

func parseStripeHeader(header string) (t string, v1 []string, err error) {
	if strings.TrimSpace(header) == "" {
		return "", nil, fmt.Errorf("%w: Stripe-Signature header is empty", ErrMissingHeader)
	}
	pairs, hasT := 0, false
	for piece := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(piece), "=")
		if !ok {
			continue
		}
		pairs++
		switch key {
		case "t":
			t, hasT = value, true
		case "v1":
			v1 = append(v1, value)
		}
	}
	switch {
	case pairs == 0:
		return "", nil, fmt.Errorf("%w: Stripe-Signature has no key=value pairs", ErrMalformedHeader)
	case !hasT || t == "":
		return "", nil, fmt.Errorf("%w: Stripe-Signature has no timestamp t", ErrMalformedHeader)
	case len(v1) == 0:
		return "", nil, fmt.Errorf("%w: Stripe-Signature has no v1 entry", ErrNoSignatures)
	}
	return t, v1, nil
}

func checkTolerance(t string, opts StripeVerifyOptions) error {
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp t=%q is not unix seconds", ErrMalformedHeader, clip(t))
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	age := now.Sub(time.Unix(ts, 0))
	if age > opts.Tolerance || age < -opts.Tolerance {
		return fmt.Errorf("%w: t=%d is %v from now, tolerance %v",
			ErrTimestampOutsideTolerance, ts, age.Round(time.Second), opts.Tolerance)
	}
	return nil
}
