package module

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/lib"

	"github.com/valora-k6/valora-k6/extension/ids"
)

// newIDSource draws this process's run id and picks its snowflake node from the execution segment options
// (ids.ChooseNode says how, and what the odds of two runs sharing a node are).
func newIDSource(opts lib.Options) (idSource, error) {
	p, err := placementOf(opts)
	if err != nil {
		return idSource{}, err
	}
	gen, err := ids.NewSharedGenerator(p, rand.Reader)
	if err != nil {
		return idSource{}, err
	}
	run, err := ids.NewRunID(rand.Reader)
	if err != nil {
		return idSource{}, err
	}
	return idSource{gen: gen, run: run}, nil
}

// placementOf says where this process sits in the run: unsegmented, or which segment of which sequence.
func placementOf(opts lib.Options) (ids.Placement, error) {
	p := ids.Placement{Index: -1}
	seg := opts.ExecutionSegment
	if seg == nil || seg.String() == "0:1" {
		return p, nil
	}
	start, err := segmentStart(seg.String())
	if err != nil {
		return p, err
	}
	p.Segmented, p.Start = true, start
	if seq := opts.ExecutionSegmentSequence; seq != nil && len(*seq) > 0 {
		tuple, err := lib.NewExecutionTuple(seg, seq)
		if err != nil {
			return p, err
		}
		p.Index = tuple.SegmentIndex
	}
	return p, nil
}

// segmentStart parses the "from:to" form lib.ExecutionSegment prints (the struct does not export its bounds).
func segmentStart(segment string) (*big.Rat, error) {
	from, _, ok := strings.Cut(segment, ":")
	if !ok {
		return nil, fmt.Errorf("unexpected execution segment %q", segment)
	}
	start, ok := new(big.Rat).SetString(from)
	if !ok {
		return nil, fmt.Errorf("unexpected execution segment start %q", from)
	}
	return start, nil
}

// instanceShare(total) → how many of a scenario's `total` VUs this instance runs, scaled exactly as k6's
// executors scale them for the execution segment (so a barrier waits for the VUs that really exist here).
func instanceShare(c call) sobek.Value {
	n := c.integer(0, 0, maxSafeInteger)
	state := c.i.vu.State()
	if state == nil {
		c.fail(errInitContext)
	}
	tuple, err := lib.NewExecutionTuple(state.Options.ExecutionSegment, state.Options.ExecutionSegmentSequence)
	if err != nil {
		c.fail(err)
	}
	return c.rt.ToValue(tuple.ScaleInt64(n))
}
