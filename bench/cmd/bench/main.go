// Command bench measures what valora-k6 costs on this machine, side by side with what it is compared against,
// and writes the results document and the scaling plot.
//
//	go run ./bench/cmd/bench -mode full  -doc BENCHMARKS.md -plot bench/scaling.png   # make bench
//	go run ./bench/cmd/bench -mode quick -out "$(mktemp -d)"                           # make bench-quick
//
// The machine is shared and noisy, so every comparison is a ratio of runs made in the same invocation, back to
// back, in an order rotated each repetition, and every figure comes with the spread of its repetitions. Each
// ./k6 run gets a fresh stand-in server in a process of its own (so its CPU is never counted as k6's) on
// 127.0.0.1:18200-18209; k6's REST API, polled for the iteration count, listens on 18210-18219.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// plan is how long and how often each measurement runs.
type plan struct {
	mode string
	poll time.Duration

	overheadVUs  int
	overheadDur  time.Duration
	overheadReps int

	microRounds, microBatchMs int

	limitDur    time.Duration
	limitReps   int
	wrkSettings []wrkSetting
	limitVUs    []int

	memVUs  []int
	memDur  time.Duration
	memReps int

	scaleVUs  []int
	scaleDur  time.Duration
	scaleReps int

	goBenchtime string
	goCount     int

	coldBuild bool
}

var plans = map[string]plan{
	"full": {
		mode: "full", poll: 250 * time.Millisecond,
		overheadVUs: 20, overheadDur: 12 * time.Second, overheadReps: 4,
		microRounds: 15, microBatchMs: 200,
		limitDur: 10 * time.Second, limitReps: 3,
		wrkSettings: []wrkSetting{{1, 64}, {2, 128}},
		limitVUs:    []int{25, 50, 100},
		memVUs:      []int{20, 400}, memDur: 8 * time.Second, memReps: 3,
		scaleVUs: []int{1, 10, 50, 200}, scaleDur: 10 * time.Second, scaleReps: 2,
		goBenchtime: "500ms", goCount: 5,
		coldBuild: true,
	},
	// Short paired runs while changing the code: the comparisons of the full run, fewer and shorter.
	"pair": {
		mode: "pair", poll: 250 * time.Millisecond,
		overheadVUs: 20, overheadDur: 8 * time.Second, overheadReps: 3,
		microRounds: 5, microBatchMs: 100,
		limitDur: 5 * time.Second, limitReps: 2,
		wrkSettings: []wrkSetting{{1, 64}},
		limitVUs:    []int{25, 50},
		memVUs:      []int{20, 400}, memDur: 6 * time.Second, memReps: 2,
		scaleVUs: []int{1, 50}, scaleDur: 5 * time.Second, scaleReps: 1,
		goBenchtime: "200ms", goCount: 2,
	},
	// Every measurement once or twice, for seconds: it proves the harness works end to end, not the figures.
	"quick": {
		mode: "quick", poll: 100 * time.Millisecond,
		overheadVUs: 4, overheadDur: 2 * time.Second, overheadReps: 2,
		microRounds: 3, microBatchMs: 20,
		limitDur: 2 * time.Second, limitReps: 1,
		wrkSettings: []wrkSetting{{1, 8}},
		limitVUs:    []int{8},
		memVUs:      []int{2, 4, 8}, memDur: time.Second, memReps: 1,
		scaleVUs: []int{1, 4}, scaleDur: time.Second, scaleReps: 1,
		goBenchtime: "100x", goCount: 1,
	},
}

// variant is a script measured against the others.
type variant struct {
	Key, Label, Script string
	// The variables that set its VUs and duration: INGEST_VUS and INGEST_DURATION when empty, none when
	// VUsVar is "-" (a scenario that runs one VU once); DurVar "" with VUsVar set: a scenario that is not timed
	// (each VU runs its iterations once).
	VUsVar, DurVar string
	// What else its run needs, made from the stand-in it runs against (a signed webhook, say).
	Env func(s *standin) (map[string]string, error) `json:"-"`
	// Accept: invariants whose violation is a known defect of Valora that the stand-in reproduces, passed as
	// ACCEPT_VIOLATIONS. Their checks fail by design, so such a run is judged by its verdict (the exit status),
	// which still fails on any other violation, instead of by its count of failed checks.
	Accept string
}

