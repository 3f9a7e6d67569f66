package ids

import (
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// valoraOrgID is an organisation id issued by Valora (contract section 7: node 1, step 0, January 2026).
// Expected parts computed independently:
//
//	python3 -c "i=2008111837777760256; print((i>>22)+1288834974657, (i>>12)&1023, i&4095)"
//	→ 1767606145697 1 0, i.e. 2026-01-05T09:42:25.697Z
const valoraOrgID ID = 2008111837777760256

var valoraOrgTime = time.Date(2026, time.January, 5, 9, 42, 25, 697_000_000, time.UTC)

func TestDecodeValoraID(t *testing.T) {
	got := Decode(valoraOrgID)
	want := Parts{Time: valoraOrgTime, Node: 1, Step: 0}
	if !got.Time.Equal(want.Time) || got.Node != want.Node || got.Step != want.Step {
		t.Fatalf("Decode(%d) = %+v, want %+v", valoraOrgID, got, want)
	}
	if got.Time.Location() != time.UTC {
		t.Errorf("Decode time location = %v, want UTC", got.Time.Location())
	}
}

func TestDecodeLayout(t *testing.T) {
	// Hand-assembled from the layout: 1 ms after Epoch, node 1023, step 4095.
	id := ID(1<<22 | 1023<<12 | 4095)
	got := Decode(id)
	if got.Time.UnixMilli() != Epoch+1 || got.Node != 1023 || got.Step != 4095 {
		t.Fatalf("Decode(%d) = %+v", id, got)
	}
	if Decode(0).Time.UnixMilli() != Epoch {
		t.Errorf("Decode(0) time = %v, want Epoch", Decode(0).Time)
	}
	if got := time.UnixMilli(Epoch).UTC().Format(time.RFC3339Nano); got != "2010-11-04T01:42:54.657Z" {
		t.Errorf("Epoch = %s, want the Twitter epoch 2010-11-04T01:42:54.657Z", got)
	}
}

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

func TestIDStringAndParse(t *testing.T) {
	if got := valoraOrgID.String(); got != "2008111837777760256" {
		t.Fatalf("String() = %q", got)
	}
	good := map[string]ID{
		"2008111837777760256": valoraOrgID,
		"1":                   1,
		"9223372036854775807": 1<<63 - 1,
		"007":                 7,
	}
	for s, want := range good {
		got, err := ParseID(s)
		if err != nil || got != want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "000", "-1", "+1", " 1", "1 ", "1e9", "0x10", "12a",
		"9223372036854775808", strings.Repeat("9", 200)} {
		if _, err := ParseID(s); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ParseID(%q) error = %v, want ErrInvalidID", s, err)
		} else if len(err.Error()) > 120 {
			t.Errorf("ParseID(%q) error is %d bytes long", s, len(err.Error()))
		}
	}
}

func TestNodeForSegment(t *testing.T) {
	cases := []struct {
		sequence string
		want     []int64 // one per segment, by start
	}{
		// 2 + floor(start*1022): 1022/3 = 340.67, 2044/3 = 681.33.
		{"0,1/3,2/3,1", []int64{2, 342, 683}},
		{"0,1/2,1", []int64{2, 513}},
		// 1022/4 = 255.5, 3066/4 = 766.5.
		{"0,1/4,1/2,3/4,1", []int64{2, 257, 513, 768}},
		{"0,1", []int64{2}},
		{"0,1/1022,2/1022,1", []int64{2, 3, 4}},
		{"0,0.1,0.9,1", []int64{2, 104, 921}},
	}
	for _, c := range cases {
		starts := segmentStarts(t, c.sequence)
		if len(starts) != len(c.want) {
			t.Fatalf("%s: %d segments, want %d", c.sequence, len(starts), len(c.want))
		}
		for i, start := range starts {
			if got := NodeForSegment(start); got != c.want[i] {
				t.Errorf("%s: segment %d (start %s) → node %d, want %d", c.sequence, i, start.RatString(), got, c.want[i])
			}
		}
	}
}

func TestNodeForSegmentEdges(t *testing.T) {
	cases := []struct {
		start *big.Rat
		want  int64
	}{
		{nil, 2},
		{big.NewRat(0, 1), 2},
		{big.NewRat(-1, 2), 2},
		{big.NewRat(1021, 1022), MaxNode},
		{big.NewRat(999_999, 1_000_000), MaxNode},
		{big.NewRat(1, 1), MaxNode},
		{big.NewRat(5, 1), MaxNode},
		{new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 200), big.NewInt(3)), MaxNode},
	}
	for _, c := range cases {
		if got := NodeForSegment(c.start); got != c.want {
			t.Errorf("NodeForSegment(%v) = %d, want %d", c.start, got, c.want)
		}
	}
}

func TestNodeForSegmentDistinctUpTo1022Segments(t *testing.T) {
	seen := make(map[int64]int64)
	for i := int64(0); i < segmentNodes; i++ {
		node := NodeForSegment(big.NewRat(i, segmentNodes))
		if node < 2 || node > MaxNode {
			t.Fatalf("segment %d → node %d, outside 2..%d", i, node, MaxNode)
		}
		if j, dup := seen[node]; dup {
			t.Fatalf("segments %d and %d of 1022 share node %d", j, i, node)
		}
		seen[node] = i
	}
	// The documented limit: with 1023 equal segments two of them must share a node.
	shared := false
	nodes := make(map[int64]bool)
	for i := int64(0); i < segmentNodes+1; i++ {
		n := NodeForSegment(big.NewRat(i, segmentNodes+1))
		shared = shared || nodes[n]
		nodes[n] = true
	}
	if !shared {
		t.Error("1023 segments got 1023 distinct nodes; the documented limit is wrong")
	}
}

// segmentStarts parses a k6 execution segment sequence ("0,1/3,2/3,1") into the start of each segment.
func segmentStarts(t testing.TB, sequence string) []*big.Rat {
	t.Helper()
	parts := strings.Split(sequence, ",")
	starts := make([]*big.Rat, 0, len(parts)-1)
	for _, p := range parts[:len(parts)-1] {
		r, ok := new(big.Rat).SetString(p)
		if !ok {
			t.Fatalf("bad segment boundary %q", p)
		}
		starts = append(starts, r)
	}
	return starts
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
