package module

import (
	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/lib"
)

// instanceShare(total) → how many of a scenario's `total` VUs this instance runs, scaled exactly as k6's
// executors scale them for the execution segment (so a barrier waits for the VUs that really exist here).
func (i *Instance) instanceShare(total sobek.Value) int64 {
	const fn = "instanceShare"
	rt := i.vu.Runtime()
	n := toInteger(rt, fn, `argument "total"`, "a scenario's VU or iteration count", total)
	if n < 0 {
		throwType(rt, "%s: argument \"total\" must not be negative, got %d", fn, n)
	}
	state := i.vu.State()
	if state == nil {
		throwErr(rt, fn, errInitContext)
	}
	tuple, err := lib.NewExecutionTuple(state.Options.ExecutionSegment, state.Options.ExecutionSegmentSequence)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return tuple.ScaleInt64(n)
}
