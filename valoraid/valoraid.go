// Package valoraid is Valora's id format: the snowflake ids github.com/bwmarrin/snowflake v0.3.0 mints with its
// defaults, which Valora never overrides (valora-api.md section 7), and the forms Valora writes them in: decimal
// strings in JSON, paths and headers, and "key_" with upper-case base 36 for API key ids.
//
// Both sides of a test agree on it, so it depends on neither: the stand-in (standin/) keys its state by these
// ids, and the k6 extension (extension/ids) mints them. It never imports the JS engine.
package valoraid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bit layout of a snowflake id, as in bwmarrin/snowflake v0.3.0 with its defaults: 41 bits of milliseconds since
// Epoch, then the node, then a per-millisecond step.
const (
	Epoch    int64 = 1288834974657 // ms, 2010-11-04T01:42:54.657Z: the Twitter epoch, bwmarrin/snowflake's default
	NodeBits       = 10
	StepBits       = 12
	MaxNode  int64 = 1<<NodeBits - 1

	// MaxStep is the last step of a millisecond; 4096 ids fit in one millisecond per node.
	MaxStep int64 = 1<<StepBits - 1

	timeShift = NodeBits + StepBits
	nodeShift = StepBits
)

// Sentinel errors; returned errors wrap them, so test with errors.Is.
var (
	ErrInvalidNode = errors.New("valoraid: invalid node")
	ErrNotString   = errors.New("valoraid: a JSON id must be a quoted decimal string")
)

// ID is a snowflake id. It exceeds 2^53, so it crosses into JSON and JavaScript as a decimal string.
type ID int64

// String returns the decimal form Valora uses in JSON, paths and headers.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// ParseString parses an id as Valora parses every id of a request body, path or header (snowflake.ParseString:
// strconv.ParseInt in base 10). That is looser than the form Valora writes: a sign ("+5", "-5") and zero parse,
// and Valora fails later, when nothing has that id.
func ParseString(s string) (ID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	return ID(n), err
}

// MarshalJSON writes the id as a quoted decimal string, as snowflake.ID does.
func (id ID) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 22) // quotes, a sign and 19 digits
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(id), 10)
	return append(b, '"'), nil
}

// UnmarshalJSON reads an id as snowflake.ID does: the value must be a JSON string (a number or null is an
// error wrapping ErrNotString), and its contents are read by ParseString.
func (id *ID) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("%w, got %.64s", ErrNotString, b) // the value, cut to 64 characters
	}
	n, err := ParseString(string(b[1 : len(b)-1]))
	if err != nil {
		return fmt.Errorf("valoraid: JSON id: %w", err)
	}
	*id = n
	return nil
}

// Parts are the fields packed into an ID.
type Parts struct {
	Time time.Time // UTC, millisecond precision
	Node int64
	Step int64
}

// Decode splits an id into its time, node and step.
func Decode(id ID) Parts {
	n := int64(id)
	return Parts{
		Time: time.UnixMilli(n>>timeShift + Epoch).UTC(),
		Node: n >> nodeShift & MaxNode,
		Step: n & MaxStep,
	}
}

// KeyID is the key_id Valora gives the API key whose record id is id (contract 6.4): "key_" and the id in
// upper-case base 36, such as key_F98QDZLSN9J4 for 2008117908344934400.
func KeyID(id ID) string {
	return "key_" + strings.ToUpper(strconv.FormatInt(int64(id), 36))
}
