package main

import (
	"context"
	"fmt"
	"time"
)

// ---------------------------------------------------------------- generator reach

// What one ./k6 can drive on this machine with each scenario whose iterations the capacity scenario mixes: the
// iterations a second it sustains with enough VUs to keep itself busy, and the CPU each costs it. The capacity
// scenario calls a step generator-limited when k6 drops its iterations; these figures say, before a run, up to
// which rate one ./k6 on this machine can be trusted, and how many instances a higher rate needs.

type generatorPlan struct {
	vus  int
	dur  time.Duration
	reps int
}

var generatorPlans = map[string]generatorPlan{
	"full":  {vus: 50, dur: 10 * time.Second, reps: 3},
	"pair":  {vus: 20, dur: 6 * time.Second, reps: 1},
	"quick": {vus: 4, dur: 2 * time.Second, reps: 1},
}

// generatorScenarios: the scripts and the variables that size each; every one runs closed-model at the same VUs.
var generatorScenarios = []struct {
	Key, Script string
	vus, dur    string
}{
	{"ingest_load", "dist/ingest_load.js", "INGEST_VUS", "INGEST_DURATION"},
	{"api_key_auth_perf", "dist/api_key_auth_perf.js", "AUTH_VUS", "AUTH_DURATION"},
	{"billing_dashboard", "dist/billing_dashboard.js", "DASHBOARD_VUS", "DASHBOARD_DURATION"},
}

type reachResult struct {
	VUs      int                   `json:"vus"`
	Duration time.Duration         `json:"duration"`
	Reps     int                   `json:"reps"`
	Runs     map[string][]k6Result `json:"runs"` // by scenario, in repetition order
}

func (h *harness) generator(ctx context.Context) (*reachResult, error) {
	p, ok := generatorPlans[h.plan.mode]
	if !ok {
		return nil, fmt.Errorf("no generator plan for mode %s", h.plan.mode)
	}
	res := &reachResult{VUs: p.vus, Duration: p.dur, Reps: p.reps, Runs: map[string][]k6Result{}}
	for rep := range p.reps {
		for _, sc := range rotated(generatorScenarios, rep) {
			v := variant{Key: sc.Key, Label: sc.Key, Script: sc.Script, VUsVar: sc.vus, DurVar: sc.dur}
			r, err := withStandin(ctx, h, func(s *standin) (k6Result, error) { return runK6(ctx, h, s, v, p.vus, p.dur) })
			if err != nil {
				return res, err
			}
			h.log("  %-26s %4d VUs: %8.0f it/s, %6.1f µs k6 CPU/it (%.0f it/s per k6 core), k6 %.2f cores",
				sc.Key, p.vus, r.Rate, r.CPUPerIter*1e6, perCore(r), r.K6Cores)
			res.Runs[sc.Key] = append(res.Runs[sc.Key], r)
		}
	}
	return res, nil
}

// perCore is the iterations a second one fully busy core of k6 drives.
func perCore(r k6Result) float64 {
	if r.CPUPerIter <= 0 {
		return 0
	}
	return 1 / r.CPUPerIter
}

func renderGenerator(d *doc, r *reachResult) {
	d.p("## Generator reach: what one ./k6 drives with each scenario")
	d.nl()
	d.p("The capacity scenario (`dist/capacity.js`) ramps usage events with the dashboard and auth reads mixed in, and")
	d.p("calls a step generator-limited when k6 drops its iterations. Before trusting a knee, compare it with what one")
	d.p("`./k6` on this machine drives: each scenario below ran closed-model at %d VUs for %s, %d repetition(s), against", r.VUs, r.Duration, r.Reps)
	d.p("a fresh stand-in without a capacity limit. *Per k6 core* is 1 / (k6 CPU per iteration): the rate one busy core")
	d.p("sustains, which sizes a distributed run (an instance per core that rate needs).")
	d.nl()
	var rows [][]string
	for _, sc := range generatorScenarios {
		runs := r.Runs[sc.Key]
		if len(runs) == 0 {
			continue
		}
		var rate, cpu, core, cores []float64
		for _, x := range runs {
			rate = append(rate, x.Rate)
			cpu = append(cpu, x.CPUPerIter)
			core = append(core, perCore(x))
			cores = append(cores, x.K6Cores)
		}
		rs, cs, ps, ks := spreadOf(rate), spreadOf(cpu), spreadOf(core), spreadOf(cores)
		rows = append(rows, []string{
			"`" + sc.Key + "`",
			fmt.Sprintf("%s (%s–%s)", num(rs.Median), num(rs.Min), num(rs.Max)),
			perOp(cs.Median),
			fmt.Sprintf("%s (%s–%s)", num(ps.Median), num(ps.Min), num(ps.Max)),
			fmt.Sprintf("%.2f", ks.Median),
		})
	}
	d.tableAligned("lrrrr", []string{"Scenario", "Iterations/s: median (min–max)", "k6 CPU per iteration", "Iterations/s per k6 core", "k6 cores busy"}, rows)
	d.p("A capacity run whose knee comes near the first column's figure, on the same machine, measures this k6 as much")
	d.p("as Valora: split it (README, \"Reading a capacity result\") before reading the knee as Valora's.")
	d.nl()
}
