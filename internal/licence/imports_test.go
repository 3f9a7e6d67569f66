package licence

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// engine lists the import path prefixes of k6 and its JavaScript engine: AGPL-3.0 code and what only makes sense
// inside it. A prefix matches the path itself and everything below it.
var engine = []string{"go.k6.io/k6", "github.com/grafana/sobek"}

// glue is the only code allowed to import them, relative to the module path.
var glue = []string{"", "extension/module"}

// buildTags selects every file of the module: the e2e and examples tests are behind tags.
const buildTags = "e2e,examples"

type pkg struct {
	ImportPath string
	ForTest    string
	Imports    []string
	Deps       []string
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

func isEngine(path string) bool {
	for _, p := range engine {
		// sobek-webapi-encoding and similar companions of the engine count as the engine.
		if path == p || strings.HasPrefix(path, p+"/") || strings.HasPrefix(path, p+"-") {
			return true
		}
	}
	return false
}

// listModule lists every package of the module with `go list -test`, test variants and e2e files included, each
// with its transitive dependencies.
func listModule(t *testing.T) (modulePath string, pkgs []pkg) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-C", root, "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	modulePath = strings.TrimSpace(string(out))

	cmd := exec.Command("go", "list", "-C", root, "-e", "-test", "-tags", buildTags,
		"-json=ImportPath,ForTest,Imports,Deps,Module,Error", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	return modulePath, pkgs
}

// owner is the package of the module a listed package stands for: a test variant ("p [p.test]"), an external
// test package ("p_test [p.test]") and a test binary ("p.test") all belong to p.
func owner(p pkg) string {
	if p.ForTest != "" {
		return p.ForTest
	}
	if before, ok := strings.CutSuffix(p.ImportPath, ".test"); ok {
		return before
	}
	return p.ImportPath
}

func TestOnlyTheGlueImportsK6(t *testing.T) {
	modulePath, pkgs := listModule(t)
	allowed := make([]string, len(glue))
	for i, g := range glue {
		allowed[i] = strings.TrimSuffix(modulePath+"/"+g, "/")
	}

	var checked int
	var through []string // packages that reach the engine only through another package of the module
	seenInGlue := map[string]bool{}
	for _, p := range pkgs {
		if p.Module == nil || p.Module.Path != modulePath {
			continue
		}
		checked++
		reaches := slices.ContainsFunc(p.Deps, isEngine)
		if slices.Contains(allowed, owner(p)) {
			seenInGlue[owner(p)] = seenInGlue[owner(p)] || reaches
			continue
		}
		if !reaches {
			continue
		}
		direct := slices.DeleteFunc(slices.Clone(p.Imports), func(i string) bool { return !isEngine(i) })
		if len(direct) == 0 {
			through = append(through, p.ImportPath)
			continue
		}
		t.Errorf("%s imports %s: only the root package and extension/module may import k6 or sobek; move the "+
			"code that needs the JS engine into extension/module (docs/licensing.md)",
			p.ImportPath, strings.Join(direct, ", "))
	}
	if len(through) > 0 {
		t.Errorf("these reach k6 or sobek through another package of the module: %s", strings.Join(through, "; "))
	}
	if checked < 10 {
		t.Fatalf("only %d packages of %s listed: the listing is broken", checked, modulePath)
	}
	// The check must be able to see an import: the glue does import k6.
	for _, a := range allowed {
		if !seenInGlue[a] {
			t.Errorf("%s was not seen importing k6: the check is not looking at what it should", a)
		}
	}
}

func TestIsEngine(t *testing.T) {
	for path, want := range map[string]bool{
		"go.k6.io/k6":                              true,
		"go.k6.io/k6/v2/js/modules":                true,
		"go.k6.io/k6/js/common":                    true,
		"github.com/grafana/sobek":                 true,
		"github.com/grafana/sobek/ast":             true,
		"github.com/grafana/sobek-webapi-encoding": true,
		"github.com/grafana/k6foundry":             false,
		"go.k6.io/xk6":                             false,
		"github.com/stripe/stripe-go/v86":          false,
	} {
		if got := isEngine(path); got != want {
			t.Errorf("isEngine(%q) = %v, want %v", path, got, want)
		}
	}
}
