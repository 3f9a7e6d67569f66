// Package module is the JavaScript glue of k6/x/valora: the root module shared by all VUs, the per-VU
// instance and its exports, argument conversion and throwing. Domain logic lives in the sibling packages
// (webhook, ids, session), which never import the JS engine.
package module

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"go.k6.io/k6/v2/js/modules"

	"github.com/valora-k6/valora-k6/extension/ids"
)

// ImportPath is the name scripts import the module by.
const ImportPath = "k6/x/valora"

var errInitContext = errors.New("not available in the init context")

// RootModule is created once per k6 process. State shared by every VU lives here: the snowflake generator
// (one per instance, so ids never repeat across VUs) and the cross-VU registries.
type RootModule struct {
	genOnce sync.Once
	gen     *ids.Generator
	genErr  error

	shared *registry
}

var _ modules.Module = (*RootModule)(nil)

// New returns the root module registered under ImportPath.
func New() *RootModule {
	return &RootModule{shared: newRegistry()}
}

// NewModuleInstance runs once per VU; the exports are built here once and reused.
func (r *RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	inst := &Instance{vu: vu, root: r}
	// k6 converts an export with rt.ToValue on every access to it from a script; a value that is already a
	// sobek.Value passes through as it is, so converting once here takes that cost off every call.
	named := inst.named()
	for name, fn := range named {
		named[name] = vu.Runtime().ToValue(fn)
	}
	inst.exports = modules.Exports{Named: named}
	return inst
}

// generator returns the instance-wide snowflake generator. Its node comes from the execution segment, which
// is only known once a VU runs, so it is created on first use from VU context.
func (r *RootModule) generator(vu modules.VU, fn string) (*ids.Generator, error) {
	state := vu.State()
	if state == nil {
		return nil, fmt.Errorf("%w: %s() needs the execution segment; call it from setup(), the default "+
			"function or teardown()", errInitContext, fn)
	}
	r.genOnce.Do(func() {
		start, err := segmentStart(state.Options.ExecutionSegment.String())
		if err != nil {
			r.genErr = err
			return
		}
		r.gen, r.genErr = ids.NewGenerator(ids.NodeForSegment(start), nil)
	})
	return r.gen, r.genErr
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

// Instance is the per-VU module instance.
type Instance struct {
	vu      modules.VU
	root    *RootModule
	exports modules.Exports
}

var _ modules.Instance = (*Instance)(nil)

// Exports returns the exports built when the instance was created.
func (i *Instance) Exports() modules.Exports { return i.exports }

func (i *Instance) named() map[string]any {
	return map[string]any{
		// webhooks
		"signStripe":            i.signStripe,
		"stripeSignatureHeader": i.stripeSignatureHeader,
		"stripeEvent":           i.stripeEvent,
		"adyenEvent":            i.adyenEvent,
		"signAdyen":             i.signAdyen,
		"signBraintree":         i.signBraintree,
		// ids
		"snowflake":       i.snowflake,
		"decodeSnowflake": i.decodeSnowflake,
		"idempotencyKey":  i.idempotencyKey,
		"providerId":      i.providerID,
		"nodeId":          i.nodeID,
		"instanceShare":   i.instanceShare,
		// sessions
		"sessionFromSetCookie": i.sessionFromSetCookie,
		"hashSessionToken":     i.hashSessionToken,
		"mintSessions":         i.mintSessions,
		"revokeSessions":       i.revokeSessions,
		// cross-VU invariants
		"firstSeen": i.firstSeen,
		"setSize":   i.setSize,
		"agree":     i.agree,
		"barrier":   i.barrier,
	}
}
