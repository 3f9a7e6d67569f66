// Package module is the JavaScript glue of k6/x/valora: the root module shared by all VUs, the per-VU
// instance and its exports. Domain logic lives in the sibling packages (webhook, ids, session), which never
// import the JS engine.
package module

import "go.k6.io/k6/v2/js/modules"

// ImportPath is the name scripts import the module by.
const ImportPath = "k6/x/valora"

// RootModule is created once per k6 process; state shared by every VU lives here.
type RootModule struct{}

// New returns the root module registered under ImportPath.
func New() *RootModule { return &RootModule{} }

// NewModuleInstance runs once per VU.
func (r *RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	return &Instance{vu: vu}
}

// Instance is the per-VU module instance.
type Instance struct {
	vu modules.VU
}

// Exports returns the module's JavaScript exports.
func (i *Instance) Exports() modules.Exports { return modules.Exports{} }
