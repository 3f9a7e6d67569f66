// Package ids is the k6 client's side of Valora's ids (whose format is package valoraid): the snowflake node each
// k6 process mints on (ChooseNode) and the generator its VUs share (NewSharedGenerator), the process's random
// RunID, and the idempotency keys and payment provider references built from a snowflake and the run id, so
// that they never repeat across VUs, instances of a split run, or runs. ParseID checks an id a script passes.
package ids

import (
	"errors"
	"fmt"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Sentinel errors; returned errors wrap them, so test with errors.Is.
var (
	ErrInvalidID     = errors.New("ids: invalid id")
	ErrInvalidPrefix = errors.New("ids: invalid prefix")
	ErrUnknownKind   = errors.New("ids: unknown provider id kind")
)

// ParseID parses an id as a script must pass it: a decimal number made of ASCII digits only (no sign, no
// spaces), greater than zero. That is stricter than Valora (valoraid.ParseString), so that a typo fails here
// rather than as an id that matches nothing.
func ParseID(s string) (valoraid.ID, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty string", ErrInvalidID)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not a decimal number", ErrInvalidID, clip(s))
		}
	}
	id, err := valoraid.ParseString(s)
	if err != nil { // digits only: the one error left is a value out of range
		return 0, fmt.Errorf("%w: %q does not fit in an int64", ErrInvalidID, clip(s))
	}
	if id <= 0 {
		return 0, fmt.Errorf("%w: %q must be greater than zero", ErrInvalidID, clip(s))
	}
	return id, nil
}

// clip keeps error messages short when the input is large.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
