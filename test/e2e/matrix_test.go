//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/valora-k6/valora-k6/standin"
)

const healthy = "healthy"

// matrixKeyLimit is the Railzway rows' per-key limit (see faultConfig).
const matrixKeyLimit = 1000000

// faultConfig is the stand-in configuration of a matrix row. errors-5xx fails every fourth request, so even
// smoke's five-VU burst meets one.
//
// A Railzway row's per-key limiter allows matrixKeyLimit requests per key: the quick runs post as fast as they are
// answered (thousands in seconds), as a deployment that spreads its load over enough keys would; the runs are told
// the same limit (RAILZWAY_KEY_LIMIT). TestRailzwayKeyLimit runs the limiter at its real, small scale.
func faultConfig(flavor standin.Flavor, fault string) standin.Config {
	cfg := standin.Config{Flavor: flavor}
	if flavor == standin.FlavorRailzway {
		cfg.KeyLimit = matrixKeyLimit
	}
	if fault == healthy {
		return cfg
	}
	cfg.Faults = []standin.Fault{standin.Fault(fault)}
	if fault == "errors-5xx" {
		cfg.ErrorRate = 0.25
	}
	return cfg
}

// rowScenarios lists a row's scenarios in a stable order (matrixOrder).
func rowScenarios(fault string) []string {
	order := matrixOrder()
	var out []string
	for _, s := range order {
		if _, ok := cat.Faults[fault][s]; ok {
			out = append(out, s)
		}
	}
	return out
}

// healthyRow is the healthy row's scenarios: the suite's and smoke, capacity and billing_reconciliation, in both
// flavours.
func healthyRow(flavor standin.Flavor) []string {
	return append(suiteScenarios(), "smoke", "capacity", "billing_reconciliation")
}

// railzwayRowScenarios is a Railzway row: the scenarios bound to the fault but smoke, which the Valora rows
// prove composes its parts (smoke alone when nothing else is bound), so the second flavour stays within its time.
// Every scenario runs there: the suite's, smoke, provision, capacity and billing_reconciliation.
func railzwayRowScenarios(fault string) []string {
	checked := map[string]bool{"smoke": true, "provision": true, "capacity": true, "billing_reconciliation": true}
	for _, s := range suiteScenarios() {
		checked[s] = true
	}
	var out []string
	for _, s := range rowScenarios(fault) {
		if s != "smoke" && checked[s] {
			out = append(out, s)
		}
	}
	if len(out) == 0 && checked["smoke"] && len(cat.Faults[fault]["smoke"]) > 0 {
		return []string{"smoke"}
	}
	return out
}

// appliesTo reports whether the stand-in's fault means something in that flavour.
func appliesTo(fault string, flavor standin.Flavor) bool {
	for _, f := range standin.Faults() {
		if string(f.Name) == fault {
			return f.AppliesTo(flavor)
		}
	}
	return false
}

// runCell runs one scenario against a stand-in with the row's configuration, plus extra environment.
func runCell(t *testing.T, fault, name string, extra map[string]string) result {
	t.Helper()
	return runFlavorCell(t, standin.FlavorValora, fault, name, extra)
}

func runFlavorCell(t *testing.T, flavor standin.Flavor, fault, name string, extra map[string]string) result {
	t.Helper()
	env := server(t, faultConfig(flavor, fault))
	if flavor == standin.FlavorRailzway {
		extra = merged(extra, map[string]string{"RAILZWAY_KEY_LIMIT": fmt.Sprintf("%d/10m", matrixKeyLimit)})
	}
	if name == "provision" {
		admin := map[string]string{
			"BASE_URL": env["BASE_URL"], "ADMIN_EMAIL": env["ADMIN_EMAIL"], "ADMIN_PASSWORD": env["ADMIN_PASSWORD"],
			"API_KEY": "", "CUSTOMER_ID": "", "METER_CODE": "", "ORG_ID": "", "WEBHOOK_SECRET": "",
			"PROVISION_ENV_FILE": filepath.Join(t.TempDir(), "valora.env"),
		}
		if flavor == standin.FlavorRailzway {
			// Railzway cannot be given a webhook secret over HTTP: the operator configures it by hand and passes it.
			admin["WEBHOOK_SECRET"] = env["WEBHOOK_SECRET"]
		}
		return runK6(t, scenario(name), admin, quick, extra)
	}
	return runK6(t, scenario(name), env, quick, extra)
}

