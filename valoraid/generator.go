package valoraid

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Generator mints strictly increasing ids for one node. It is safe for concurrent use.
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
