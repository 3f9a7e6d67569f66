package module

import (
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/js/modules"
	"go.k6.io/k6/v2/js/modulestest"
)

// exportValue reads one export the way k6's module system does for `import { name }` and `import * as`:
// from the named exports when there are any, otherwise as a property of the default export.
func exportValue(rt *sobek.Runtime, exp modules.Exports, name string) sobek.Value {
	if exp.Named != nil {
		return rt.ToValue(exp.Named[name])
	}
	return rt.ToValue(exp.Default).ToObject(rt).Get(name)
}

// BenchmarkModuleInstance is what every VU pays for importing k6/x/valora: the instance alone, the instance
// plus the three exports an ingest VU uses (each read twice), and the instance with every export read, which
// is what converting them all up front costs.
func BenchmarkModuleInstance(b *testing.B) {
	used := []string{"idempotencyKey", "snowflake", "firstSeen"}
	var all []string
	for _, e := range exportTable {
		all = append(all, e.name)
	}
	for _, tc := range []struct {
		name string
		use  []string
	}{{"instance", nil}, {"instance+3exports", used}, {"instance+allExports", all}} {
		b.Run(tc.name, func(b *testing.B) {
			rt := modulestest.NewRuntime(b)
			root := testRoot()
			b.ReportAllocs()
			for b.Loop() {
				exp := root.NewModuleInstance(rt.VU).Exports()
				for _, name := range tc.use {
					for range 2 {
						if exportValue(rt.VU.Runtime(), exp, name) == nil {
							b.Fatal(name)
						}
					}
				}
			}
		})
	}
}

// BenchmarkCall measures one call from JavaScript of the exports that sit on hot paths.
func BenchmarkCall(b *testing.B) {
	for _, tc := range []struct{ name, code string }{
		{"snowflake", `valora.snowflake()`},
		{"idempotencyKey", `valora.idempotencyKey("k6-usage-load")`},
		{"providerId", `valora.providerId("evt")`},
		{"firstSeen", `valora.firstSeen("bench", "2008111839082188800")`},
		{"stripeSignatureHeader", `valora.stripeSignatureHeader(body, "whsec_bench", 1700000000)`},
		{"signStripe", `valora.signStripe(body, {secret: "whsec_bench", timestamp: 1700000000})`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			v := newVU(b, testRoot(), "")
			v.run(`var body = JSON.stringify({id: "evt_1", type: "charge.succeeded", data: {object: {amount: 1000}}});
			       function bench(n) { for (var i = 0; i < n; i++) { ` + tc.code + `; } }`)
			bench, ok := sobek.AssertFunction(v.run(`bench`))
			require.True(b, ok)
			b.ReportAllocs()
			b.ResetTimer()
			_, err := bench(sobek.Undefined(), v.rt.VU.Runtime().ToValue(b.N))
			require.NoError(b, err)
		})
	}
}