// cell judges one run against the row's expectation: what it had to trip and did not, and what else it tripped.
type cell struct {
	missing, extra []string
	verdict        string
}

func judge(fault, name string, res result) cell {
	if res.report == nil {
		return cell{missing: []string{"(no report written)"}, verdict: fmt.Sprintf("exit %d", res.code)}
	}
	got := res.report.tripped()
	want := map[string]bool{}
	for _, w := range cat.Faults[fault][name] {
		want[w] = true
	}
	// Valora's known defects are accepted in every row: they are expected everywhere, not extra.
	if fault != healthy {
		for _, w := range cat.Faults[healthy][name] {
			if !want[w] {
				delete(got, w)
			}
		}
	}
	c := cell{verdict: res.report.Verdict}
	for w := range want {
		if !got[w] {
			c.missing = append(c.missing, w)
		}
	}
	for g := range got {
		if !want[g] {
			c.extra = append(c.extra, g)
		}
	}
	sort.Strings(c.missing)
	sort.Strings(c.extra)
	return c
}

// TestFaultMatrix: the stand-in without faults first, where every scenario must be PASSED with every invariant
// HELD, ACCEPTED (Valora's known defects, which it must show) or NOT CHECKED for a declared reason; then one fault
// at a time, where each scenario bound to the fault in the catalogue must trip exactly what the catalogue says.
// What else a fault trips is printed, not failed. The same matrix runs against the stand-in's Railzway flavour:
// every fault that applies to Railzway must be caught there too, and its healthy row must pass with the same known
// defects accepted (Railzway's cursor and webhook signature checks are Valora's). Each run's summary must name the
// flavour the suite detected.
func TestFaultMatrix(t *testing.T) {
	var mu sync.Mutex
	rows := map[string]map[string]string{}
	record := func(fault, name, text string) {
		mu.Lock()
		defer mu.Unlock()
		if rows[fault] == nil {
			rows[fault] = map[string]string{}
		}
		rows[fault][name] = text
	}
	for _, flavor := range []standin.Flavor{standin.FlavorValora, standin.FlavorRailzway} {
		prefix := ""
		cells := rowScenarios
		if flavor == standin.FlavorRailzway {
			prefix, cells = "railzway:", railzwayRowScenarios
		}
		t.Run(prefix+healthy, func(t *testing.T) {
			t.Parallel()
			for _, name := range healthyRow(flavor) {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					res := runFlavorCell(t, flavor, healthy, name, nil)
					c := judge(healthy, name, res)
					problems := healthyProblems(res)
					problems = append(problems, prefixed("did not show the known defect ", c.missing)...)
					if res.report != nil && res.report.Flavor != string(flavor) {
						problems = append(problems, fmt.Sprintf("the run took the %s stand-in for %q", flavor, res.report.Flavor))
					}
					if len(problems) > 0 || res.code != 0 {
						record(prefix+healthy, name, "FALSE ALARM: "+strings.Join(problems, "; "))
						t.Errorf("a healthy %s stand-in must pass %s: %s\n%s", flavor, name, strings.Join(problems, "; "), res)
						return
					}
					record(prefix+healthy, name, "PASSED"+acceptedText(res))
				})
			}
		})

		var faults []string
		for f := range cat.Faults {
			if f != healthy && appliesTo(f, flavor) {
				faults = append(faults, f)
			}
		}
		sort.Strings(faults)
		for _, fault := range faults {
			t.Run(prefix+fault, func(t *testing.T) {
				t.Parallel()
				for _, name := range cells(fault) {
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						res := runFlavorCell(t, flavor, fault, name, nil)
						c := judge(fault, name, res)
						text := "caught: " + strings.Join(cat.Faults[fault][name], ", ")
						if len(c.extra) > 0 {
							text += " (also: " + strings.Join(c.extra, ", ") + ")"
						}
						if len(c.missing) > 0 || c.verdict == "PASSED" || res.code == 0 {
							text = fmt.Sprintf("MISSED %s (verdict %s, exit %d)", strings.Join(c.missing, ", "), c.verdict, res.code)
							t.Errorf("%s under fault %s (%s) must trip %v; missing %v, verdict %s, exit %d\n%s",
								name, fault, flavor, cat.Faults[fault][name], c.missing, c.verdict, res.code, res)
						}
						record(prefix+fault, name, text)
					})
				}
			})
		}
	}
	t.Cleanup(func() { fmt.Println(renderMatrix(rows)) })
}

