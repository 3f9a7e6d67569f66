package main

import (
	"fmt"
	"math"
)

// unfinished names every section that ran but produced a figure that is not a positive finite number (NaN, an
// infinity, zero where work was done): a harness that measures nothing must fail, not print dashes. bench-quick
// fails on it.
func unfinished(res *results) []string {
	var out []string
	bad := func(section, what string, xs ...float64) {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
				out = append(out, fmt.Sprintf("%s: %s is %v", section, what, x))
				return
			}
		}
	}
	k6 := func(section string, timed bool, rs ...k6Result) {
		for _, r := range rs {
			if timed {
				bad(section, r.Script+" iterations/s", r.Rate)
				bad(section, r.Script+" k6 CPU per iteration", r.CPUPerIter)
			}
			bad(section, r.Script+" whole-run k6 CPU per request", cpuPerRequest(r))
			bad(section, r.Script+" peak RSS", float64(r.Usage.MaxRSSKB))
		}
	}
	if r := res.Overhead; r != nil {
		for _, v := range overheadVariants {
			if len(r.Runs[v.Key]) == 0 {
				out = append(out, "overhead: no run of "+v.Script)
			}
			k6("overhead", true, r.Runs[v.Key]...)
		}
	}
	if r := res.Scenarios; r != nil {
		if len(r.Pairs) != len(scenarioPairs) {
			out = append(out, fmt.Sprintf("scenarios: %d of %d pairs measured", len(r.Pairs), len(scenarioPairs)))
		}
		for _, pr := range r.Pairs {
			sp := pairByKey(pr.Key)
			if sp == nil || len(pr.Ours) == 0 || len(pr.Ours) != len(pr.Original) {
				out = append(out, "scenarios: "+pr.Key+" has no paired runs")
				continue
			}
			k6("scenarios", sp.Ours.timed(), append(append([]k6Result{}, pr.Ours...), pr.Original...)...)
			if sp.Memory {
				bad("scenarios", pr.Key+" memory per VU", perVU(r.MemVUs, pr.MemOurs)...)
				bad("scenarios", pr.Key+" memory per VU (original)", perVU(r.MemVUs, pr.MemOrig)...)
			}
		}
	}
	for name, m := range map[string]*microResult{"sign": res.Sign, "ids": res.IDs} {
		if m == nil {
			continue
		}
		if len(m.Cases) == 0 {
			out = append(out, name+": no case measured")
		}
		for _, c := range m.Cases {
			// A case faster than the clock's millisecond over a short batch measures 0: finite, not missing.
			for _, ns := range c.NsPerOp {
				if math.IsNaN(ns) || math.IsInf(ns, 0) || ns < 0 {
					out = append(out, fmt.Sprintf("%s: %s ns/op is %v", name, c.Name, ns))
					break
				}
			}
		}
	}
	if r := res.Limit; r != nil {
		for _, w := range append(append([]wrkResult{}, r.WrkSweep...), r.Wrk...) {
			bad("limit", "wrk "+w.Setting.String()+" requests/s", w.Rate)
		}
		k6("limit", true, append(append([]k6Result{}, r.Bare...), r.Ours...)...)
	}
	if r := res.Memory; r != nil {
		for _, v := range memoryVariants {
			bad("memory", v.Script+" memory per VU", perVU(r.VUs, r.Runs[v.Key])...)
		}
	}
	if r := res.Scaling; r != nil {
		for key, reps := range r.Runs {
			for _, rep := range reps {
				k6("scaling ("+key+")", true, rep...)
			}
		}
	}
	if r := res.Reach; r != nil {
		for _, sc := range generatorScenarios {
			k6("generator", true, r.Runs[sc.Key]...)
		}
	}
	for _, b := range res.GoBench {
		bad("go", b.Package+" "+b.Name+" ns/op", b.NsPerOp.Median)
	}
	if b := res.Build; b != nil {
		bad("build", "./k6 size", float64(b.K6Bytes))
		bad("build", "dist/*.js size", float64(b.DistJS))
		bad("build", "make bundle time", b.Bundle)
	}
	return out
}