// timed reports whether the variant runs for a duration (and so has a steady state).
func (v variant) timed() bool { return v.VUsVar == "" || v.DurVar != "" }

// fixedVUs reports whether the variant runs the VUs its script sets, whatever the harness asks.
func (v variant) fixedVUs() bool { return v.VUsVar == "-" }

var (
	ours     = variant{"ours", "ingest_load (ours)", "dist/ingest_load.js", "", "", nil, ""}
	baseline = variant{"baseline", "baseline (original suite)", "bench/k6/baseline_ingest.js", "", "", nil, ""}
	swapped  = variant{"swapped", "baseline + valora key", "bench/k6/baseline_valora_key.js", "", "", nil, ""}
	request  = variant{"request", "ours: request only", "bench/dist/ingest_request.js", "", "", nil, ""}
	echo     = variant{"echo", "ours: request + echo check", "bench/dist/ingest_echo.js", "", "", nil, ""}
	bare     = variant{"bare", "bare k6 post", "bench/k6/bare_ingest.js", "", "", nil, ""}
)

// sections, in the order they run and appear in the document.
var sections = []string{"overhead", "scenarios", "sign", "ids", "limit", "memory", "scaling", "generator", "go", "build"}

type harness struct {
	plan       plan
	root       string
	tmp        string
	k6Bin      string
	standinBin string
	image      string
	log        func(format string, args ...any)
}