// healthyProblems lists why a run against the healthy stand-in is not a clean PASSED.
func healthyProblems(res result) []string {
	if res.report == nil {
		return []string{"no report was written"}
	}
	var out []string
	if res.report.Verdict != "PASSED" {
		out = append(out, "verdict "+res.report.Verdict+": "+strings.Join(res.report.Reasons, "; "))
	}
	for _, i := range res.report.Invariants {
		switch i.Status {
		case "held", "accepted":
		case "not checked", "not visible":
			if !i.Optional {
				out = append(out, fmt.Sprintf("%s %s without a declared reason: %s", i.Name, i.Status, i.Note))
			}
		default:
			out = append(out, fmt.Sprintf("%s %s", i.Name, i.Status))
		}
	}
	for _, c := range res.report.crossed {
		out = append(out, "threshold crossed: "+c)
	}
	return out
}

func acceptedText(res result) string {
	var acc []string
	for _, i := range res.report.Invariants {
		if i.Status == "accepted" {
			acc = append(acc, i.Name)
		}
	}
	if len(acc) == 0 {
		return ""
	}
	return " (accepted: " + strings.Join(acc, ", ") + ")"
}

// merged is a copy of a with b's entries added.
func merged(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func prefixed(p string, items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = p + s
	}
	return out
}

func renderMatrix(rows map[string]map[string]string) string {
	var faults []string
	for f := range rows {
		if f != healthy && f != "railzway:"+healthy {
			faults = append(faults, f)
		}
	}
	sort.Strings(faults)
	faults = append([]string{healthy, "railzway:" + healthy}, faults...)
	var b strings.Builder
	b.WriteString("fault matrix: each row is the stand-in with one fault on; a cell names what the scenario tripped\n")
	for _, f := range faults {
		if rows[f] == nil {
			continue
		}
		fmt.Fprintf(&b, "%s\n", f)
		for _, s := range matrixOrder() {
			if c, ok := rows[f][s]; ok {
				fmt.Fprintf(&b, "  %-20s %s\n", s, c)
			}
		}
	}
	return b.String()
}

// TestFaultTableCoversCatalog: the catalogue's faults are the stand-in's, every invariant of the catalogue is
// guarded by a fault (or, for Valora's known defects, by the healthy row, where they must show), and smoke is bound
// to catch every fault that the scenarios it is made of catch.
func TestFaultTableCoversCatalog(t *testing.T) {
	have := map[string]bool{}
	for _, f := range standin.Faults() {
		have[string(f.Name)] = true
		if _, ok := cat.Faults[string(f.Name)]; !ok {
			t.Errorf("stand-in fault %s is not in the catalogue's fault matrix (each scenario's catches, in scenarios/suite/)", f.Name)
		}
	}
	for f := range cat.Faults {
		if f != healthy && !have[f] {
			t.Errorf("the catalogue binds fault %s, which the stand-in does not have", f)
		}
	}
	for inv := range cat.Invariants {
		if _, _, ok := guard(inv); !ok {
			t.Errorf("invariant %s is guarded by no fault: no row of the matrix would notice it stopped being checked", inv)
		}
	}
	parts := map[string]bool{}
	for _, p := range cat.SmokeParts {
		parts[p] = true
	}
	for f, row := range cat.Faults {
		caughtByPart := false
		for s, trips := range row {
			if parts[s] && len(trips) > 0 {
				caughtByPart = true
			}
		}
		if caughtByPart && len(row["smoke"]) == 0 {
			t.Errorf("fault %s: the scenarios smoke is made of catch it, so smoke must be bound to catch it too", f)
		}
	}
	for s, invs := range cat.Scenarios {
		for _, inv := range invs {
			if _, ok := cat.Invariants[inv]; !ok {
				t.Errorf("scenario %s checks %s, which is not in the catalogue", s, inv)
			}
		}
	}
}

