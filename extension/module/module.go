// Package module is the JavaScript glue of k6/x/valora: the root module shared by all VUs, the per-VU
// instance and its exports, argument conversion and throwing. Domain logic lives in the sibling packages
// (webhook, ids, session, files), which never import the JS engine.
package module

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/modules"

	"github.com/valora-k6/valora-k6/extension/ids"
	"github.com/valora-k6/valora-k6/valoraid"
)

// ImportPath is the name scripts import the module by.
const ImportPath = "k6/x/valora"

var errInitContext = errors.New("not available in the init context")

// RootModule is created once per k6 process. State shared by every VU lives here: the run id and snowflake
// generator (one per process, so ids never repeat across VUs, and never across processes thanks to the run
// id), the cross-VU registries and what runStatus reports.
type RootModule struct {
	idsOnce sync.Once
	ids     idSource
	idsErr  error

	shared *registry
	status runState
}

// idSource is what every id minted in this process is made from.
type idSource struct {
	gen *valoraid.Generator
	run ids.RunID
}

var _ modules.Module = (*RootModule)(nil)

// New returns the root module registered under ImportPath.
func New() *RootModule {
	return newRoot(signal.Notify)
}

// newRoot takes the function that subscribes to signals, so that tests can keep the test binary's own.
func newRoot(notify func(chan<- os.Signal, ...os.Signal)) *RootModule {
	return &RootModule{shared: newRegistry(), status: runState{notify: notify}}
}

// NewModuleInstance runs once per VU, always in the init context. The first one also reads what runStatus
// reports about the whole run.
func (r *RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	r.status.start(vu)
	inst := &Instance{vu: vu, root: r}
	inst.exports = modules.Exports{Default: vu.Runtime().NewDynamicObject(&exportsObject{inst: inst})}
	return inst
}

// idSource returns the process-wide run id and snowflake generator. The node depends on the execution
// segment, which is only known once a VU runs, so both are made on first use from VU context.
func (r *RootModule) idSource(vu modules.VU, fn string) (idSource, error) {
	state := vu.State()
	if state == nil {
		return idSource{}, fmt.Errorf("%w: %s() needs the execution segment; call it from setup(), the default "+
			"function or teardown()", errInitContext, fn)
	}
	r.idsOnce.Do(func() {
		r.ids, r.idsErr = newIDSource(state.Options)
	})
	return r.ids, r.idsErr
}

// Instance is the per-VU module instance.
type Instance struct {
	vu      modules.VU
	root    *RootModule
	exports modules.Exports
}

var _ modules.Instance = (*Instance)(nil)

// Exports returns the exports object made when the instance was created.
func (i *Instance) Exports() modules.Exports { return i.exports }

// exportsObject is the module's exports as seen from JavaScript. Each export becomes a JavaScript function
// the first time the VU reads it, and that function is kept: k6 reads the binding on every access, and most
// VUs use a few of the exports only, so converting all of them up front cost memory in every VU for nothing.
type exportsObject struct {
	inst *Instance
	fns  []*sobek.Object // by index in exportTable, made on first access
}

var _ sobek.DynamicObject = (*exportsObject)(nil)

func (o *exportsObject) Get(key string) sobek.Value {
	idx, ok := exportIndex[key]
	if !ok {
		return nil
	}
	if o.fns == nil {
		o.fns = make([]*sobek.Object, len(exportTable))
	}
	if fn := o.fns[idx]; fn != nil {
		return fn
	}
	fn := o.inst.function(&exportTable[idx])
	o.fns[idx] = fn
	return fn
}

// The exports are read-only.
func (o *exportsObject) Set(string, sobek.Value) bool { return false }
func (o *exportsObject) Delete(key string) bool       { _, ok := exportIndex[key]; return !ok }

func (o *exportsObject) Has(key string) bool {
	_, ok := exportIndex[key]
	return ok
}

func (o *exportsObject) Keys() []string {
	keys := make([]string, len(exportTable))
	for idx := range exportTable {
		keys[idx] = exportTable[idx].name
	}
	return keys
}

// function makes the JavaScript function for one export of this VU. It checks the argument count, then
// leaves each argument to the export's accessors; its name and length are the export's.
func (i *Instance) function(e *export) *sobek.Object {
	rt := i.vu.Runtime()
	fn := rt.ToValue(func(fc sobek.FunctionCall) sobek.Value {
		c := call{rt: rt, i: i, e: e, args: fc.Arguments}
		if len(c.args) > len(e.params) {
			c.typeError("takes at most %d argument%s (%s), got %d", len(e.params), plural(len(e.params)),
				e.signature(), len(c.args))
		}
		for idx := range e.params {
			if idx >= len(c.args) && !e.params[idx].optional {
				c.missing(idx)
			}
		}
		return e.impl(c)
	}).(*sobek.Object)
	// A native function is named after its Go closure otherwise.
	_ = fn.DefineDataProperty("name", rt.ToValue(e.name), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
	_ = fn.DefineDataProperty("length", rt.ToValue(e.required()), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
	return fn
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
