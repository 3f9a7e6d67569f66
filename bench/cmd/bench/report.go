package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// doc accumulates the Markdown document.
type doc struct{ b strings.Builder }

func (d *doc) p(format string, args ...any) { fmt.Fprintf(&d.b, format+"\n", args...) }
func (d *doc) nl()                          { d.b.WriteString("\n") }

// table writes a Markdown table: the first column left-aligned, the others right-aligned (figures).
func (d *doc) table(head []string, rows [][]string) {
	align := "l" + strings.Repeat("r", len(head)-1)
	d.tableAligned(align, head, rows)
}

// tableAligned writes a Markdown table with one letter per column: l (left) or r (right).
func (d *doc) tableAligned(align string, head []string, rows [][]string) {
	d.p("| %s |", strings.Join(head, " | "))
	seps := make([]string, len(head))
	for i := range seps {
		seps[i] = "---"
		if i < len(align) && align[i] == 'r' {
			seps[i] = "--:"
		}
	}
	d.p("|%s|", strings.Join(seps, "|"))
	for _, r := range rows {
		d.p("| %s |", strings.Join(r, " | "))
	}
	d.nl()
}

func field(rs []k6Result, f func(k6Result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func rateOf(r k6Result) float64 { return r.Rate }
func cpuOf(r k6Result) float64  { return r.CPUPerIter }

// spreadText prints a spread of plain figures: "12 345 (12 001–12 800)".
func spreadText(s spread, f func(float64) string) string {
	if len(s.Values) == 0 {
		return "–"
	}
	if len(s.Values) == 1 {
		return f(s.Median)
	}
	if s.Min < 0 {
		return fmt.Sprintf("%s (%s … %s)", f(s.Median), f(s.Min), f(s.Max))
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.Median), f(s.Min), f(s.Max))
}

func µs(sec float64) string {
	if sec < 0 {
		return fmt.Sprintf("−%.1f", -sec*1e6)
	}
	return fmt.Sprintf("%.1f", sec*1e6)
}
func f2(v float64) string    { return fmt.Sprintf("%.2f", v) }
func mib(kib float64) string { return fmt.Sprintf("%.0f", kib/1024) }
func x1(v float64) string    { return fmt.Sprintf("%.1f×", v) }

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func secText(s float64) string {
	switch {
	case s == 0:
		return "not measured (quick mode)"
	case s < 1:
		return fmt.Sprintf("%.2f s", s)
	}
	return fmt.Sprintf("%.1f s", s)
}

// headline is one row of the summary table.
type headline struct {
	item, what, target, result, verdict string
}

func renderDocument(res *results, plotPath string, plotted bool, rawPath string) string {
	var d doc
	var heads []headline

	d.p("# Benchmarks")
	d.nl()
	if res.Mode != "full" {
		d.p("> **Quick mode**: every measurement ran once or twice for a second or two, to prove the harness works.")
		d.p("> These figures are not results; `make bench` produces the published ones.")
		d.nl()
	}
	d.p("What valora-k6 costs on the machine it runs on, measured side by side with what it is compared against.")
	d.p("The machine is shared and noisy, so every comparison is a ratio of two runs made in the same invocation,")
	d.p("back to back, alternating (the order rotates each repetition), and shows the median ratio with the min–max")
	d.p("spread over the repetitions. Every `./k6` run gets a fresh stand-in Valora in a separate process on")
	d.p("127.0.0.1, so the stand-in's CPU is never counted as k6's, and no run pays for records an earlier one stored.")
	d.nl()
	d.p("Produced by `%s` on %s, in %s (%s mode). Raw measurements: [`%s`](%s).",
		res.Command, res.Started.Format("2006-01-02 15:04 MST"), res.Finished.Sub(res.Started).Round(time.Second),
		res.Mode, rawPath, rawPath)
	for _, n := range res.Notes {
		d.p("%s", n)
	}
	d.nl()
	d.p("## Reproduce")
	d.nl()
	d.p("```sh")
	d.p("make bench        # the whole run: writes BENCHMARKS.md, bench/scaling.png and bench/results.json")
	d.p("make bench-quick  # every measurement for a second or two, into a temporary directory (what CI runs)")
	d.p("```")
	d.nl()
	d.p("`make bench` builds `./k6`, `dist/`, the stand-in and `bench/dist/` first, installs `wrk` and `gnuplot`")
	d.p("from Debian when they are missing, then runs `%s`. The full run takes about %d minutes.", res.Command,
		int(math.Round(res.Finished.Sub(res.Started).Minutes())))
	d.p("Run it on an otherwise idle machine if you can; the ratios hold up on a busy one, the absolute figures")
	d.p("do not. `go run ./bench/cmd/bench -from %s -doc BENCHMARKS.md -plot bench/scaling.png` writes this", rawPath)
	d.p("document and the plot again from the raw measurements, measuring nothing.")
	d.nl()

	d.p("## Machine and versions")
	d.nl()
	m := res.Machine
	rows := [][]string{
		{"CPU", fmt.Sprintf("%s, %d cores", m.CPU, m.Cores)},
		{"Memory", fmt.Sprintf("%d GiB", m.MemoryGiB)},
		{"OS", fmt.Sprintf("%s, Linux %s", m.OS, m.Kernel)},
		{"Load average (1, 5, 15 min)", fmt.Sprintf("%s before the run, %s after it", m.LoadBefore, m.LoadAfter)},
	}
	for _, v := range res.Versions {
		rows = append(rows, []string{v.Name, "`" + v.Version + "`"})
	}
	d.tableAligned("ll", []string{"", ""}, rows)

	var body doc
	if r := res.Overhead; r != nil {
		heads = append(heads, renderOverhead(&body, r)...)
	}
	if r := res.Scenarios; r != nil && len(r.Pairs) > 0 {
		heads = append(heads, renderScenarios(&body, r)...)
	}
	if res.Sign != nil && len(res.Sign.Cases) > 0 {
		heads = append(heads, renderSign(&body, res.Sign, res.GoBench)...)
	}
	if res.IDs != nil && len(res.IDs.Cases) > 0 {
		heads = append(heads, renderIDs(&body, res.IDs)...)
	}
	if r := res.Limit; r != nil && len(r.Wrk) > 0 {
		heads = append(heads, renderLimit(&body, r)...)
	}
	if r := res.Memory; r != nil && len(r.Runs) > 0 {
		heads = append(heads, renderMemory(&body, r)...)
	}
	if r := res.Scaling; r != nil && len(r.Runs) > 0 {
		renderScaling(&body, r, plotPath, plotted)
	}
	if r := res.Reach; r != nil && len(r.Runs) > 0 {
		renderGenerator(&body, r)
	}
	if b := res.Build; b != nil {
		renderBuild(&body, b)
	}
	if len(res.GoBench) > 0 {
		renderGoBench(&body, res.GoBench, res.GoCmd)
	}

	d.p("## Summary")
	d.nl()
	var hr [][]string
	for _, h := range heads {
		hr = append(hr, []string{h.item, h.what, h.target, h.result, h.verdict})
	}
	d.tableAligned("lllrl", []string{"Item", "Measured", "Target", "Result: median (min–max)", "Verdict"}, hr)
	if len(res.Failures) > 0 {
		d.p("**The harness failed in this run**; the sections below are incomplete:")
		d.nl()
		for _, f := range res.Failures {
			d.p("- %s", f)
		}
		d.nl()
	}
	d.b.WriteString(body.b.String())
	renderMethod(&d)
	return d.b.String()
}

// ---------------------------------------------------------------- 1

// diffs subtracts b[i] from a[i]: the runs at the same position were measured back to back.
func diffs(a, b []float64) []float64 {
	out := make([]float64, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		out = append(out, a[i]-b[i])
	}
	return out
}

func renderOverhead(d *doc, r *overheadResult) []headline {
	d.p("## 1. Extension overhead on the hot path")
	d.nl()
	d.p("`ingest_load` posts one usage event per iteration. Five scripts, same binary (`./k6`), same executor")
	d.p("(constant-vus, %d VUs, %s), thresholds off for all (`--no-thresholds`), %d repetitions, alternating:",
		r.VUs, durationFlag(r.Duration), r.Reps)
	d.nl()
	d.p("- **baseline** (`bench/k6/baseline_ingest.js`): the request as Valora's original suite sends it, plain")
	d.p("  JavaScript, key from `Date.now()` and `Math.random()`, a 2xx check, no `k6/x/valora`. (The original")
	d.p("  `ingest_load.js` sends no key at all, which Valora refuses; the key is built by the original helper.)")
	d.p("- **baseline + valora key** (`bench/k6/baseline_valora_key.js`): the baseline with only the key from")
	d.p("  `valora.idempotencyKey()`: the cost of the extension itself on the hot path.")
	d.p("- **ingest_load (ours)** (`dist/ingest_load.js`): our whole scenario, every invariant checked on every")
	d.p("  response: one `valora.checkUsageEcho()` call parses the answer, compares it with what was sent")
	d.p("  (`ingest_echo`) and offers its id to the cross-VU set (`ingest_unique_id`); then a tagged check per")
	d.p("  invariant and the accepted-events counter.")
	d.p("- Two steps between them, to show where our extra CPU goes: **ours: request only**")
	d.p("  (`bench/js/ingest_request.ts`: our request exactly as `ingest_load` sends it, answer ignored) and")
	d.p("  **ours: request + echo check** (`bench/js/ingest_echo.ts`: the request and the `checkUsageEcho` call")
	d.p("  with its `ingest_echo` check).")
	d.nl()
	d.p("Rates and CPU are steady-state: sampled while the scenario ran (k6's iteration counter from its REST API,")
	d.p("CPU from `/proc/<pid>/stat`), past the start-up and before the end. CPU per iteration is k6's alone; k6")
	d.p("and the stand-in share the machine's cores, so iterations/s is what the pair reaches together.")
	d.nl()
	var rows [][]string
	for _, v := range overheadVariants {
		rs := r.Runs[v.Key]
		rows = append(rows, []string{
			v.Label,
			spreadText(spreadOf(field(rs, rateOf)), num),
			spreadText(spreadOf(field(rs, cpuOf)), µs),
			spreadText(spreadOf(field(rs, func(k k6Result) float64 { return k.K6Cores })), f2),
			spreadText(spreadOf(field(rs, func(k k6Result) float64 { return k.StandinCores })), f2),
			spreadText(spreadOf(field(rs, func(k k6Result) float64 { return k.P95ms })), f2),
		})
	}
	d.table([]string{"Script", "Iterations/s", "k6 CPU per iteration (µs)", "k6 cores busy", "Stand-in cores busy",
		"p95 (ms)"}, rows)

	base := r.Runs[baseline.Key]
	rate := func(v variant) spread { return spreadOf(ratios(field(r.Runs[v.Key], rateOf), field(base, rateOf))) }
	cpu := func(v variant) spread { return spreadOf(ratios(field(r.Runs[v.Key], cpuOf), field(base, cpuOf))) }
	rows = nil
	for _, v := range overheadVariants[1:] {
		rt, ct, rv, cv := "–", "–", "–", "–"
		switch v.Key {
		case swapped.Key:
			rt, ct, rv, cv = extRate.text, extCPU.text, judge(rate(v), extRate), judge(cpu(v), extCPU)
		case ours.Key:
			rt, ct, rv, cv = oursRate.text, oursCPU.text, judge(rate(v), oursRate), judge(cpu(v), oursCPU)
		}
		rows = append(rows, []string{v.Label + " / baseline", ratioX(rate(v)), rt, rv, ratioX(cpu(v)), ct, cv})
	}
	d.tableAligned("lrllrll", []string{"Ratio, per repetition", "Iterations/s", "Target", "Verdict",
		"k6 CPU per iteration", "Target", "Verdict"}, rows)

	swR, swC := judge(rate(swapped), extRate), judge(cpu(swapped), extCPU)
	ouR, ouC := judge(rate(ours), oursRate), judge(cpu(ours), oursCPU)
	d.p("Taking the key from `valora.idempotencyKey()` instead of `Date.now()` and `Math.random()` measured")
	d.p("%s the baseline's iterations/s (%s) and %s its CPU per iteration (%s).", ratioX(rate(swapped)), plain(swR),
		ratioX(cpu(swapped)), plain(swC))
	d.p("Our whole scenario measured %s the baseline's iterations/s (%s) and %s its CPU per iteration (%s).",
		ratioX(rate(ours)), plain(ouR), ratioX(cpu(ours)), plain(ouC))
	d.nl()
	heads := []headline{
		{"1", "baseline + valora key / baseline: iterations/s", extRate.text, ratioX(rate(swapped)), swR},
		{"1", "baseline + valora key / baseline: k6 CPU per iteration", extCPU.text, ratioX(cpu(swapped)), swC},
		{"1", "ingest_load (ours) / baseline: iterations/s", oursRate.text, ratioX(rate(ours)), ouR},
		{"1", "ingest_load (ours) / baseline: k6 CPU per iteration", oursCPU.text, ratioX(cpu(ours)), ouC},
	}
	if ouR == verdictMet && ouC == verdictMet {
		return heads
	}
	cpuOfV := func(v variant) []float64 { return field(r.Runs[v.Key], cpuOf) }
	type step struct {
		what  string
		extra spread
	}
	steps := []step{
		{"our request instead of the original one (headers, tags and params built once per VU, the 2xx-or-429 response callback, the Retry-After check), no 2xx check", spreadOf(diffs(cpuOfV(request), cpuOfV(baseline)))},
		{"`ingest_echo`: one `checkUsageEcho` call (the answer parsed and compared in Go, its id offered to the cross-VU set), one tagged check", spreadOf(diffs(cpuOfV(echo), cpuOfV(request)))},
		{"the rest of `ingest_load`: the accepted-events counter, the `ingest_unique_id` tagged check", spreadOf(diffs(cpuOfV(ours), cpuOfV(echo)))},
	}
	rows = nil
	worst := 0
	for i, s := range steps {
		rows = append(rows, []string{s.what, spreadText(s.extra, µs)})
		if s.extra.Median > steps[worst].extra.Median {
			worst = i
		}
	}
	d.p("Where the extra k6 CPU per iteration goes, by step (µs, median of the per-repetition differences, min–max):")
	d.nl()
	d.table([]string{"Step", "Extra k6 CPU per iteration (µs)"}, rows)
	extOK := swR == verdictMet && swC == verdictMet
	if extOK {
		d.p("It is not the extension: its own row above met its targets in this run.")
	}
	d.p("The largest step in this run is %s: %s µs per iteration against the baseline's %s µs.",
		strings.SplitN(steps[worst].what, ":", 2)[0], µs(steps[worst].extra.Median), µs(spreadOf(cpuOfV(baseline)).Median))
	d.p("Every k6 `check()` is a metric sample with its own tag set, built and sent to the metrics engine: the")
	d.p("baseline records one per iteration, `ingest_load` two (one per invariant), so the checks themselves are")
	d.p("part of what the steps measure. What closing the gap would take, keeping every invariant checked on every")
	d.p("response: fewer samples per response (the two invariants' observations recorded by the one Go call, with")
	d.p("one sample, or a tally, where k6 now builds a check per invariant), and the accepted-events counter kept")
	d.p("in the extension rather than as a k6 metric sample per event; then this section shows what is left.")
	d.p("Section 6 shows the memory side, section 4 what the checking costs in reachable load.")
	d.nl()
	return heads
}

// plain is a verdict without its emphasis, for a sentence.
func plain(v string) string { return strings.Trim(v, "*") }

func signedPct(ratio float64) string { return signed((ratio-1)*100) + " %" }

// ---------------------------------------------------------------- 2 and 3

func microTable(d *doc, m *microResult, ref string, refLabel string) {
	refNs, _ := m.ns(ref)
	var rows [][]string
	for _, c := range m.Cases {
		s := spreadOf(c.NsPerOp)
		ratio := "–"
		if c.Name != ref && refNs != nil {
			ratio = ratioText(spreadOf(ratios(c.NsPerOp, refNs)))
		}
		rows = append(rows, []string{c.Name, spreadText(s, func(ns float64) string { return perOp(ns / 1e9) }),
			num(1e9 / s.Median), ratio})
	}
	d.table([]string{"Case", "Time per operation", "Operations/s", "Time ratio to " + refLabel + ", per round"}, rows)
}

// medianNs is the median of a case's per-round figures, in seconds; NaN when the case is missing.
func medianSec(m *microResult, name string) float64 {
	ns, err := m.ns(name)
	if err != nil {
		return math.NaN()
	}
	return spreadOf(ns).Median / 1e9
}

// diffSec is the median over rounds of a − b, in seconds: both ran in the same round.
func diffSec(m *microResult, a, b string) float64 {
	x, err1 := m.ns(a)
	y, err2 := m.ns(b)
	if err1 != nil || err2 != nil {
		return math.NaN()
	}
	return spreadOf(diffs(x, y)).Median / 1e9
}

func goNsPerOp(gb []goBench, pkg, name string) float64 {
	for _, b := range gb {
		if b.Package == pkg && b.Name == name {
			return b.NsPerOp.Median
		}
	}
	return math.NaN()
}

func renderSign(d *doc, m *microResult, gb []goBench) []headline {
	d.p("## 2. Signing")
	d.nl()
	d.p("One Stripe `Stripe-Signature` header over a 1 KiB payload (HMAC-SHA256 of `<t>.<payload>`, hex, the")
	d.p("`t=…,v1=…` header built), from JavaScript in one VU of `./k6` (`bench/js/sign.ts`). The cases take turns")
	d.p("batch after batch, %d rounds of about %d ms each; the script fails unless all produce the same header.", m.Rounds, m.BatchMs)
	d.p("The first four are called the way a script writes them: `valora.stripeSignatureHeader(body, secret, t)`")
	d.p("(the header alone, the hot-path form), `valora.signStripe(body, {secret, timestamp})` (an options object in,")
	d.p("an object with the header, the signatures and the timestamp out), `hmac(\"sha256\", secret, t + \".\" + body,")
	d.p("\"hex\")` from `k6/crypto` with the header built around it, and the pure-JavaScript HMAC of `js-sha256`")
	d.p("from npm, bundled into the script by esbuild. The rows below them split the cost.")
	d.nl()
	microTable(d, m, "k6/x/valora stripeSignatureHeader", "stripeSignatureHeader")
	header, _ := m.ns("k6/x/valora stripeSignatureHeader")
	full, _ := m.ns("k6/x/valora signStripe")
	k6c, _ := m.ns("k6/crypto hmac")
	pure, _ := m.ns("js-sha256 hmac (pure JS)")
	vsK6 := spreadOf(ratios(header, k6c))
	fullVsK6 := spreadOf(ratios(full, k6c))
	vsPure := spreadOf(ratios(pure, header))
	noSlower, tenfold := atMost("≤ 1", 1), atLeast("≥ 10", 10)
	goSec := goNsPerOp(gb, "extension/webhook", "SignStripe") / 1e9
	switch judge(vsK6, noSlower) {
	case verdictMet:
		d.p("**stripeSignatureHeader is no slower than k6/crypto's hmac** in any round (time ratio %s).", ratioText(vsK6))
	case verdictMissed:
		d.p("**stripeSignatureHeader is slower than k6/crypto's hmac**: %s the time (per-round ratio %s).", x1(vsK6.Median), ratioText(vsK6))
	default:
		d.p("**Whether stripeSignatureHeader is slower than k6/crypto's hmac is not established:** the per-round")
		d.p("time ratio %s falls on both sides of 1.", ratioText(vsK6))
	}
	d.p("signStripe, which also reads an options object and builds a result object, takes %s the time of", x1(fullVsK6.Median))
	d.p("`hmac` (per-round ratio %s): use it where the signatures or the timestamp are needed, and", ratioText(fullVsK6))
	d.p("stripeSignatureHeader in a loop that only sends the header.")
	if headerSec := spreadOf(header).Median / 1e9; !math.IsNaN(goSec) && goSec < headerSec/2 {
		d.p("The HMAC itself is not most of the cost: `webhook.SignStripe` signs the same size in %s in Go (Go", perOp(goSec))
		d.p("micro-benchmarks below); the rest is the call from JavaScript into Go and back. Reading an import")
		d.p("costs about %s per call for `hmac` (the difference to the same function in a local constant).",
			perOp(diffSec(m, "k6/crypto hmac", "hmac, function in a local")))
	}
	d.nl()
	d.p("Pure JavaScript takes **%s the time** of stripeSignatureHeader (per-round ratio %s).", x1(vsPure.Median), ratioText(vsPure))
	d.nl()
	return []headline{
		{"2", "stripeSignatureHeader time / k6/crypto hmac time", "≤ 1 (no slower)", ratioText(vsK6), judge(vsK6, noSlower)},
		{"2", "signStripe (options and result objects) time / k6/crypto hmac time", "– (reported)", ratioText(fullVsK6), "–"},
		{"2", "pure-JS HMAC time / stripeSignatureHeader time", "≥ 10", ratioText(vsPure), judge(vsPure, tenfold)},
	}
}

func renderIDs(d *doc, m *microResult) []headline {
	d.p("## 3. ID generation")
	d.nl()
	d.p("IDs per second from JavaScript in one VU (`bench/js/ids.ts`), against the Web Crypto global")
	d.p("`crypto.randomUUID()`, %d alternating rounds of about %d ms. One snowflake generator serves all VUs of a", m.Rounds, m.BatchMs)
	d.p("k6 process and cannot exceed 4 096 ids per millisecond (its step field), about 4 million a second.")
	d.nl()
	microTable(d, m, "crypto.randomUUID()", "randomUUID")
	uuid, _ := m.ns("crypto.randomUUID()")
	snow, _ := m.ns("k6/x/valora snowflake()")
	key, _ := m.ns("k6/x/valora idempotencyKey()")
	d.p("As scripts call them, a snowflake costs %s and an idempotency key %s. With the function in a local",
		perOp(medianSec(m, "k6/x/valora snowflake()")), perOp(medianSec(m, "k6/x/valora idempotencyKey()")))
	d.p("constant they cost %s and %s: the difference, about %s a call, is reading the binding through the",
		perOp(medianSec(m, "snowflake(), function in a local")), perOp(medianSec(m, "idempotencyKey(), function in a local")),
		perOp(diffSec(m, "k6/x/valora snowflake()", "snowflake(), function in a local")))
	d.p("Go module's namespace on every access (section 2). `randomUUID` is a property of a plain global object and does")
	d.p("not pay it. A call into the extension that does nothing (`nodeId()` through a local) costs %s, against",
		perOp(medianSec(m, "nodeId(), function in a local (call floor)")))
	d.p("%s for the loop itself. Section 1 gives the k6 CPU per iteration an id is part of. A hot loop can keep",
		perOp(medianSec(m, "loop and call overhead")))
	d.p("the functions in locals (`const { idempotencyKey } = valora;` at init).")
	d.nl()
	return []headline{
		{"3", "snowflake() time / randomUUID() time", "– (reported)", ratioText(spreadOf(ratios(snow, uuid))), "–"},
		{"3", "idempotencyKey() time / randomUUID() time", "– (reported)", ratioText(spreadOf(ratios(key, uuid))), "–"},
	}
}

// ---------------------------------------------------------------- 4 and 5

func renderLimit(d *doc, r *limitResult) []headline {
	d.p("## 4. The limit: ./k6 against wrk on the ingest route")
	d.nl()
	d.p("The highest rate of accepted `POST /api/usage` requests each generator reaches against the stand-in,")
	d.p("on the same machine. `wrk` (Debian's package) posts with `bench/wrk/ingest.lua`, a fresh key per request;")
	d.p("`./k6` runs `bench/k6/bare_ingest.js` (the cheapest valid post: no check, bodies discarded) and our")
	d.p("`ingest_load`. First a sweep over settings (%s each), then the best of each, alternating, %d times.", durationFlag(r.Duration), r.Reps)
	d.nl()
	var rows [][]string
	for _, w := range r.WrkSweep {
		rows = append(rows, []string{"wrk " + w.Setting.String(), num(w.Rate), f2(w.WrkCores), f2(w.StandinCores)})
	}
	for i := range r.BareSweep {
		for _, k := range []k6Result{r.BareSweep[i], r.OursSweep[i]} {
			label := "bare k6"
			if k.Script == ours.Script {
				label = "ingest_load (ours)"
			}
			rows = append(rows, []string{fmt.Sprintf("%s, %d VUs", label, k.VUs), num(k.Rate), f2(k.K6Cores), f2(k.StandinCores)})
		}
	}
	d.p("Sweep:")
	d.nl()
	d.table([]string{"Generator", "Requests/s", "Generator cores busy", "Stand-in cores busy"}, rows)

	wrkRates := make([]float64, len(r.Wrk))
	for i, w := range r.Wrk {
		wrkRates[i] = w.Rate
	}
	bareRates, oursRates := field(r.Bare, rateOf), field(r.Ours, rateOf)
	rows = [][]string{
		{"wrk " + r.Wrk[0].Setting.String(), spreadText(spreadOf(wrkRates), num), "1"},
		{fmt.Sprintf("bare k6, %d VUs", r.Bare[0].VUs), spreadText(spreadOf(bareRates), num), ratioText(spreadOf(ratios(bareRates, wrkRates)))},
		{fmt.Sprintf("ingest_load (ours), %d VUs", r.Ours[0].VUs), spreadText(spreadOf(oursRates), num), ratioText(spreadOf(ratios(oursRates, wrkRates)))},
	}
	d.p("Best settings, alternating:")
	d.nl()
	d.table([]string{"Generator", "Requests/s", "Ratio to wrk, per repetition"}, rows)
	bareGap := spreadOf(ratios(bareRates, wrkRates))
	oursGap := spreadOf(ratios(oursRates, wrkRates))
	d.p("`./k6` reaches %.0f %% of the rate `wrk` reaches on this machine with the cheapest script, and our", bareGap.Median*100)
	d.p("`ingest_load` %.0f %%. The gap is the cost of a JavaScript VU per request: k6 interprets the iteration,", oursGap.Median*100)
	d.p("builds the request and records about a dozen metric samples for it, where `wrk` runs a few lines of")
	d.p("LuaJIT and keeps only a latency histogram. On cores shared with the server, every core k6 keeps busy")
	d.p("is one the stand-in does not get.")
	headroom := spreadOf(ratios(wrkRates, bareRates))
	ok := headroom.Median > 1
	if ok {
		d.p("In this run the generator is the bottleneck (section 5): to go higher, run k6 on other machines than")
		d.p("the server (k6-operator, `deploy/`) rather than tune the script.")
	}
	d.nl()

	if ok {
		d.p("## 5. The stand-in is not the bottleneck")
	} else {
		d.p("## 5. The stand-in's capacity")
	}
	d.nl()
	var wrkSA, bareSA, wrkCPU, bareCPU []float64
	for _, w := range r.Wrk {
		wrkSA = append(wrkSA, w.StandinCores)
		wrkCPU = append(wrkCPU, w.StandinCPUPerReq)
	}
	for _, b := range r.Bare {
		bareSA = append(bareSA, b.StandinCores)
		bareCPU = append(bareCPU, b.StandinCPUPerIter)
	}
	cap := spreadOf(wrkCPU)
	d.table([]string{"", "Under wrk", "Under bare k6"}, [][]string{
		{"Requests/s the stand-in served", spreadText(spreadOf(wrkRates), num), spreadText(spreadOf(bareRates), num)},
		{"Stand-in cores busy", spreadText(spreadOf(wrkSA), f2), spreadText(spreadOf(bareSA), f2)},
		{"Stand-in CPU per request (µs)", spreadText(cap, µs), spreadText(spreadOf(bareCPU), µs)},
	})
	d.p("Under `wrk` the stand-in serves %s the rate `./k6` can generate at its best (per-repetition ratio %s),", x1(headroom.Median), ratioText(headroom))
	d.p("while sharing the machine's cores with `wrk`. At %s of CPU per request it serves about %s requests/s",
		perOp(cap.Median), num(1/cap.Median))
	d.p("per core it has to itself.")
	if ok {
		d.p("So when `./k6` runs against it on this machine, k6 runs out of CPU first: the rates in this document")
		d.p("are the generator's, not the stand-in's.")
	} else {
		d.p("In this run `./k6` generated at least the rate the stand-in served under `wrk`: the rates in this")
		d.p("document may be the stand-in's as well as the generator's.")
	}
	d.nl()
	return []headline{
		{"4", "bare ./k6 rate / wrk rate (the machine's ceiling)", "– (reported)", ratioText(bareGap), "–"},
		{"4", "ingest_load (ours) rate / wrk rate", "– (reported)", ratioText(oursGap), "–"},
		{"5", "stand-in capacity under wrk / best ./k6 rate", "> 1", ratioText(headroom), judge(headroom, target{"> 1", func(r float64) bool { return r > 1 }})},
	}
}

// ---------------------------------------------------------------- 6

func renderMemory(d *doc, r *memoryResult) []headline {
	d.p("## 6. Memory per VU")
	d.nl()
	d.p("Peak resident memory of the `./k6` process (the kernel's max RSS for the child; the stand-in is a separate")
	d.p("process and not counted) at %s VUs, each run %s, %d repetitions, four scripts of section 1", joinInts(r.VUs), durationFlag(r.Duration), r.Reps)
	d.p("alternating at each level. Memory per VU is the least-squares slope of peak RSS over the VU count,")
	d.p("computed per repetition, so what every k6 process holds regardless of VUs drops out.")
	d.nl()
	head := []string{"Script"}
	for _, v := range r.VUs {
		head = append(head, fmt.Sprintf("Peak RSS at %d VUs (MiB)", v))
	}
	head = append(head, "Per VU (KiB)", "Entry script each VU compiles")
	slopes := map[string][]float64{}
	var rows [][]string
	for _, v := range memoryVariants {
		row := []string{v.Label}
		for li := range r.VUs {
			var ys []float64
			for _, rep := range r.Runs[v.Key] {
				ys = append(ys, float64(rep[li].Usage.MaxRSSKB))
			}
			row = append(row, spreadText(spreadOf(ys), mib))
		}
		slopes[v.Key] = perVU(r.VUs, r.Runs[v.Key])
		bundle := "–"
		if n, ok := r.Bundles[v.Script]; ok {
			bundle = bytesText(n)
		}
		row = append(row, spreadText(spreadOf(slopes[v.Key]), func(f float64) string { return fmt.Sprintf("%.0f", f) }), bundle)
		rows = append(rows, row)
	}
	d.table(head, rows)
	ratio := func(v variant) spread { return spreadOf(ratios(slopes[v.Key], slopes[baseline.Key])) }
	sw, rq, ou := ratio(swapped), ratio(request), ratio(ours)
	swV, ouV := judge(sw, extMem), judge(ou, oursMem)
	at := fmt.Sprintf("at %s VUs", joinInts(r.VUs))
	d.tableAligned("lrll", []string{"Memory per VU, ratio per repetition", "Ratio", "Target", "Verdict"}, [][]string{
		{"baseline + valora key / baseline", ratioX(sw), extMem.text, swV},
		{"ours: request only / baseline", ratioX(rq), "–", "–"},
		{"ingest_load (ours) / baseline", ratioX(ou), oursMem.text, ouV},
	})
	extra := func(v variant) float64 { return spreadOf(diffs(slopes[v.Key], slopes[baseline.Key])).Median }
	d.p("Importing `k6/x/valora` measured %s the baseline's memory per VU (%s, %+.0f KiB per VU); our whole",
		ratioX(sw), plain(swV), extra(swapped))
	d.p("scenario %s (%s, %+.0f KiB per VU). The request-only step, which evaluates the same scenario library in",
		ratioX(ou), plain(ouV), extra(ours))
	d.p("every VU but iterates almost like the baseline, measured %s (%+.0f KiB per VU): the part of our memory", ratioX(rq), extra(request))
	d.p("that is code and data every VU holds, before any iteration runs. The last column is the size of the")
	d.p("script file each VU compiles and evaluates when it starts (the baselines also import `bench/k6/lib/`).")
	if ouV != verdictMet {
		share := extra(request) / extra(ours)
		d.p("Of our extra memory per VU, %.0f %% is already there in the request-only step: k6 compiles and evaluates", share*100)
		d.p("the whole bundle in every VU, whether or not a VU calls it. What closing the gap would take: an entry")
		d.p("whose VUs evaluate only the hot path (the request, the check, the counters), with the configuration")
		d.p("reader, the report writers and the verdict loaded only by the VU that runs setup, teardown and")
		d.p("handleSummary; then this section shows what is left.")
	}
	d.nl()
	return []headline{
		{"6", "memory per VU " + at + ", ingest_load (ours) / baseline", oursMem.text, ratioX(ou), ouV},
		{"6", "memory per VU " + at + ", baseline + valora key / baseline", extMem.text, ratioX(sw), swV},
	}
}

// perVU is memory per VU (KiB), one figure per repetition: the slope of peak RSS over the VU counts.
func perVU(vus []int, reps [][]k6Result) []float64 {
	xs := make([]float64, len(vus))
	for i, v := range vus {
		xs[i] = float64(v)
	}
	var out []float64
	for _, rep := range reps {
		ys := make([]float64, len(rep))
		for li, k := range rep {
			ys[li] = float64(k.Usage.MaxRSSKB)
		}
		out = append(out, slope(xs, ys))
	}
	return out
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	if len(s) > 1 {
		return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	return strings.Join(s, "")
}

// ---------------------------------------------------------------- 7

func renderScaling(d *doc, r *scalingResult, plotPath string, plotted bool) {
	d.p("## 7. How cost grows with VUs")
	d.nl()
	d.p("Iterations per second and p95 request latency of `ingest_load` (ours) and the baseline at %s VUs,", joinInts(r.VUs))
	d.p("%s each, %d repetitions, alternating. k6 and the stand-in share the two cores: past a few VUs the", durationFlag(r.Duration), r.Reps)
	d.p("machine is saturated, so more VUs add queueing (latency), not throughput.")
	d.nl()
	if plotted {
		d.p("![Iterations per second and p95 latency against VUs](%s)", plotPath)
		d.nl()
	}
	var rows [][]string
	for _, row := range scalingRows(r) {
		rows = append(rows, []string{fmt.Sprint(row.VUs),
			spreadText(row.BaseRate, num), spreadText(row.OursRate, num),
			spreadText(row.BaseP95, f2), spreadText(row.OursP95, f2),
			spreadText(row.BaseCPU, µs), spreadText(row.OursCPU, µs)})
	}
	d.table([]string{"VUs", "Baseline it/s", "Ours it/s", "Baseline p95 (ms)", "Ours p95 (ms)",
		"Baseline CPU/it (µs)", "Ours CPU/it (µs)"}, rows)
}

// ---------------------------------------------------------------- 8

func renderBuild(d *doc, b *buildResult) {
	d.p("## 8. Build and artefacts")
	d.nl()
	d.p("Builds run in a copy of the work tree (the files git knows of), so the `./k6` in use is never replaced.")
	d.p("**Cold**: a fresh `GOCACHE`, no `.bin/` (xk6 is built first) and no `node_modules/` (`npm ci` runs, from")
	d.p("npm's local cache); Go modules come from the existing module cache, so no module is downloaded: a first")
	d.p("build on a new machine adds that download. **Warm**: `./k6` and `dist/` removed, caches kept: the rebuild")
	d.p("after a change. **No-op**: nothing changed.")
	d.nl()
	image := "not built"
	if b.ImageBytes > 0 {
		image = fmt.Sprintf("%s (`%s`, %s)", bytesText(b.ImageBytes), b.Image, b.ImageNote)
	} else if b.ImageNote != "" {
		image = b.ImageNote
	}
	d.tableAligned("lr", []string{"", ""}, [][]string{
		{"`make build`, cold", secText(b.Cold)},
		{"`make build`, warm", secText(b.Warm)},
		{"`make build`, no-op", secText(b.NoOp)},
		{"`make bundle` (dist/ removed)", secText(b.Bundle)},
		{"`./k6`", bytesText(b.K6Bytes)},
		{fmt.Sprintf("`dist/*.js` (%d scenarios)", len(b.Dist)), fmt.Sprintf("%s, source maps %s more", bytesText(b.DistJS), bytesText(b.DistMaps))},
		{"CI image", image},
	})
	var rows [][]string
	for _, a := range b.Dist {
		rows = append(rows, []string{"`dist/" + a.Name + "`", bytesText(a.Bytes)})
	}
	if len(rows) > 0 {
		d.table([]string{"Scenario bundle", "Size"}, rows)
	}
}

// ---------------------------------------------------------------- Go

func renderGoBench(d *doc, gb []goBench, cmd string) {
	d.p("## Go micro-benchmarks")
	d.nl()
	d.p("Every signer, generator and stand-in handler, without JavaScript: `%s`.", cmd)
	d.p("Median over the runs, min–max in brackets.")
	d.nl()
	var rows [][]string
	for _, b := range gb {
		rows = append(rows, []string{"`" + b.Package + "`", b.Name,
			spreadText(b.NsPerOp, func(f float64) string { return fmt.Sprintf("%.0f", f) }),
			fmt.Sprintf("%.0f", b.BPerOp), fmt.Sprintf("%.0f", b.Allocs)})
	}
	d.tableAligned("llrrr", []string{"Package", "Benchmark", "ns/op", "B/op", "allocs/op"}, rows)
}

func renderMethod(d *doc) {
	d.p("## Method")
	d.nl()
	d.p("- **Ratios, not absolutes.** Each comparison pairs runs made back to back in one invocation; the order of")
	d.p("  the things compared rotates every repetition (A B, B A, …) so neither always runs first. The median of")
	d.p("  the per-repetition ratios is the result, the min–max its spread. Absolute figures move with the")
	d.p("  machine's other load; the ratios mostly do not.")
	d.p("- **Steady state.** For each `./k6` run the harness polls k6's REST API for the iteration count and reads")
	d.p("  the CPU of k6 and of the stand-in from `/proc/<pid>/stat` at the same instants. The window opens 15 %% of")
	d.p("  the duration (at most 3 s) after the first iterations and closes 5 %% before the end, so VU start-up,")
	d.p("  `setup()` and the end-of-test summary stay out of the rates and CPU figures.")
	d.p("- **Peak memory** is `getrusage`'s max RSS of the finished k6 process.")
	d.p("- **Every run is checked:** a run with a failed request or a failed check stops the harness, so no figure")
	d.p("  comes from a run that did less work than it claims. A run of ours that accepts known Valora defects (section")
	d.p("  1b) fails their checks by design: it is judged by its verdict instead, and must exit 0 (PASSED). Every load")
	d.p("  goes to 127.0.0.1 only, every run is bounded in time, and thresholds are off (`--no-thresholds`) for every")
	d.p("  script alike. The stand-in's rollup ticks every second (Valora's every minute), so a webhook run waits")
	d.p("  seconds, not a minute, for its effect.")
	d.p("- **Every section's figures are finite:** a section that produced NaN, an infinity or a zero where work was")
	d.p("  done fails the run (`make bench-quick` included) instead of printing a dash.")
	d.p("- **Micro-benchmarks** run inside one VU: k6 has no sub-millisecond clock, so each case runs in batches")
	d.p("  sized to last a fixed time by `Date.now()`, the cases taking turns batch after batch.")
}
