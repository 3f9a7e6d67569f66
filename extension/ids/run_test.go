package ids

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/valora-k6/valora-k6/valoraid"
)

func TestNewRunID(t *testing.T) {
	run, err := NewRunID(bytes.NewReader([]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}))
	if err != nil || run != testRun {
		t.Fatalf("NewRunID = %#x, %v; want %#x (big-endian bytes)", uint64(run), err, uint64(testRun))
	}
	if _, err := NewRunID(bytes.NewReader(make([]byte, 7))); err == nil {
		t.Error("a short source must fail")
	}
	boom := errors.New("boom")
	if _, err := NewRunID(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("reader failure: error = %v, want it wrapped", err)
	}
	a, _ := NewRunID(crand.Reader)
	b, _ := NewRunID(crand.Reader)
	if a == b {
		t.Errorf("two run ids from crypto/rand are equal: %v", a)
	}
}

func TestChooseNode(t *testing.T) {
	third := big.NewRat(1, 3)
	cases := []struct {
		name string
		p    Placement
		want int64
	}{
		{"segment with a sequence: by index", Placement{Segmented: true, Start: third, Index: 1}, 3},
		{"uneven segments in a sequence stay apart", Placement{Segmented: true, Start: big.NewRat(1, 2000), Index: 1}, 3},
		{"first of a sequence", Placement{Segmented: true, Start: big.NewRat(0, 1), Index: 0}, 2},
		{"index wraps after 1022 instances", Placement{Segmented: true, Start: third, Index: 1022}, 2},
		{"segment without a sequence: by start", Placement{Segmented: true, Start: third, Index: -1}, NodeForSegment(third)},
	}
	for _, c := range cases {
		got, err := ChooseNode(c.p, iotest.ErrReader(errors.New("a segmented run needs no randomness")))
		if err != nil || got != c.want {
			t.Errorf("%s: ChooseNode = %d, %v; want %d", c.name, got, err, c.want)
		}
	}

	// Unsegmented: random, from the source given.
	got, err := ChooseNode(Placement{Index: -1}, bytes.NewReader([]byte{0x00, 0x05}))
	if err != nil || got != 7 {
		t.Errorf("unsegmented with source 0x0005: node %d, %v; want 2+5", got, err)
	}
	if _, err := ChooseNode(Placement{}, iotest.ErrReader(errors.New("boom"))); err == nil {
		t.Error("unsegmented with a failing source must fail")
	}
}

func TestNewSharedGenerator(t *testing.T) {
	g, err := NewSharedGenerator(Placement{Segmented: true, Start: big.NewRat(1, 3), Index: 5}, iotest.ErrReader(errors.New("unused")))
	if err != nil || g.Node() != NodeForIndex(5) {
		t.Fatalf("segment 5 of a sequence: %v; want a generator on node %d", err, NodeForIndex(5))
	}
	if got := valoraid.Decode(g.Next()).Node; got != NodeForIndex(5) {
		t.Errorf("its ids carry node %d, want %d", got, NodeForIndex(5))
	}
	g, err = NewSharedGenerator(Placement{Index: -1}, bytes.NewReader([]byte{0x00, 0x05}))
	if err != nil || g.Node() != 7 {
		t.Fatalf("unsegmented with source 0x0005: %v; want node 7", err)
	}
	if _, err := NewSharedGenerator(Placement{}, iotest.ErrReader(errors.New("boom"))); err == nil {
		t.Error("unsegmented with a failing source must fail")
	}
}

func TestRandomNodeIsUniformOverTheRange(t *testing.T) {
	// Every 16-bit value below the rejection limit maps to FirstNode + v mod 1022: each node exactly 64 times.
	counts := make(map[int64]int)
	for v := range 1 << 16 {
		node, err := RandomNode(bytes.NewReader([]byte{byte(v >> 8), byte(v)}))
		if err != nil {
			if v < 65408 {
				t.Fatalf("value %d rejected", v)
			}
			continue // rejected, and the source has nothing more
		}
		counts[node]++
	}
	if len(counts) != int(segmentNodes) {
		t.Fatalf("%d distinct nodes, want %d", len(counts), segmentNodes)
	}
	for node, n := range counts {
		if node < FirstNode || node > valoraid.MaxNode || n != 64 {
			t.Fatalf("node %d drawn %d times, want 64 and a node in %d..%d", node, n, FirstNode, valoraid.MaxNode)
		}
	}
	// A rejected value is followed by another draw.
	if node, err := RandomNode(bytes.NewReader([]byte{0xff, 0xff, 0x00, 0x00})); err != nil || node != FirstNode {
		t.Errorf("after a rejected draw: %d, %v", node, err)
	}
	if _, err := RandomNode(constReader(0xff)); err == nil {
		t.Error("a source returning only rejected values must fail instead of spinning")
	}
}

// TestRandomNodeCollisionOdds checks the documented odds: two processes draw the same node with
// probability 1/1022.
func TestRandomNodeCollisionOdds(t *testing.T) {
	const pairs = 200_000
	same := 0
	for range pairs {
		a, err := RandomNode(crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, err := RandomNode(crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if a == b {
			same++
		}
	}
	want := pairs / float64(segmentNodes) // ≈ 195.7
	// Binomial standard deviation ≈ 14; six of them is a false alarm once in ~10^9 runs.
	if sd := math.Sqrt(want); math.Abs(float64(same)-want) > 6*sd {
		t.Errorf("%d of %d pairs shared a node, expected about %.0f (1/1022)", same, pairs, want)
	}
}

func TestNodeForIndex(t *testing.T) {
	for index, want := range map[int]int64{-3: 2, 0: 2, 1: 3, 1021: valoraid.MaxNode, 1022: 2, 2045: 3} {
		if got := NodeForIndex(index); got != want {
			t.Errorf("NodeForIndex(%d) = %d, want %d", index, got, want)
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
		{big.NewRat(1021, 1022), valoraid.MaxNode},
		{big.NewRat(999_999, 1_000_000), valoraid.MaxNode},
		{big.NewRat(1, 1), valoraid.MaxNode},
		{big.NewRat(5, 1), valoraid.MaxNode},
		{new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 200), big.NewInt(3)), valoraid.MaxNode},
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
		if node < 2 || node > valoraid.MaxNode {
			t.Fatalf("segment %d → node %d, outside 2..%d", i, node, valoraid.MaxNode)
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
