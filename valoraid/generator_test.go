package valoraid

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestGeneratorReproducesValoraID(t *testing.T) {
	g, err := NewGenerator(1, fixedClock(valoraOrgTime))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Next(); got != valoraOrgID {
		t.Fatalf("first id at %v on node 1 = %d, want %d", valoraOrgTime, got, valoraOrgID)
	}
	if got, want := g.Next(), valoraOrgID+1; got != want {
		t.Fatalf("second id in the same ms = %d, want %d (step 1)", got, want)
	}
}

func TestNextLayout(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)
	g, err := NewGenerator(777, fixedClock(at))
	if err != nil {
		t.Fatal(err)
	}
	ms := at.UnixMilli() - Epoch
	for step := int64(0); step < 3; step++ {
		id := g.Next()
		if want := ID(ms<<22 | 777<<12 | step); id != want {
			t.Fatalf("id %d = %d, want %d", step, id, want)
		}
		p := Decode(id)
		if !p.Time.Equal(at.Truncate(time.Millisecond)) || p.Node != 777 || p.Step != step {
			t.Fatalf("Decode(%d) = %+v", id, p)
		}
	}
}

func TestNewGeneratorNode(t *testing.T) {
	for _, node := range []int64{0, 1, 2, 512, MaxNode} {
		g, err := NewGenerator(node, nil)
		if err != nil {
			t.Fatalf("NewGenerator(%d): %v", node, err)
		}
		if g.Node() != node {
			t.Errorf("Node() = %d, want %d", g.Node(), node)
		}
		if got := Decode(g.Next()).Node; got != node {
			t.Errorf("decoded node = %d, want %d", got, node)
		}
	}
	for _, node := range []int64{-1, MaxNode + 1, 1 << 40} {
		if _, err := NewGenerator(node, nil); !errors.Is(err, ErrInvalidNode) {
			t.Errorf("NewGenerator(%d) error = %v, want ErrInvalidNode", node, err)
		}
	}
}

func TestNextMonotonicRealClock(t *testing.T) {
	g, err := NewGenerator(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev := g.Next()
	start := time.Now()
	for i := 0; i < 200_000; i++ {
		id := g.Next()
		if id <= prev {
			t.Fatalf("id %d = %d, not greater than %d", i, id, prev)
		}
		prev = id
	}
	if d := Decode(prev).Time.Sub(start); d < -time.Second || d > time.Minute {
		t.Errorf("last id time is %v away from the start of the test", d)
	}
}

func TestStepOverflowWaitsForNextMillisecond(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &steppingClock{t: base}
	g, err := NewGenerator(9, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ms := base.UnixMilli() - Epoch
	for step := int64(0); step <= MaxStep; step++ {
		if id, want := g.Next(), ID(ms<<22|9<<12|step); id != want {
			t.Fatalf("step %d: id = %d, want %d", step, id, want)
		}
	}
	// The millisecond is used up; the clock only moves after five more polls, and Next must wait for it.
	clock.advanceAfter(5, time.Millisecond)
	id := g.Next()
	if want := ID((ms+1)<<22 | 9<<12); id != want {
		t.Fatalf("id after overflow = %d (%+v), want %d (next ms, step 0)", id, Decode(id), want)
	}
	if clock.polls() < 6 {
		t.Errorf("clock polled %d times, want Next to have waited for it", clock.polls())
	}
}

func TestClockGoingBackwards(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &steppingClock{t: base}
	g, err := NewGenerator(4, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ms := base.UnixMilli() - Epoch
	first := g.Next()

	clock.set(base.Add(-10 * time.Millisecond))
	second := g.Next()
	if want := ID(ms<<22 | 4<<12 | 1); second != want {
		t.Fatalf("after the clock went back: id = %+v, want the last ms continued at step 1 (%+v)",
			Decode(second), Decode(want))
	}

	// Use up the rest of the millisecond while the clock is still behind: Next must not block.
	prev := second
	for step := 2; step <= int(MaxStep); step++ {
		id := g.Next()
		if id <= prev {
			t.Fatalf("id went backwards: %d after %d", id, prev)
		}
		prev = id
	}
	done := make(chan ID)
	go func() { done <- g.Next() }()
	select {
	case id := <-done:
		if want := ID((ms+1)<<22 | 4<<12); id != want {
			t.Fatalf("overflow with the clock behind: id = %+v, want %+v", Decode(id), Decode(want))
		}
		prev = id
	case <-time.After(5 * time.Second):
		t.Fatal("Next blocked waiting for a clock that went backwards")
	}

	clock.set(base.Add(5 * time.Millisecond))
	if id, want := g.Next(), ID((ms+5)<<22|4<<12); id != want || id <= prev || id <= first {
		t.Fatalf("after the clock caught up: id = %+v, want %+v", Decode(id), Decode(want))
	}
}

func TestClockBeforeEpoch(t *testing.T) {
	g, err := NewGenerator(2, fixedClock(time.UnixMilli(Epoch-1000)))
	if err != nil {
		t.Fatal(err)
	}
	if id, want := g.Next(), ID(2<<12); id != want {
		t.Fatalf("id before Epoch = %d, want %d (Epoch, node 2, step 0)", id, want)
	}
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// steppingClock is a test clock that can be set, and can be told to move after a number of polls.
type steppingClock struct {
	mu      sync.Mutex
	t       time.Time
	n       int
	moveAt  int
	moveBy  time.Duration
	pending bool
}

func (c *steppingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.pending && c.n >= c.moveAt {
		c.t = c.t.Add(c.moveBy)
		c.pending = false
	}
	return c.t
}

func (c *steppingClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// advanceAfter makes the clock move by d on the polls-th poll from now, and resets the poll count.
func (c *steppingClock) advanceAfter(polls int, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.moveAt, c.moveBy, c.pending = 0, polls+1, d, true
}

func (c *steppingClock) polls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func BenchmarkNext(b *testing.B) {
	g, err := NewGenerator(2, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Next()
	}
}

func BenchmarkNextParallel(b *testing.B) {
	g, err := NewGenerator(2, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Next()
		}
	})
}
