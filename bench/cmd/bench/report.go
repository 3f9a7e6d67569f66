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

// verdict is a target's outcome, bold so it stands out in the tables.
func verdict(met bool) string {
	if met {
		return "**met**"
	}
	return "**missed**"
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
	d.p("- **ingest_load (ours)** (`dist/ingest_load.js`): our whole scenario, which also parses every answer and")
	d.p("  checks it echoes what was sent (`ingest_echo`), offers its id to the cross-VU `firstSeen` set")
	d.p("  (`ingest_unique_id`), tags its checks by invariant and counts accepted events.")
	d.p("- Two steps between them, to show where our extra CPU goes: **ours: request only**")
	d.p("  (`bench/js/ingest_request.ts`: our request exactly as `ingest_load` sends it, answer ignored) and")
	d.p("  **ours: request + echo check** (`bench/js/ingest_echo.ts`).")
	d.nl()
	d.p("Rates and CPU are steady-state: sampled while the scenario ran (k6's iteration counter from its REST API,")
	d.p("CPU from `/proc/<pid>/stat`), past the start-up and before the end. CPU per iteration is k6's alone; k6")
	d.p("and the stand-in share the machine's two cores, so iterations/s is what the pair reaches together.")
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
	type cmpRow struct {
		rate, cpu     spread
		rateOK, cpuOK bool
	}
	cmps := map[string]cmpRow{}
	rows = nil
	for _, v := range overheadVariants[1:] {
		rs := r.Runs[v.Key]
		c := cmpRow{
			rate: spreadOf(ratios(field(rs, rateOf), field(base, rateOf))),
			cpu:  spreadOf(ratios(field(rs, cpuOf), field(base, cpuOf)))}
		c.rateOK, c.cpuOK = c.rate.Median >= 0.97, c.cpu.Median <= 1.03
		cmps[v.Key] = c
		rv, cv := "–", "–"
		if v == swapped || v == ours {
			rv, cv = verdict(c.rateOK), verdict(c.cpuOK)
		}
		rows = append(rows, []string{v.Label + " / baseline", pctText(c.rate), rv, pctText(c.cpu), cv})
	}
	d.tableAligned("lrlrl", []string{"Ratio, per repetition", "Iterations/s", "Within 3 %", "CPU per iteration", "Within 3 %"}, rows)

	sw, ou := cmps[swapped.Key], cmps[ours.Key]
	if sw.rateOK && sw.cpuOK {
		d.p("**The extension itself is within the target:** taking the key from `valora.idempotencyKey()` instead of")
		d.p("`Date.now()` and `Math.random()` changes iterations/s by %s and CPU per iteration by %s.",
			signedPct(sw.rate.Median), signedPct(sw.cpu.Median))
	} else {
		d.p("**The extension itself misses the target:** taking the key from `valora.idempotencyKey()` changes")
		d.p("iterations/s by %s and CPU per iteration by %s. Section 3 shows where a call into the extension",
			signedPct(sw.rate.Median), signedPct(sw.cpu.Median))
		d.p("spends its time: reading the import through the module namespace, then the call into Go and back.")
	}
	d.nl()
	if ou.rateOK && ou.cpuOK {
		d.p("**Our whole scenario is within the target** as well.")
		d.nl()
		return overheadHeads(sw.rate, sw.cpu, ou.rate, ou.cpu, sw.rateOK, sw.cpuOK, ou.rateOK, ou.cpuOK)
	}
	cpu := func(v variant) []float64 { return field(r.Runs[v.Key], cpuOf) }
	step := func(a, b variant) string {
		return spreadText(spreadOf(diffs(cpu(a), cpu(b))), µs)
	}
	d.p("**Our whole scenario misses the target:** %s iterations/s and %s CPU per iteration against the",
		signedPct(ou.rate.Median), signedPct(ou.cpu.Median))
	d.p("baseline. It is not the extension (above): it is the invariant checking the baseline does not do. The")
	d.p("steps put the extra k6 CPU per iteration here (µs, median of the per-repetition differences):")
	d.nl()
	d.table([]string{"Step", "Extra k6 CPU per iteration (µs)"}, [][]string{
		{"our request instead of the original one: the `api()` helper (headers merged, tags, the URL builder), a random value, the 2xx-or-429 response callback, the Retry-After check", step(request, baseline)},
		{"`ingest_echo`: `JSON.parse` of the answer, six fields compared (two RFC 3339 instants parsed by a regular expression, to the nanosecond), one tagged check", step(echo, request)},
		{"the rest of `ingest_load`: the accepted-events counter, `firstSeen` across VUs, a second tagged check", step(ours, echo)},
	})
	d.p("k6's JavaScript runtime interprets all of it, on the same two cores as the stand-in. What would close the")
	d.p("gap, keeping every invariant: move the echo comparison into one `k6/x/valora` call that parses the answer")
	d.p("and compares it in Go and returns the id (one boundary crossing instead of an interpreted parse and six")
	d.p("comparisons); pass the request's headers and tags as objects built once per VU instead of merged per")
	d.p("call; and, where a run only needs the statistical guarantee, check the echo on a sample of the answers")
	d.p("while `firstSeen` still sees every id. Until then, section 4 shows what the checking costs in reachable load.")
	d.nl()
	return overheadHeads(sw.rate, sw.cpu, ou.rate, ou.cpu, sw.rateOK, sw.cpuOK, ou.rateOK, ou.cpuOK)
}

