package module

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dts is index.d.ts, read as far as the drift tests need: functions, interfaces and string unions.
type dts struct {
	funcs  []dtsFunc
	ifaces map[string][]dtsMember
	unions map[string][]string
	types  map[string]string // other type aliases, e.g. Bytes
}

type dtsFunc struct {
	name    string
	params  []dtsMember
	returns string
}

type dtsMember struct {
	name     string
	ts       string
	optional bool
}

func (d *dts) fn(name string) *dtsFunc {
	for i := range d.funcs {
		if d.funcs[i].name == name {
			return &d.funcs[i]
		}
	}
	return nil
}

var (
	dtsFuncRe    = regexp.MustCompile(`(?m)^  export function (\w+)\((.*)\): (.+);$`)
	dtsIfaceRe   = regexp.MustCompile(`(?s)  export interface (\w+) \{\n(.*?)\n  \}`)
	dtsMemberRe  = regexp.MustCompile(`(?m)^    (\w+)(\??): ([^;]+);$`)
	dtsTypeRe    = regexp.MustCompile(`(?s)  export type (\w+) =(.*?);\n`)
	dtsLiteralRe = regexp.MustCompile(`^"([^"]*)"$`)
)

// readDTS parses ../../index.d.ts. Every declaration must fit the forms above (one line per function and
// member): one that does not is a failure, so nothing declared escapes the comparison.
func readDTS(t testing.TB) *dts {
	t.Helper()
	src, err := os.ReadFile("../../index.d.ts")
	require.NoError(t, err)
	text := string(src)
	d := &dts{ifaces: map[string][]dtsMember{}, unions: map[string][]string{}, types: map[string]string{}}
	for _, m := range dtsFuncRe.FindAllStringSubmatch(text, -1) {
		f := dtsFunc{name: m[1], returns: m[3]}
		if m[2] != "" {
			for _, p := range strings.Split(m[2], ", ") {
				name, ts, ok := strings.Cut(p, ": ")
				require.True(t, ok, "parameter %q of %s", p, m[1])
				opt := strings.HasSuffix(name, "?")
				f.params = append(f.params, dtsMember{name: strings.TrimSuffix(name, "?"), ts: ts, optional: opt})
			}
		}
		d.funcs = append(d.funcs, f)
	}
	require.Equal(t, strings.Count(text, "export function "), len(d.funcs), "a function declaration index.d.ts does not parse")
	for _, m := range dtsIfaceRe.FindAllStringSubmatch(text, -1) {
		var members []dtsMember
		for _, mm := range dtsMemberRe.FindAllStringSubmatch(m[2], -1) {
			members = append(members, dtsMember{name: mm[1], optional: mm[2] == "?", ts: mm[3]})
		}
		d.ifaces[m[1]] = members
	}
	require.Equal(t, strings.Count(text, "export interface "), len(d.ifaces), "an interface in index.d.ts does not parse")
	for _, m := range dtsTypeRe.FindAllStringSubmatch(text, -1) {
		var literals []string
		union := true
		for _, alt := range strings.Split(m[2], "|") {
			alt = strings.TrimSpace(alt)
			if alt == "" {
				continue // the "|" before the first member of a multi-line union
			}
			lm := dtsLiteralRe.FindStringSubmatch(alt)
			union = union && lm != nil
			if lm != nil {
				literals = append(literals, lm[1])
			}
		}
		if union {
			d.unions[m[1]] = literals
		} else {
			d.types[m[1]] = strings.TrimSpace(m[2])
		}
	}
	return d
}

// TestTypesMatchRuntime fails when index.d.ts and the runtime disagree: the same functions, exported by a
// real instance; the same parameters in the same order, with the same optionality and types; every options
// interface with exactly the keys, optionality and types its Go struct reads; every string union with exactly
// the values the runtime accepts. What the functions return is checked by TestEveryExportSurvivesBadArguments,
// which calls each one.
func TestTypesMatchRuntime(t *testing.T) {
	d := readDTS(t)

	var declared, tabled []string
	for _, f := range d.funcs {
		declared = append(declared, f.name)
	}
	for _, e := range exportTable {
		tabled = append(tabled, e.name)
	}
	assert.Equal(t, declared, tabled, "index.d.ts functions vs exportTable, in order")
	v := newVU(t, testRoot(), "")
	exports := v.rt.VU.Runtime().ToValue(testRoot().NewModuleInstance(v.rt.VU).Exports().Default).(*sobek.Object)
	runtime := exports.Keys()
	sort.Strings(runtime)
	sort.Strings(declared)
	assert.Equal(t, declared, runtime, "index.d.ts functions vs the runtime's exports")

	usedIfaces, usedEnums := map[string]bool{}, map[string]bool{}
	for _, e := range exportTable {
		f := d.fn(e.name)
		if f == nil {
			continue
		}
		var goParams []dtsMember
		for _, p := range e.params {
			goParams = append(goParams, dtsMember{name: p.name, ts: p.ts, optional: p.optional})
			if _, ok := optionSpecsByName[p.ts]; ok {
				usedIfaces[p.ts] = true
			}
			if _, ok := enums[p.ts]; ok {
				usedEnums[p.ts] = true
			}
		}
		assert.Equal(t, f.params, goParams, "parameters of %s", e.name)
		for _, p := range e.params {
			_, isIface := optionSpecsByName[p.ts]
			_, isEnum := enums[p.ts]
			_, isAlias := d.types[p.ts]
			known := isIface || isEnum || isAlias || p.ts == tsString || p.ts == tsNumber || p.ts == tsStrList
			assert.True(t, known, "%s(%s: %s): a type the accessors do not read", e.name, p.name, p.ts)
		}
	}
	assert.Equal(t, "string | ArrayBuffer", d.types[tsBytes], "Bytes is what call.bytes accepts")

	for _, spec := range optionSpecs {
		assert.True(t, usedIfaces[spec.iface], "options %s is read by no export", spec.iface)
		members, ok := d.ifaces[spec.iface]
		if !assert.True(t, ok, "interface %s is not declared in index.d.ts", spec.iface) {
			continue
		}
		var goMembers []dtsMember
		for i := range spec.fields {
			f := &spec.fields[i]
			goMembers = append(goMembers, dtsMember{name: f.key, ts: f.ts(), optional: !f.required})
			if f.enum != "" {
				usedEnums[f.enum] = true
			}
		}
		assert.Equal(t, members, goMembers, "members of %s (name, type, optional), in order", spec.iface)
	}

	for name, values := range enums {
		assert.True(t, usedEnums[name], "enum %s is used by no parameter or option", name)
		assert.Equal(t, values, d.unions[name], "values of %s", name)
	}
	for name := range d.unions {
		_, ok := enums[name]
		assert.True(t, ok, "union %s of index.d.ts is checked by no accessor", name)
	}
}
