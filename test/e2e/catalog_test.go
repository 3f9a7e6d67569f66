//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// catalog is dist/catalog.json, which the build reads off the scenario descriptors (scenarios/suite/): the invariants, which
// scenario checks which, and what each stand-in fault must trip. It is the one source of the fault matrix.
type catalog struct {
	Invariants map[string]struct {
		Description string `json:"description"`
		Conditional string `json:"conditional"`
	} `json:"invariants"`
	Scenarios    map[string][]string            `json:"scenarios"`
	SmokeParts   []string                       `json:"smokeParts"`
	KnownDefects map[string]string              `json:"knownDefects"`
	Faults       map[string]map[string][]string `json:"faults"`
	Variables    []struct {
		Name   string `json:"name"`
		Def    string `json:"def"`
		Secret bool   `json:"secret"`
	} `json:"variables"`
}

var cat catalog

func loadCatalog() error {
	raw, err := os.ReadFile(filepath.Join(distDir, "catalog.json"))
	if err != nil {
		return fmt.Errorf("%v: run `make build` first", err)
	}
	if err := json.Unmarshal(raw, &cat); err != nil {
		return fmt.Errorf("dist/catalog.json: %v", err)
	}
	if len(cat.Invariants) == 0 || len(cat.Faults) == 0 {
		return fmt.Errorf("dist/catalog.json lists no invariants or no faults")
	}
	return nil
}

func knownDefects() []string {
	out := make([]string, 0, len(cat.KnownDefects))
	for k := range cat.KnownDefects {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suiteScenarios are the scenarios smoke is made of, in catalogue order: the seven scripts of Valora's suite.
func suiteScenarios() []string { return append([]string(nil), cat.SmokeParts...) }

// matrixOrder is the order of the fault matrix's columns: the suite's scenarios, smoke, then the scenarios that
// are no smoke part (provision, capacity, billing_reconciliation).
func matrixOrder() []string {
	return append(suiteScenarios(), "smoke", "provision", "capacity", "billing_reconciliation")
}

// invariantResult is one entry of a report's valora_k6.invariants.
type invariantResult struct {
	Name     string  `json:"name"`
	Status   string  `json:"status"`
	Passes   float64 `json:"passes"`
	Fails    float64 `json:"fails"`
	Note     string  `json:"note"`
	Optional bool    `json:"optional"`
}

// runReport is what a scenario's summary.json says of its run.
type runReport struct {
	Verdict    string            `json:"verdict"`
	Reasons    []string          `json:"reasons"`
	Notes      []string          `json:"notes"`
	Invariants []invariantResult `json:"invariants"`
	Flavor     string            `json:"flavor"`
	// crossed are the metric keys of thresholds that failed (not the invariant thresholds).
	crossed []string
	metrics map[string]json.RawMessage
}

func readReport(dir, name string) *runReport {
	raw, err := os.ReadFile(filepath.Join(dir, name+".summary.json"))
	if err != nil {
		return nil
	}
	var doc struct {
		ValoraK6 runReport                  `json:"valora_k6"`
		Metrics  map[string]json.RawMessage `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil
	}
	r := doc.ValoraK6
	r.metrics = doc.Metrics
	for key, m := range doc.Metrics {
		if strings.HasPrefix(key, "checks{invariant:") {
			continue
		}
		var md struct {
			Thresholds map[string]struct {
				OK bool `json:"ok"`
			} `json:"thresholds"`
		}
		if json.Unmarshal(m, &md) != nil {
			continue
		}
		for _, th := range md.Thresholds {
			if !th.OK {
				r.crossed = append(r.crossed, key)
				break
			}
		}
	}
	sort.Strings(r.crossed)
	return &r
}

func (r *runReport) invariant(name string) (invariantResult, bool) {
	for _, i := range r.Invariants {
		if i.Name == name {
			return i, true
		}
	}
	return invariantResult{}, false
}

// tripped is everything the run caught: violated or accepted invariants, and crossed thresholds.
func (r *runReport) tripped() map[string]bool {
	out := map[string]bool{}
	for _, i := range r.Invariants {
		if i.Status == "violated" || i.Status == "accepted" {
			out[i.Name] = true
		}
	}
	for _, c := range r.crossed {
		out[c] = true
	}
	return out
}

func (r *runReport) hasMetric(key string) bool {
	_, ok := r.metrics[key]
	return ok
}

// TestReadmeVariableTable: the README's variable table lists exactly the declared variables, with their defaults.
func TestReadmeVariableTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\| ([^|]*) \\|")
	inReadme := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(raw), -1) {
		inReadme[m[1]] = strings.TrimSpace(m[2])
	}
	for _, v := range cat.Variables {
		got, ok := inReadme[v.Name]
		if !ok {
			t.Errorf("README's variable table misses %s", v.Name)
			continue
		}
		want := "`" + v.Def + "`"
		switch {
		case v.Secret:
			want = "secret"
		case v.Def == "":
			want = "unset"
		}
		if got != want {
			t.Errorf("README: %s has default %s, the declaration says %s", v.Name, got, want)
		}
		delete(inReadme, v.Name)
	}
	for name := range inReadme {
		if strings.HasPrefix(name, "K6_") || name == "TENANT" {
			continue
		}
		t.Errorf("README's variable table lists %s, which the suite does not declare", name)
	}
}

func (r *runReport) hasThreshold(key string) bool {
	var md struct {
		Thresholds map[string]any `json:"thresholds"`
	}
	return json.Unmarshal(r.metrics[key], &md) == nil && len(md.Thresholds) > 0
}

// TestReadmeFaultTable: the README's fault table names every fault of the catalogue with exactly what it must trip.
func TestReadmeFaultTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| (`[a-z0-9-]+`|\\(none: healthy\\)) \\| [^|]* \\| (.*) \\|$").
		FindAllStringSubmatch(string(raw), -1) {
		rows[strings.Trim(m[1], "`")] = m[2]
	}
	order := matrixOrder()
	for fault, row := range cat.Faults {
		var cells []string
		for _, s := range order {
			trips, ok := row[s]
			if !ok {
				continue
			}
			quoted := make([]string, len(trips))
			for i, tr := range trips {
				quoted[i] = "`" + tr + "`"
			}
			cell := "`" + s + "`: " + strings.Join(quoted, ", ")
			if fault == healthy {
				cell += " (ACCEPTED)"
			}
			cells = append(cells, cell)
		}
		key := fault
		if fault == healthy {
			key = "(none: healthy)"
		}
		if got, want := rows[key], strings.Join(cells, "; "); got != want {
			t.Errorf("README fault table, %s:\n got  %s\n want %s", key, got, want)
		}
	}
}

// TestReadmeScenarioTable: the README's scenario table has a row for every scenario of the catalogue, and none
// for a scenario the suite does not have.
func TestReadmeScenarioTable(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)\\.js` \\|").FindAllStringSubmatch(string(raw), -1) {
		rows[m[1]] = true
	}
	for name := range cat.Scenarios {
		if !rows[name] {
			t.Errorf("README's scenario table has no row for %s.js", name)
		}
		delete(rows, name)
	}
	for name := range rows {
		t.Errorf("README's scenario table lists %s.js, which the catalogue does not have", name)
	}
}