func overheadHeads(swRate, swCPU, ouRate, ouCPU spread, swRateOK, swCPUOK, ouRateOK, ouCPUOK bool) []headline {
	return []headline{
		{"1", "baseline + valora key / baseline: iterations/s", "within 3 %", pctText(swRate), verdict(swRateOK)},
		{"1", "baseline + valora key / baseline: CPU per iteration", "within 3 %", pctText(swCPU), verdict(swCPUOK)},
		{"1", "ingest_load (ours) / baseline: iterations/s", "within 3 %", pctText(ouRate), verdict(ouRateOK)},
		{"1", "ingest_load (ours) / baseline: CPU per iteration", "within 3 %", pctText(ouCPU), verdict(ouCPUOK)},
	}
}

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
	k6OK, pureOK := vsK6.Median <= 1, vsPure.Median >= 10
	goSec := goNsPerOp(gb, "extension/webhook", "SignStripe") / 1e9
	if k6OK {
		d.p("**stripeSignatureHeader is no slower than k6/crypto's hmac** (time ratio %s).", ratioText(vsK6))
	} else {
		d.p("**stripeSignatureHeader is slower than k6/crypto's hmac**: %s the time (per-round ratio %s).", x1(vsK6.Median), ratioText(vsK6))
	}
	d.p("signStripe, which also reads an options object and builds a result object, takes %s the time of", x1(fullVsK6.Median))
	d.p("`hmac` (per-round ratio %s): use it where the signatures or the timestamp are needed, and", ratioText(fullVsK6))
	d.p("stripeSignatureHeader in a loop that only sends the header.")
	if !math.IsNaN(goSec) {
		d.p("The HMAC itself is not the cost: `webhook.SignStripe` signs the same size in %s in Go (Go", perOp(goSec))
		d.p("micro-benchmarks below); the rest is the call from JavaScript into Go and back. Reading an import")
		d.p("costs about %s per call for `hmac` (the difference to the same function in a local constant).",
			perOp(diffSec(m, "k6/crypto hmac", "hmac, function in a local")))
	}
	d.nl()
	d.p("Against pure JavaScript, stripeSignatureHeader is **%s faster** (per-round ratio %s).", x1(vsPure.Median), ratioText(vsPure))
	d.nl()
	return []headline{
		{"2", "stripeSignatureHeader time / k6/crypto hmac time", "≤ 1 (no slower)", ratioText(vsK6), verdict(k6OK)},
		{"2", "signStripe (options and result objects) time / k6/crypto hmac time", "– (reported)", ratioText(fullVsK6), "–"},
		{"2", "pure-JS HMAC time / stripeSignatureHeader time", "≥ 10", ratioText(vsPure), verdict(pureOK)},
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
	d.p("%s for the loop itself. Either way an id costs a microsecond or two, against the tens of microseconds of",
		perOp(medianSec(m, "loop and call overhead")))
	d.p("k6 CPU per request (section 1): ids never limit a load test. A hot loop can keep the functions in")
	d.p("locals (`const { idempotencyKey } = valora;` at init).")
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
	d.p("LuaJIT and keeps only a latency histogram. On two cores shared with the server, every core k6 keeps busy")
	d.p("is one the stand-in does not get: the generator is the bottleneck here, as section 5 shows. To go higher,")
	d.p("run k6 on other machines than the server (k6-operator, `deploy/`) rather than tune the script.")
	d.nl()

	d.p("## 5. The stand-in is not the bottleneck")
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
	headroom := spreadOf(ratios(wrkRates, bareRates))
	cap := spreadOf(wrkCPU)
	d.table([]string{"", "Under wrk", "Under bare k6"}, [][]string{
		{"Requests/s the stand-in served", spreadText(spreadOf(wrkRates), num), spreadText(spreadOf(bareRates), num)},
		{"Stand-in cores busy", spreadText(spreadOf(wrkSA), f2), spreadText(spreadOf(bareSA), f2)},
		{"Stand-in CPU per request (µs)", spreadText(cap, µs), spreadText(spreadOf(bareCPU), µs)},
	})
	ok := headroom.Median > 1
	d.p("Under `wrk` the stand-in serves %s the rate `./k6` can generate at its best (per-repetition ratio %s),", x1(headroom.Median), ratioText(headroom))
	d.p("while sharing the two cores with `wrk`. At %s of CPU per request it would serve about %s requests/s",
		perOp(cap.Median), num(2/cap.Median))
	d.p("with both cores to itself. So whenever `./k6` runs against it on this machine, k6 runs out of CPU first:")
	d.p("the rates in this document are the generator's, not the stand-in's.")
	d.nl()
	return []headline{
		{"4", "bare ./k6 rate / wrk rate (the machine's ceiling)", "– (reported)", ratioText(bareGap), "–"},
		{"4", "ingest_load (ours) rate / wrk rate", "– (reported)", ratioText(oursGap), "–"},
		{"5", "stand-in capacity under wrk / best ./k6 rate", "> 1", ratioText(headroom), verdict(ok)},
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
	head = append(head, "Per VU (KiB)")
	slopes := map[string][]float64{}
	var rows [][]string
	xs := make([]float64, len(r.VUs))
	for i, v := range r.VUs {
		xs[i] = float64(v)
	}
	for _, v := range memoryVariants {
		row := []string{v.Label}
		for li := range r.VUs {
			var ys []float64
			for _, rep := range r.Runs[v.Key] {
				ys = append(ys, float64(rep[li].Usage.MaxRSSKB))
			}
			row = append(row, spreadText(spreadOf(ys), mib))
		}
		for _, rep := range r.Runs[v.Key] {
			ys := make([]float64, len(rep))
			for li, k := range rep {
				ys[li] = float64(k.Usage.MaxRSSKB)
			}
			slopes[v.Key] = append(slopes[v.Key], slope(xs, ys))
		}
		row = append(row, spreadText(spreadOf(slopes[v.Key]), func(f float64) string { return fmt.Sprintf("%.0f", f) }))
		rows = append(rows, row)
	}
	d.table(head, rows)
	ou := spreadOf(ratios(slopes[ours.Key], slopes[baseline.Key]))
	sw := spreadOf(ratios(slopes[swapped.Key], slopes[baseline.Key]))
	rq := spreadOf(ratios(slopes[request.Key], slopes[baseline.Key]))
	d.tableAligned("lrl", []string{"Memory per VU, ratio per repetition", "Change", "At most +5 %"}, [][]string{
		{"baseline + valora key / baseline", pctText(sw), verdict(sw.Median <= 1.05)},
		{"ours: request only / baseline", pctText(rq), "–"},
		{"ingest_load (ours) / baseline", pctText(ou), verdict(ou.Median <= 1.05)},
	})
	straddles := func(x spread) bool { return x.Min <= 1.05 && x.Max > 1.05 }
	if sw.Median <= 1.05 {
		d.p("Importing `k6/x/valora` into every VU costs little memory: its per-VU state is one module instance")
		d.p("holding its exported functions, converted to JavaScript values once per VU.")
	} else {
		extra := spreadOf(diffs(slopes[swapped.Key], slopes[baseline.Key])).Median
		d.p("Importing `k6/x/valora` measures %s per VU, about %.0f KiB. By its code, the extension's per-VU state is", signedPct(sw.Median), extra)
		d.p("one module instance holding its exported functions, each converted to a JavaScript function object when")
		d.p("the VU is created (about twenty per VU, so that no call pays for the conversion). That eager conversion")
		d.p("is the likely cost: runs of this harness before it, which converted each function on access, measured")
		d.p("−3.2 %% and +5.6 %% per VU, while it bought no measurable speed (section 3). What would close the gap:")
		d.p("convert on first access and keep the result per VU, then measure again.")
		if straddles(sw) {
			d.p("The repetitions straddle the target (%s), so at this noise the difference is not established.", pctText(sw))
		}
	}
	d.nl()
	if ou.Median > 1.05 {
		d.p("Our whole scenario measures %s per VU over the baseline. It is JavaScript, not the extension: every", signedPct(ou.Median))
		d.p("VU evaluates its own copy of the scenario's module code, and `dist/ingest_load.js` carries the")
		d.p("configuration reader, the HTTP helpers, the invariant catalogue and the report writers every scenario")
		d.p("shares, where the baseline is some sixty lines. The request-only step, which evaluates the scenario")
		d.p("library without the report writers and iterates almost like the baseline, measures %s per VU. What", signedPct(rq.Median))
		d.p("would close the gap: build module-level tables (the invariant catalogue, the report writers' tables)")
		d.p("inside the functions that use them, so a VU that never writes a report never builds them, and bundle")
		d.p("each scenario with only the library code it calls; this section then shows how much is left.")
		if straddles(ou) {
			d.p("The repetitions straddle the target (%s), so at this noise the difference is not established.", pctText(ou))
		}
	}
	d.nl()
	return []headline{
		{"6", "memory per VU, ingest_load (ours) / baseline", "≤ +5 %", pctText(ou), verdict(ou.Median <= 1.05)},
		{"6", "memory per VU, baseline + valora key / baseline", "≤ +5 %", pctText(sw), verdict(sw.Median <= 1.05)},
	}
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
	d.p("  comes from a run that did less work than it claims. Every load goes to 127.0.0.1 only, every run is")
	d.p("  bounded in time, and thresholds are off (`--no-thresholds`) for every script alike.")
	d.p("- **Micro-benchmarks** run inside one VU: k6 has no sub-millisecond clock, so each case runs in batches")
	d.p("  sized to last a fixed time by `Date.now()`, the cases taking turns batch after batch.")
}