// guard finds the cell of the matrix that proves an invariant is checked: a fault and a scenario that must trip
// it, preferring a single scenario over smoke and a fault over the healthy row.
func guard(inv string) (fault, name string, ok bool) {
	var faults []string
	for f := range cat.Faults {
		faults = append(faults, f)
	}
	sort.Slice(faults, func(i, j int) bool {
		if (faults[i] == healthy) != (faults[j] == healthy) {
			return faults[j] == healthy
		}
		return faults[i] < faults[j]
	})
	for _, pass := range []bool{false, true} {
		for _, f := range faults {
			var scen []string
			for s := range cat.Faults[f] {
				scen = append(scen, s)
			}
			sort.Strings(scen)
			for _, s := range scen {
				if (s == "smoke") != pass {
					continue
				}
				for _, tr := range cat.Faults[f][s] {
					if tr == inv {
						return f, s, true
					}
				}
			}
		}
	}
	return "", "", false
}

// TestSelfTestMutations proves the matrix is not fooled: for every invariant, a run whose checks of that invariant
// can no longer fail (VALORA_K6_SELFTEST_DISABLE_INVARIANT, a switch only this test uses) makes the cell that
// guards it stop tripping it, so the matrix above would report it MISSED.
func TestSelfTestMutations(t *testing.T) {
	var names []string
	for inv := range cat.Invariants {
		names = append(names, inv)
	}
	sort.Strings(names)
	for _, inv := range names {
		fault, name, ok := guard(inv)
		if !ok {
			continue // TestFaultTableCoversCatalog reports it
		}
		t.Run(inv, func(t *testing.T) {
			t.Parallel()
			res := runCell(t, fault, name, map[string]string{"VALORA_K6_SELFTEST_DISABLE_INVARIANT": inv})
			if res.report == nil {
				t.Fatalf("no report:\n%s", res)
			}
			if c := judge(fault, name, res); !contains(c.missing, inv) {
				t.Errorf("with %s's checks disabled, %s under %s still trips it: the matrix cannot tell", inv, name, fault)
			}
			if res.report.Verdict == "PASSED" || res.code == 0 {
				t.Errorf("a mutated run must never be PASSED (verdict %s, exit %d)", res.report.Verdict, res.code)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBurstWithValoraLimiter: with Valora's usage limiter on, concurrent identical posts meet the per-(customer,
// meter) lock's 429s, so Valora's concurrent dedupe path is never reached. The burst retries as a client would and
// still converges on one record, but burst_same_record is NOT CHECKED with that reason: the run is INCOMPLETE
// (110), unless the user declares it optional.
func TestBurstWithValoraLimiter(t *testing.T) {
	env := server(t, standin.Config{RateLimit: true})
	res := runK6(t, scenario("ingest_burst"), env, quick)
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE (exit 110) with the limiter on:\n%s", res)
	}
	same, _ := res.report.invariant("burst_same_record")
	if same.Status != "not checked" || !strings.Contains(same.Note, "serialised") {
		t.Errorf("burst_same_record: want NOT CHECKED because the limiter serialised the posts, got %+v", same)
	}
	if acc, _ := res.report.invariant("burst_accepted"); acc.Status != "held" {
		t.Errorf("burst_accepted: want HELD (429s retried after Retry-After), got %+v", acc)
	}
	res = runK6(t, scenario("ingest_burst"), env, quick, map[string]string{"OPTIONAL_INVARIANTS": "burst_same_record"})
	if res.code != 0 || res.report == nil || res.report.Verdict != "PASSED" {
		t.Fatalf("with OPTIONAL_INVARIANTS=burst_same_record the run is PASSED:\n%s", res)
	}
}