func main() {
	mode := flag.String("mode", "quick", "quick (seconds, proves the harness works), pair (short paired runs while changing the code) or full (the published figures)")
	out := flag.String("out", "", "write BENCHMARKS.md, scaling.png and results.json into this directory")
	doc := flag.String("doc", "", "the results document (overrides -out)")
	plot := flag.String("plot", "", "the scaling plot, PNG (overrides -out)")
	raw := flag.String("raw", "", "every measurement as JSON (default: results.json beside the document)")
	only := flag.String("only", "", "comma-separated sections to run: "+strings.Join(sections, ","))
	image := flag.String("image", "valora-k6:dev", "the CI image whose size is reported (never built here)")
	from := flag.String("from", "", "measure nothing: write the document and plot again from this results.json")
	flag.Parse()

	p, ok := plans[*mode]
	if !ok {
		fatalf("-mode must be quick, pair or full, got %q", *mode)
	}
	if *out != "" {
		if *doc == "" {
			*doc = filepath.Join(*out, "BENCHMARKS.md")
		}
		if *plot == "" {
			*plot = filepath.Join(*out, "scaling.png")
		}
	}
	if *doc == "" || *plot == "" {
		fatalf("give -out DIR, or -doc FILE and -plot FILE")
	}
	switch {
	case *raw != "":
	case *from != "":
		*raw = *from
	default:
		*raw = filepath.Join(filepath.Dir(*doc), "results.json")
	}
	run := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(sections, s) {
			fatalf("-only: unknown section %q; accepted: %s", s, strings.Join(sections, ", "))
		}
		run[s] = true
	}
	if len(run) == 0 {
		for _, s := range sections {
			run[s] = true
		}
	}
	command := strings.Join(append([]string{"go run ./bench/cmd/bench"}, os.Args[1:]...), " ")

	root, err := os.Getwd()
	if err != nil {
		fatalf("%v", err)
	}
	tmp, err := os.MkdirTemp("", "valora-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	h := &harness{
		plan: p, root: root, tmp: tmp, image: *image,
		k6Bin:      filepath.Join(root, "k6"),
		standinBin: filepath.Join(root, ".bin", "valora-standin"),
		log: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "bench %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
		},
	}
	var res *results
	if *from != "" {
		// The figures stay those of the run that measured them; only the document is written again.
		b, err := os.ReadFile(*from)
		if err != nil {
			fatalf("%v", err)
		}
		res = &results{}
		if err := json.Unmarshal(b, res); err != nil {
			fatalf("%s: %v", *from, err)
		}
	} else {
		if err := h.preflight(run); err != nil {
			fatalf("%v", err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		res = h.runAll(ctx, run)
		res.Command = command
		res.Failures = append(res.Failures, unfinished(res)...)
	}

	if err := writeResults(res, *doc, *plot, *raw, h); err != nil {
		fatalf("%v", err)
	}
	h.log("wrote %s, %s and %s", *doc, *plot, *raw)
	if len(res.Failures) > 0 {
		for _, f := range res.Failures {
			fmt.Fprintf(os.Stderr, "bench: FAILED %s\n", f)
		}
		os.Exit(1)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

// preflight checks that everything the chosen sections run exists, naming the make target that provides it.
func (h *harness) preflight(run map[string]bool) error {
	var missing []string
	need := func(path, how string) {
		if _, err := os.Stat(filepath.Join(h.root, path)); err != nil {
			missing = append(missing, fmt.Sprintf("%s (%s)", path, how))
		}
	}
	need("k6", "make build")
	need("dist/ingest_load.js", "make build")
	need(".bin/valora-standin", "make standin")
	for _, f := range []string{"sign", "ids", "ingest_request", "ingest_echo"} {
		need("bench/dist/"+f+".js", "node build/bundle.mjs bench")
	}
	for _, tool := range []string{"wrk", "gnuplot", "go", "make", "git"} {
		if !run["limit"] && tool == "wrk" {
			continue
		}
		if _, err := lookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s (bench/install-deps.sh)", tool))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing: %s; `make bench` and `make bench-quick` provide them", strings.Join(missing, ", "))
	}
	return nil
}

// results is everything one invocation measured.
type results struct {
	Mode     string    `json:"mode"`
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  machine   `json:"machine"`
	Versions []kv      `json:"versions"`

	Overhead  *overheadResult  `json:"overhead,omitempty"`
	Scenarios *scenariosResult `json:"scenarios,omitempty"`
	Sign      *microResult     `json:"sign,omitempty"`
	IDs       *microResult     `json:"ids,omitempty"`
	Limit     *limitResult     `json:"limit,omitempty"`
	Memory    *memoryResult    `json:"memory,omitempty"`
	Scaling   *scalingResult   `json:"scaling,omitempty"`
	Reach     *reachResult     `json:"generatorReach,omitempty"`
	GoBench   []goBench        `json:"goBench,omitempty"`
	GoCmd     string           `json:"goBenchCommand,omitempty"`
	Build     *buildResult     `json:"build,omitempty"`

	Failures []string `json:"failures,omitempty"`
	// Notes on how the figures were put together, when not by one invocation (a section measured again).
	Notes []string `json:"notes,omitempty"`
}

func (h *harness) runAll(ctx context.Context, run map[string]bool) *results {
	res := &results{Mode: h.plan.mode, Started: time.Now().UTC()}
	res.Machine = readMachine()
	res.Versions = readVersions(h)
	step := func(name string, f func() error) {
		if !run[name] {
			return
		}
		if ctx.Err() != nil {
			res.Failures = append(res.Failures, name+": interrupted")
			return
		}
		start := time.Now()
		h.log("%s: start", name)
		if err := f(); err != nil {
			h.log("%s: FAILED: %v", name, err)
			res.Failures = append(res.Failures, fmt.Sprintf("%s: %v", name, err))
			return
		}
		h.log("%s: done in %s", name, time.Since(start).Round(time.Second))
	}
	step("overhead", func() (err error) { res.Overhead, err = h.overhead(ctx); return })
	step("scenarios", func() (err error) { res.Scenarios, err = h.scenarios(ctx); return })
	step("sign", func() error {
		r, err := runMicro(ctx, h, "sign")
		res.Sign = &r
		return err
	})
	step("ids", func() error {
		r, err := runMicro(ctx, h, "ids")
		res.IDs = &r
		return err
	})
	step("limit", func() (err error) { res.Limit, err = h.limit(ctx); return })
	step("memory", func() (err error) { res.Memory, err = h.memory(ctx); return })
	step("scaling", func() (err error) { res.Scaling, err = h.scaling(ctx); return })
	step("generator", func() (err error) { res.Reach, err = h.generator(ctx); return })
	step("go", func() (err error) {
		res.GoCmd = strings.Join(goBenchCommand(h.plan.goBenchtime, h.plan.goCount), " ")
		res.GoBench, err = runGoBench(ctx, h)
		return
	})
	step("build", func() error {
		r, err := measureBuild(ctx, h)
		res.Build = &r
		return err
	})
	res.Machine.LoadAfter = loadAverage()
	res.Finished = time.Now().UTC()
	return res
}

// measure runs one script against a fresh stand-in.
func (h *harness) measure(ctx context.Context, v variant, vus int, dur time.Duration) (k6Result, error) {
	r, err := withStandin(ctx, h, func(s *standin) (k6Result, error) { return runK6(ctx, h, s, v, vus, dur) })
	if err == nil {
		h.log("  %-26s %4d VUs: %8.0f it/s, %6.1f µs CPU/it, peak RSS %4d MiB, p95 %.2f ms",
			v.Label, vus, r.Rate, r.CPUPerIter*1e6, r.Usage.MaxRSSKB>>10, r.P95ms)
	}
	return r, err
}

// rotated is vs in the order of repetition rep: A B C, B C A, C A B, …
func rotated[T any](vs []T, rep int) []T {
	out := make([]T, len(vs))
	for i := range vs {
		out[i] = vs[(rep+i)%len(vs)]
	}
	return out
}

// ---------------------------------------------------------------- 1. overhead on the hot path

// overheadVariants: the baseline, the baseline with only the extension's key, and the steps from our request
// alone to our whole scenario, so the difference can be attributed.
var overheadVariants = []variant{baseline, swapped, request, echo, ours}

type overheadResult struct {
	VUs      int                   `json:"vus"`
	Duration time.Duration         `json:"duration"`
	Reps     int                   `json:"reps"`
	Runs     map[string][]k6Result `json:"runs"` // by variant, in repetition order
}

func (h *harness) overhead(ctx context.Context) (*overheadResult, error) {
	p := h.plan
	res := &overheadResult{VUs: p.overheadVUs, Duration: p.overheadDur, Reps: p.overheadReps, Runs: map[string][]k6Result{}}
	for rep := range p.overheadReps {
		for _, v := range rotated(overheadVariants, rep) {
			r, err := h.measure(ctx, v, p.overheadVUs, p.overheadDur)
			if err != nil {
				return res, err
			}
			res.Runs[v.Key] = append(res.Runs[v.Key], r)
		}
	}
	return res, nil
}

// ---------------------------------------------------------------- 4 and 5. the limit, the stand-in's capacity

type limitResult struct {
	Duration  time.Duration `json:"duration"`
	Reps      int           `json:"reps"`
	WrkSweep  []wrkResult   `json:"wrkSweep"`
	BareSweep []k6Result    `json:"bareSweep"`
	OursSweep []k6Result    `json:"oursSweep"`
	Wrk       []wrkResult   `json:"wrk"`
	Bare      []k6Result    `json:"bare"`
	Ours      []k6Result    `json:"ours"`
}

func (h *harness) wrkRun(ctx context.Context, w wrkSetting, dur time.Duration) (wrkResult, error) {
	r, err := withStandin(ctx, h, func(s *standin) (wrkResult, error) { return runWrk(ctx, h, s, w, dur) })
	if err == nil {
		h.log("  %-26s %8.0f req/s, stand-in %.2f cores, wrk %.2f cores", "wrk "+w.String(), r.Rate, r.StandinCores, r.WrkCores)
	}
	return r, err
}

func (h *harness) limit(ctx context.Context) (*limitResult, error) {
	p := h.plan
	res := &limitResult{Duration: p.limitDur, Reps: p.limitReps}
	// The sweep finds each generator's best setting; the repetitions then compare the bests, alternating.
	for _, w := range p.wrkSettings {
		r, err := h.wrkRun(ctx, w, p.limitDur)
		if err != nil {
			return res, err
		}
		res.WrkSweep = append(res.WrkSweep, r)
	}
	for _, vus := range p.limitVUs {
		for _, v := range []variant{bare, ours} {
			r, err := h.measure(ctx, v, vus, p.limitDur)
			if err != nil {
				return res, err
			}
			if v.Key == bare.Key {
				res.BareSweep = append(res.BareSweep, r)
			} else {
				res.OursSweep = append(res.OursSweep, r)
			}
		}
	}
	bestWrk := slices.MaxFunc(res.WrkSweep, func(a, b wrkResult) int { return cmpFloat(a.Rate, b.Rate) }).Setting
	byRate := func(a, b k6Result) int { return cmpFloat(a.Rate, b.Rate) }
	bestBare := slices.MaxFunc(res.BareSweep, byRate).VUs
	bestOurs := slices.MaxFunc(res.OursSweep, byRate).VUs
	h.log("  best: wrk %s, bare k6 %d VUs, ingest_load %d VUs", bestWrk, bestBare, bestOurs)
	for rep := range p.limitReps {
		for _, which := range rotated([]string{"wrk", "bare", "ours"}, rep) {
			switch which {
			case "wrk":
				r, err := h.wrkRun(ctx, bestWrk, p.limitDur)
				if err != nil {
					return res, err
				}
				res.Wrk = append(res.Wrk, r)
			case "bare":
				r, err := h.measure(ctx, bare, bestBare, p.limitDur)
				if err != nil {
					return res, err
				}
				res.Bare = append(res.Bare, r)
			case "ours":
				r, err := h.measure(ctx, ours, bestOurs, p.limitDur)
				if err != nil {
					return res, err
				}
				res.Ours = append(res.Ours, r)
			}
		}
	}
	return res, nil
}

// bundleSizes is the size of each variant's script: the code every one of its VUs compiles.
func bundleSizes(root string, vs []variant) map[string]int64 {
	out := map[string]int64{}
	for _, v := range vs {
		if fi, err := os.Stat(filepath.Join(root, v.Script)); err == nil {
			out[v.Script] = fi.Size()
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- 6. memory per VU

// memoryVariants: the "request only" step evaluates our scenario library in every VU but iterates almost like
// the baseline, which separates the memory of our code from that of our iterations.
var memoryVariants = []variant{baseline, swapped, request, ours}

type memoryResult struct {
	Bundles  map[string]int64        `json:"bundles"` // bytes of each script, by path
	VUs      []int                   `json:"vus"`
	Duration time.Duration           `json:"duration"`
	Reps     int                     `json:"reps"`
	Runs     map[string][][]k6Result `json:"runs"` // by variant: [repetition][VU level]
}

func (h *harness) memory(ctx context.Context) (*memoryResult, error) {
	p := h.plan
	res := &memoryResult{VUs: p.memVUs, Duration: p.memDur, Reps: p.memReps, Runs: map[string][][]k6Result{},
		Bundles: bundleSizes(h.root, memoryVariants)}
	vs := memoryVariants
	for rep := range p.memReps {
		for _, v := range vs {
			res.Runs[v.Key] = append(res.Runs[v.Key], make([]k6Result, len(p.memVUs)))
		}
		for li, vus := range p.memVUs {
			for _, v := range rotated(vs, rep+li) {
				r, err := h.measure(ctx, v, vus, p.memDur)
				if err != nil {
					return res, err
				}
				res.Runs[v.Key][rep][li] = r
			}
		}
	}
	return res, nil
}

// ---------------------------------------------------------------- 7. how cost grows with VUs

type scalingResult struct {
	VUs      []int                   `json:"vus"`
	Duration time.Duration           `json:"duration"`
	Reps     int                     `json:"reps"`
	Runs     map[string][][]k6Result `json:"runs"` // by variant: [repetition][VU level]
}

func (h *harness) scaling(ctx context.Context) (*scalingResult, error) {
	p := h.plan
	res := &scalingResult{VUs: p.scaleVUs, Duration: p.scaleDur, Reps: p.scaleReps, Runs: map[string][][]k6Result{}}
	vs := []variant{baseline, ours}
	for rep := range p.scaleReps {
		for _, v := range vs {
			res.Runs[v.Key] = append(res.Runs[v.Key], make([]k6Result, len(p.scaleVUs)))
		}
		for li, vus := range p.scaleVUs {
			for _, v := range rotated(vs, rep+li) {
				r, err := h.measure(ctx, v, vus, p.scaleDur)
				if err != nil {
					return res, err
				}
				res.Runs[v.Key][rep][li] = r
			}
		}
	}
	return res, nil
}

// ---------------------------------------------------------------- output

func writeResults(res *results, doc, plot, raw string, h *harness) error {
	for _, p := range []string{doc, plot, raw} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	plotted := false
	if res.Scaling != nil {
		if err := drawScaling(res.Scaling, plot, h.tmp); err != nil {
			res.Failures = append(res.Failures, "plot: "+err.Error())
		} else {
			plotted = true
		}
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	rel, err := filepath.Rel(filepath.Dir(doc), plot)
	if err != nil {
		rel = plot
	}
	rawRel, err := filepath.Rel(filepath.Dir(doc), raw)
	if err != nil {
		rawRel = raw
	}
	md := renderDocument(res, rel, plotted, rawRel)
	return errors.Join(os.WriteFile(raw, append(b, '\n'), 0o644), os.WriteFile(doc, []byte(md), 0o644))
}
