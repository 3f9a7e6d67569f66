package ids

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/valora-k6/valora-k6/valoraid"
)

// DefaultPrefix is the idempotency key prefix used when none is given.
const DefaultPrefix = "k6"

const maxPrefixLen = 64

// IdempotencyKey returns "<prefix>-<run><id>": the run id as 13 lowercase base36 digits, then the id in
// lowercase base36. The run id has a fixed width, so the key is unique per (prefix, run, id): keys of one
// process differ by id, keys of two processes by run id. All keys of a run share "<prefix>-<run>", which
// finds a run's records in Valora's usage_events.
//
// An empty prefix means DefaultPrefix; otherwise it must be 1..64 characters of A-Z a-z 0-9 . _ : -. The id
// must be positive.
func IdempotencyKey(prefix string, run RunID, id valoraid.ID) (string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	if id <= 0 {
		return "", fmt.Errorf("%w: %d must be greater than zero", ErrInvalidID, int64(id))
	}
	var buf [maxPrefixLen + 1 + runIDLen36 + 13]byte // 13 = base36 digits of the largest int64
	b := append(buf[:0], prefix...)
	b = append(b, '-')
	b = appendPadded36(b, uint64(run), runIDLen36, base36Lower)
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
	base62      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base36Lower = "0123456789abcdefghijklmnopqrstuvwxyz"
	base36Upper = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

	runIDLen36      = 13 // base36 digits of the largest uint64
	providerIDLen   = 11 // base62 digits of the largest uint64
	providerRandLen = 2  // pads the id to the 24 characters after the prefix that Stripe's ids have
)

// ProviderID returns a Stripe-style id "<kind>_" followed by 24 base62 characters: the run id and the id,
// each in base62 left-padded with '0' to 11 characters, which makes the result unique per (kind, run, id),
// then 2 random characters read from rnd. A nil rnd means crypto/rand. The kind must be one of ProviderKinds
// and the id positive.
func ProviderID(kind string, run RunID, id valoraid.ID, rnd io.Reader) (string, error) {
	if !slices.Contains(ProviderKinds, kind) {
		return "", fmt.Errorf("%w: %q; accepted kinds are %s", ErrUnknownKind, kind, strings.Join(ProviderKinds, ", "))
	}
	if id <= 0 {
		return "", fmt.Errorf("%w: %d must be greater than zero", ErrInvalidID, int64(id))
	}
	if rnd == nil {
		rnd = rand.Reader
	}

	var buf [3 + 1 + 2*providerIDLen + providerRandLen]byte
	b := append(buf[:0], kind...)
	b = append(b, '_')
	b = appendPadded62(b, uint64(run))
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

// appendPadded36 appends v in base36 with the given digits, left-padded with '0' to width characters (enough
// for any uint64 when width is 13).
func appendPadded36(b []byte, v uint64, width int, digits string) []byte {
	var out [runIDLen36]byte
	for i := width - 1; i >= 0; i-- {
		out[i] = digits[v%36]
		v /= 36
	}
	return append(b, out[:width]...)
}

// maxRandomReads bounds the rejection loops so that a broken source (say, one returning only 0xFF) fails
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

// PSPReferenceLen is the length of the PSP references PSPReference makes. Adyen's own are 16 characters;
// these are longer so that they can carry the run id, and Valora stores any length ("<pspReference>_<eventCode>").
const PSPReferenceLen = 2 * runIDLen36

// PSPReference returns an Adyen-style reference of upper-case base36: the run id and the id (read as
// unsigned), each left-padded with '0' to 13 characters. Every (run, id) pair maps to a distinct reference.
func PSPReference(run RunID, id valoraid.ID) string {
	var buf [PSPReferenceLen]byte
	b := appendPadded36(buf[:0], uint64(run), runIDLen36, base36Upper)
	b = appendPadded36(b, uint64(id), runIDLen36, base36Upper)
	return string(b)
}
