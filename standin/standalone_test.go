package standin

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestStandinStandsAlone: the stand-in models Valora from the contract. Of this module it shares only Valora's id
// format (valoraid) and nothing of the k6 extension, so a client bug cannot pass against a double built from the
// same code (a signer checked by its own verifier would), and it never depends on the k6 engine. Every
// dependency of the stand-in, its test helper and its command is checked, test files included.
func TestStandinStandsAlone(t *testing.T) {
	const module = "github.com/valora-k6/valora-k6"
	forbidden := []string{module + "/extension", "go.k6.io/k6", "github.com/grafana/sobek"}
	out, err := exec.Command("go", "list", "-C", "..", "-test", "-f", "{{.ImportPath}}|{{join .Deps \" \"}}",
		"./standin/...", "./cmd/valora-standin/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var listed int
	seesValoraid := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, "|")
		listed++
		for _, dep := range strings.Fields(deps) {
			seesValoraid = seesValoraid || dep == module+"/valoraid"
			if slices.ContainsFunc(forbidden, func(bad string) bool { return dep == bad || strings.HasPrefix(dep, bad+"/") }) {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
	if listed < 5 || !seesValoraid {
		t.Fatalf("go list named %d packages and valoraid among their dependencies: %v; the check sees nothing", listed, seesValoraid)
	}
}
