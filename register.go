// Package valora registers the k6/x/valora JavaScript module. It is the root package that
// `xk6 build --with github.com/valora-k6/valora-k6=.` imports; the module itself lives in extension/module.
package valora

import (
	"go.k6.io/k6/v2/js/modules"

	"github.com/valora-k6/valora-k6/extension/module"
)

func init() {
	modules.Register(module.ImportPath, module.New())
}
