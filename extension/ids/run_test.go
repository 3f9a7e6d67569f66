package ids

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"math"
	"math/big"
	"testing"
	"testing/iotest"
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
		if node < FirstNode || node > MaxNode || n != 64 {
			t.Fatalf("node %d drawn %d times, want 64 and a node in %d..%d", node, n, FirstNode, MaxNode)
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
	for index, want := range map[int]int64{-3: 2, 0: 2, 1: 3, 1021: MaxNode, 1022: 2, 2045: 3} {
		if got := NodeForIndex(index); got != want {
			t.Errorf("NodeForIndex(%d) = %d, want %d", index, got, want)
		}
	}
}
