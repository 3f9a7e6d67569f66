package ids

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/big"

	"github.com/valora-k6/valora-k6/valoraid"
)

// RunID identifies one k6 process: 64 random bits drawn once when the process first needs an id. Every
// idempotency key and provider id carries it, so two runs never mint the same key even when they share a
// snowflake node, start in the same millisecond or are split into segments that map to one node.
//
// Two processes draw the same run id with probability 2^-64; among n concurrent processes about n²/2^65.
type RunID uint64

// NewRunID reads a run id from rnd, which should be crypto/rand.Reader; tests pass a fixed source.
func NewRunID(rnd io.Reader) (RunID, error) {
	var b [8]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return 0, fmt.Errorf("ids: reading randomness for the run id: %w", err)
	}
	return RunID(binary.BigEndian.Uint64(b[:])), nil
}

// String is the run id as it appears in idempotency keys: 13 lowercase base36 digits.
func (r RunID) String() string {
	var buf [runIDLen36]byte
	return string(appendPadded36(buf[:0], uint64(r), runIDLen36, base36Lower))
}

// FirstNode is the lowest snowflake node this package hands out: Valora's own servers use node 1, and node 0
// is left alone as the default of other bwmarrin/snowflake users.
const FirstNode int64 = 2

// segmentNodes is how many nodes are handed out: FirstNode..valoraid.MaxNode.
const segmentNodes = valoraid.MaxNode - FirstNode + 1 // 1022

// Placement is where one k6 process sits in a test run, as its execution segment options describe it.
type Placement struct {
	// Segmented is true when the process runs part of the test (an --execution-segment other than 0:1).
	Segmented bool
	// Start is where the segment starts, in [0,1); used when there is no sequence.
	Start *big.Rat
	// Index is the segment's position in --execution-segment-sequence, or -1 when no sequence was given.
	Index int
}

// ChooseNode picks the snowflake node of one k6 process, always in FirstNode..valoraid.MaxNode (1022 nodes):
//
//   - Segmented, with a segment sequence (as k6-operator starts its runners): FirstNode + Index mod 1022.
//     The instances of one split run get distinct nodes, up to 1022 instances, however uneven their
//     segments are (0:1/2000 and 1/2000:2/2000 included).
//   - Segmented, without a sequence: NodeForSegment(Start), 2 + floor(start × 1022). Distinct while every
//     segment is at least 1/1022 wide; narrower segments can share a node, so pass the sequence too.
//   - Unsegmented: uniformly random from rnd (crypto/rand in k6). Two unsegmented runs started together
//     share a node with probability 1/1022 (about 0.1 %); three with about 0.3 %; ten with about 4.3 %.
//     A run beside a split run of k instances shares a node with one of them with probability k/1022.
//
// Runs that share a node mint the same snowflake only when both mint one in the same millisecond with the
// same step (steps restart at 0 every millisecond, so at low rates that means: the first id of a
// millisecond both of them used). Snowflakes are therefore unique within a run but only very likely unique
// across concurrent runs; idempotency keys and provider ids, which also carry the RunID, are unique across
// runs as well.
func ChooseNode(p Placement, rnd io.Reader) (int64, error) {
	switch {
	case !p.Segmented:
		return RandomNode(rnd)
	case p.Index >= 0:
		return NodeForIndex(p.Index), nil
	default:
		return NodeForSegment(p.Start), nil
	}
}

// NewSharedGenerator returns the generator a k6 process mints every snowflake with, shared by all its VUs: a
// valoraid.Generator on the node ChooseNode picks for p, reading rnd only when p is unsegmented.
func NewSharedGenerator(p Placement, rnd io.Reader) (*valoraid.Generator, error) {
	node, err := ChooseNode(p, rnd)
	if err != nil {
		return nil, err
	}
	return valoraid.NewGenerator(node, nil)
}

// RandomNode returns a node drawn uniformly from FirstNode..MaxNode.
func RandomNode(rnd io.Reader) (int64, error) {
	// Rejection sampling over 16 bits: 64 × 1022 = 65408 values are accepted, so no node is favoured.
	const limit = (1 << 16) / segmentNodes * segmentNodes
	var b [2]byte
	for range maxRandomReads {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return 0, fmt.Errorf("ids: reading randomness for the snowflake node: %w", err)
		}
		if v := int64(binary.BigEndian.Uint16(b[:])); v < limit {
			return FirstNode + v%segmentNodes, nil
		}
	}
	return 0, fmt.Errorf("ids: the random source keeps returning values outside the node range")
}

// NodeForIndex returns the node of the index-th segment of a segment sequence: FirstNode + index mod 1022.
// A negative index counts as 0.
func NodeForIndex(index int) int64 {
	if index < 0 {
		index = 0
	}
	return FirstNode + int64(index)%segmentNodes
}

// NodeForSegment returns the node for the k6 execution segment that starts at start, in [0,1):
// 2 + floor(start*1022). Nodes 0 and 1 are never returned, because Valora's own servers use node 1.
//
// Two segments get distinct nodes when their starts differ by at least 1/1022, so the instances of a
// distributed run never share a node as long as every segment is wider than 1/1022 (up to 1022 equal
// instances). A nil start counts as 0; a start outside [0,1) is clamped to the nodes 2..MaxNode.
func NodeForSegment(start *big.Rat) int64 {
	if start == nil || start.Sign() <= 0 {
		return FirstNode
	}
	scaled := new(big.Int).Mul(start.Num(), big.NewInt(segmentNodes))
	scaled.Quo(scaled, start.Denom()) // floor, since both are positive
	if !scaled.IsInt64() || scaled.Int64() >= segmentNodes {
		return valoraid.MaxNode
	}
	return FirstNode + scaled.Int64()
}
