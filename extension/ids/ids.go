// Package ids mints identifiers for load tests against Valora: snowflake ids bit-compatible with the ones
// Valora issues (github.com/bwmarrin/snowflake v0.3.0 defaults), the node each k6 process mints them on
// (ChooseNode), and the idempotency keys and payment provider references built from a snowflake and the
// process's random RunID, so that they never repeat across VUs, instances of a split run, or runs.
package ids

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Bit layout of a snowflake id, as in bwmarrin/snowflake v0.3.0 with its defaults, which Valora never
// overrides: 41 bits of milliseconds since Epoch, then the node, then a per-millisecond step.
const (
	Epoch    int64 = 1288834974657 // ms, bwmarrin/snowflake default (Twitter epoch)
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
	ErrInvalidID     = errors.New("ids: invalid id")
	ErrInvalidNode   = errors.New("ids: invalid node")
	ErrInvalidPrefix = errors.New("ids: invalid prefix")
	ErrUnknownKind   = errors.New("ids: unknown provider id kind")
)

// ID is a snowflake id. It exceeds 2^53, so it must cross into JavaScript and JSON as a decimal string.
type ID int64

// String returns the decimal form Valora uses in JSON, paths and headers.
func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// ParseID parses a decimal id made of ASCII digits only (no sign, no spaces). The id must be positive.
func ParseID(s string) (ID, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty string", ErrInvalidID)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not a decimal number", ErrInvalidID, clip(s))
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q does not fit in an int64", ErrInvalidID, clip(s))
	}
	if n <= 0 {
		return 0, fmt.Errorf("%w: %q must be greater than zero", ErrInvalidID, clip(s))
	}
	return ID(n), nil
}

// clip keeps error messages short when the input is large.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
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

// Generator mints strictly increasing ids for one node. It is safe for concurrent use; in k6 one generator
// is shared by all VUs of an instance.
type Generator struct {
	node int64
	now  func() time.Time

	mu   sync.Mutex
	last int64 // milliseconds since Epoch of the last id
	step int64
}

// NewGenerator returns a generator for node, which must be in 0..MaxNode. A nil now means time.Now; tests
// inject a clock.
func NewGenerator(node int64, now func() time.Time) (*Generator, error) {
	if node < 0 || node > MaxNode {
		return nil, fmt.Errorf("%w: %d is outside 0..%d", ErrInvalidNode, node, MaxNode)
	}
	if now == nil {
		now = time.Now
	}
	return &Generator{node: node, now: now, last: -1}, nil
}

// Node returns the generator's node id.
func (g *Generator) Node() int64 { return g.node }

// Next returns the next id: (ms-Epoch)<<22 | node<<12 | step.
//
// Ids are strictly increasing per generator. When 4096 ids have been used in one millisecond, Next waits
// for the clock to reach the next one, as bwmarrin/snowflake does. If the clock goes backwards, Next keeps
// the last millisecond and continues from it; should that millisecond also run out while the clock is still
// behind, Next moves on to the following millisecond instead of blocking until the clock catches up.
// A clock before Epoch counts as Epoch.
func (g *Generator) Next() ID {
	g.mu.Lock()
	defer g.mu.Unlock()

	ms := g.millis()
	switch {
	case ms > g.last:
		g.step = 0
	default: // same millisecond, or the clock went backwards
		ms = g.last
		g.step = (g.step + 1) & MaxStep
		if g.step == 0 {
			ms = g.waitAfter(g.last)
		}
	}
	g.last = ms
	return ID(ms<<timeShift | g.node<<nodeShift | g.step)
}

// waitAfter returns the first millisecond after last. It waits for the clock when the clock is at last, and
// borrows last+1 when the clock is behind last, so a clock step backwards never stalls the generator.
func (g *Generator) waitAfter(last int64) int64 {
	for {
		ms := g.millis()
		if ms > last {
			return ms
		}
		if ms < last {
			return last + 1
		}
		runtime.Gosched()
	}
}

func (g *Generator) millis() int64 {
	ms := g.now().UnixMilli() - Epoch
	if ms < 0 {
		return 0
	}
	return ms
}
