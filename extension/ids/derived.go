package ids

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// DefaultPrefix is the idempotency key prefix used when none is given.
const DefaultPrefix = "k6"

const maxPrefixLen = 64

// IdempotencyKey returns "<prefix>-<lowercase base36 of id>". An empty prefix means DefaultPrefix; otherwise
// it must be 1..64 characters of A-Z a-z 0-9 . _ : -. The id must be positive.
func IdempotencyKey(prefix string, id ID) (string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	if id <= 0 {
		return "", fmt.Errorf("%w: %d must be greater than zero", ErrInvalidID, int64(id))
	}
	var buf [maxPrefixLen + 1 + 13]byte // 13 = base36 digits of the largest int64
	b := append(buf[:0], prefix...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(id), 36)
	return string(b), nil
}

func checkPrefix(prefix string) error {
	if len(prefix) > maxPrefixLen {
		return fmt.Errorf("%w: %d characters, at most %d allowed", ErrInvalidPrefix, len(prefix), maxPrefixLen)
	}
	for i := 0; i < len(prefix); i++ {
		if !prefixChar(prefix[i]) {
			return fmt.Errorf("%w: %q has %q at byte %d; allowed are A-Z a-z 0-9 . _ : -",
				ErrInvalidPrefix, prefix, prefix[i], i)
		}
	}
	return nil
}

func prefixChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '.' || c == '_' || c == ':' || c == '-'
}

// ProviderKinds are the Stripe object prefixes ProviderID accepts: event, charge, payment intent, refund,
// customer, invoice.
var ProviderKinds = []string{"evt", "ch", "pi", "re", "cus", "in"}

const (
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

	providerIDLen   = 11 // base62 digits of the largest uint64, so the id part is injective
	providerRandLen = 13
)

// ProviderID returns a Stripe-style id "<kind>_" followed by 24 base62 characters: the id in base62,
// left-padded with '0' to 11 characters, which makes the result unique per (kind, id), then 13 random
// characters read from rnd, so the ids look like Stripe's rather than sequential. A nil rnd means
// crypto/rand. The kind must be one of ProviderKinds and the id positive.
func ProviderID(kind string, id ID, rnd io.Reader) (string, error) {
	if !slices.Contains(ProviderKinds, kind) {
		return "", fmt.Errorf("%w: %q; accepted kinds are %s", ErrUnknownKind, kind, strings.Join(ProviderKinds, ", "))
	}
	if id <= 0 {
		return "", fmt.Errorf("%w: %d must be greater than zero", ErrInvalidID, int64(id))
	}
	if rnd == nil {
		rnd = rand.Reader
	}

	var buf [3 + 1 + providerIDLen + providerRandLen]byte
	b := append(buf[:0], kind...)
	b = append(b, '_')
	b = appendPadded62(b, uint64(id))
	b, err := appendRandom62(b, rnd, providerRandLen)
	if err != nil {
		return "", fmt.Errorf("ids: reading randomness for a provider id: %w", err)
	}
	return string(b), nil
}

func appendPadded62(b []byte, v uint64) []byte {
	var digits [providerIDLen]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[v%62]
		v /= 62
	}
	return append(b, digits[:]...)
}

// maxRandomReads bounds the rejection loop so that a broken source (say, one returning only 0xFF) fails
// instead of spinning; a real source needs one read almost always.
const maxRandomReads = 16

// appendRandom62 appends n uniformly random base62 characters. Bytes are reduced to 6 bits and values 62
// and 63 are rejected, so no character is more likely than another.
func appendRandom62(b []byte, rnd io.Reader, n int) ([]byte, error) {
	var pool [32]byte
	used, reads := len(pool), 0
	for n > 0 {
		if used == len(pool) {
			if reads == maxRandomReads {
				return b, errors.New("the source keeps returning bytes outside base62")
			}
			if _, err := io.ReadFull(rnd, pool[:]); err != nil {
				return b, err
			}
			used, reads = 0, reads+1
		}
		v := pool[used] & 63
		used++
		if v < 62 {
			b = append(b, base62[v])
			n--
		}
	}
	return b, nil
}

// pspReferenceLen is the length of an Adyen PSP reference.
const pspReferenceLen = 16

// PSPReference returns an Adyen-style 16-character reference: the id in upper-case base36, left-padded with
// '0'. Every ID, read as unsigned, maps to a distinct reference (13 base36 digits hold any uint64).
func PSPReference(id ID) string {
	var buf [pspReferenceLen]byte
	v := uint64(id)
	for i := len(buf) - 1; i >= 0; i-- {
		d := v % 36
		v /= 36
		if d < 10 {
			buf[i] = byte('0' + d)
		} else {
			buf[i] = byte('A' + d - 10)
		}
	}
	return string(buf[:])
}
