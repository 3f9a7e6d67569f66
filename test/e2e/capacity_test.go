//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/valora-k6/valora-k6/standin"
)

// capacityResult is the part of REPORT_DIR/capacity.result.json these tests read.
type capacityResult struct {
	KneeRPS      *float64 `json:"knee_rps"`
	LowerBound   bool     `json:"knee_is_lower_bound"`
	Limit        string   `json:"limit"`
	Cause        string   `json:"cause"`
	Summary      string   `json:"summary"`
	BreakingStep *struct {
		EventsPerS float64 `json:"events_per_s"`
	} `json:"breaking_step"`
	Steps []struct {
		EventsPerS float64 `json:"events_per_s"`
		Outcome    string  `json:"outcome"`
	} `json:"steps"`
}

func readCapacity(t *testing.T, res result) capacityResult {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(res.reports, "capacity.result.json"))
	if err != nil {
		t.Fatalf("no capacity.result.json: %v\n%s", err, res)
	}
	var r capacityResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("capacity.result.json: %v", err)
	}
	for _, f := range []string{"capacity.plot.svg", "capacity.html", "capacity.junit.xml"} {
		if _, err := os.Stat(filepath.Join(res.reports, f)); err != nil {
			t.Errorf("report %s missing: %v", f, err)
		}
	}
	return r
}

// capacityRamp: 7 steps of 4 s from 0.7 N to 1.3 N, 0.1 N apart, so the knee can only land within ±15 % of N if
// the finder judges the steps right. 4 s at 1.1 N queues 0.4 s of work: that step must break on latency.
func capacityRamp(n int) map[string]string {
	return map[string]string{
		"CAPACITY_START":         strconv.Itoa(n * 7 / 10),
		"CAPACITY_MAX":           strconv.Itoa(n * 13 / 10),
		"CAPACITY_STEPS":         "7",
		"CAPACITY_STEP_DURATION": "4s",
	}
}

// TestCapacityFindsTheKnee: against a stand-in that serves POST /api/usage at N requests/s (-capacity N), the
// knee is within ±15 % of N, Valora is named the limit, and the run is PASSED with every invariant held, for two
// values of N this machine's k6 reaches (the bench's generator section measures how far it reaches).
func TestCapacityFindsTheKnee(t *testing.T) {
	for _, n := range []int{60, 150} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			env := server(t, standin.Config{Capacity: n})
			res := runK6(t, scenario("capacity"), env, capacityRamp(n))
			r := readCapacity(t, res)
			if res.code != 0 || res.report == nil || res.report.Verdict != "PASSED" {
				t.Fatalf("want PASSED, exit 0:\n%s", res)
			}
			if r.KneeRPS == nil {
				t.Fatalf("no knee: %s\n%s", r.Summary, res)
			}
			knee := *r.KneeRPS
			if knee < 0.85*float64(n) || knee > 1.15*float64(n) {
				t.Errorf("knee %v events/s, want within ±15 %% of %d: %s", knee, n, r.Summary)
			}
			if r.Limit != "valora" || (r.Cause != "latency" && r.Cause != "errors") || r.LowerBound {
				t.Errorf("limit %q cause %q lower bound %v, want Valora's latency or errors: %s", r.Limit, r.Cause, r.LowerBound, r.Summary)
			}
			if !strings.Contains(res.output, fmt.Sprintf("knee %v events/s", knee)) {
				t.Errorf("the terminal summary does not name the knee:\n%s", res.output)
			}
			for _, inv := range []string{"ingest_echo", "ingest_unique_id", "dashboard_customers_shape", "dashboard_cycles_shape"} {
				if i, ok := res.report.invariant(inv); !ok || i.Status != "held" {
					t.Errorf("%s: %+v, want held", inv, i)
				}
			}
			t.Logf("N=%d: %s", n, r.Summary)
		})
	}
}

// TestCapacityGeneratorLimit: with one VU per k6 scenario against an unlimited stand-in, k6 cannot start the
// iterations a fast Valora could take: the finder says the generator was the limit, and the run is INCOMPLETE.
func TestCapacityGeneratorLimit(t *testing.T) {
	env := server(t, standin.Config{})
	res := runK6(t, scenario("capacity"), env, map[string]string{
		"CAPACITY_START": "400", "CAPACITY_MAX": "3000", "CAPACITY_STEPS": "2", "CAPACITY_STEP_DURATION": "3s",
		"CAPACITY_MAX_VUS": "1",
	})
	r := readCapacity(t, res)
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE, exit 110:\n%s", res)
	}
	if r.Limit != "generator" || r.Cause != "generator" || !strings.Contains(r.Summary, "the generator was the limit, not Valora") {
		t.Errorf("limit %q cause %q, want the generator named: %s", r.Limit, r.Cause, r.Summary)
	}
	if !strings.Contains(res.output, "the generator was the limit, not Valora") {
		t.Errorf("the terminal summary does not say the generator was the limit:\n%s", res.output)
	}
}

// TestCapacityStartNotHeld: a Valora that cannot take even CAPACITY_START (N well below it) is FAILED with
// capacity_start_held violated and no knee, also under --no-thresholds, where k6 evaluates no threshold (exit 110).
func TestCapacityStartNotHeld(t *testing.T) {
	env := server(t, standin.Config{Capacity: 20})
	ramp := map[string]string{"CAPACITY_START": "120", "CAPACITY_MAX": "200", "CAPACITY_STEPS": "2", "CAPACITY_STEP_DURATION": "3s"}
	for _, c := range []struct {
		flags []string
		code  int
	}{{nil, 99}, {[]string{"--no-thresholds"}, 110}} {
		res := runK6Args(t, scenario("capacity"), c.flags, env, ramp)
		if res.code != c.code || res.report == nil || res.report.Verdict != "FAILED" {
			t.Fatalf("%v: want FAILED, exit %d:\n%s", c.flags, c.code, res)
		}
		if i, ok := res.report.invariant("capacity_start_held"); !ok || i.Status != "violated" {
			t.Errorf("%v: capacity_start_held %+v, want violated", c.flags, i)
		}
		if r := readCapacity(t, res); r.KneeRPS != nil {
			t.Errorf("%v: knee %v, want none: %s", c.flags, *r.KneeRPS, r.Summary)
		}
	}
}

// TestCapacityConfiguration: every bad capacity variable stops the run before it starts (exit 107), naming it.
func TestCapacityConfiguration(t *testing.T) {
	env := server(t, standin.Config{})
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CAPACITY_START": "100", "CAPACITY_MAX": "50"}, "CAPACITY_START and CAPACITY_MAX: the ramp must rise"},
		{map[string]string{"CAPACITY_STEPS": "1"}, "CAPACITY_STEPS: must be at least 2"},
		{map[string]string{"CAPACITY_STEP_DURATION": "1s"}, "CAPACITY_STEP_DURATION: must be at least 2s"},
		{map[string]string{"CAPACITY_STEP_DURATION": "2s", "CAPACITY_P95_BUDGET": "1500ms"}, "CAPACITY_STEP_DURATION: 2s is too short"},
		{map[string]string{"CAPACITY_P95_BUDGET": "300"}, "CAPACITY_P95_BUDGET: needs a unit"},
		{map[string]string{"CAPACITY_READ_PERCENT": "95"}, "CAPACITY_READ_PERCENT: must be at most 90"},
		{map[string]string{"CAPACITY_VUS": "50", "CAPACITY_MAX_VUS": "10"}, "CAPACITY_VUS: 50 is more than CAPACITY_MAX_VUS"},
	} {
		res := runK6(t, scenario("capacity"), env, c.env)
		if res.code != 107 || !strings.Contains(res.output, c.want) {
			t.Errorf("want exit 107 naming %q:\n%s", c.want, res)
		}
	}
}

// TestDistributedCapacity splits the capacity ramp over three ./k6 instances, as k6-operator does: each runs its
// execution segment's share of every step, judges its own requests and reports its knee as its share; against a
// stand-in of capacity N, the knees add up to N within ±15 %, and no instance calls itself the limit.
func TestDistributedCapacity(t *testing.T) {
	const n = 90
	env := server(t, standin.Config{Capacity: n})
	var sum float64
	for i, res := range runSplit(t, "capacity", env, quick, capacityRamp(n)) {
		r := readCapacity(t, res)
		if res.code != 0 || r.KneeRPS == nil || r.Limit != "valora" {
			t.Errorf("instance %d (%s): want PASSED with Valora the limit: %s\n%s", i, segments[i], r.Summary, res)
			continue
		}
		sum += *r.KneeRPS
		t.Logf("instance %d: %s", i, r.Summary)
	}
	if sum < 0.85*n || sum > 1.15*n {
		t.Errorf("the instances' knees add up to %v events/s, want within ±15 %% of %d", sum, n)
	}
}
