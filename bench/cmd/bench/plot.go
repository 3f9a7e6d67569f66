package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// scalingRow is one VU level: median and spread of both variants' rate and p95.
type scalingRow struct {
	VUs                    int
	BaseRate, OursRate     spread
	BaseP95, OursP95       spread
	BaseCPU, OursCPU       spread // k6 CPU seconds per iteration
	BaseStandin, OursStand spread // stand-in cores busy
}

func scalingRows(s *scalingResult) []scalingRow {
	rows := make([]scalingRow, len(s.VUs))
	pick := func(key string, li int, f func(k6Result) float64) spread {
		var xs []float64
		for _, rep := range s.Runs[key] {
			xs = append(xs, f(rep[li]))
		}
		return spreadOf(xs)
	}
	rate := func(r k6Result) float64 { return r.Rate }
	p95 := func(r k6Result) float64 { return r.P95ms }
	cpu := func(r k6Result) float64 { return r.CPUPerIter }
	sa := func(r k6Result) float64 { return r.StandinCores }
	for li, vus := range s.VUs {
		rows[li] = scalingRow{
			VUs:      vus,
			BaseRate: pick(baseline.Key, li, rate), OursRate: pick(ours.Key, li, rate),
			BaseP95: pick(baseline.Key, li, p95), OursP95: pick(ours.Key, li, p95),
			BaseCPU: pick(baseline.Key, li, cpu), OursCPU: pick(ours.Key, li, cpu),
			BaseStandin: pick(baseline.Key, li, sa), OursStand: pick(ours.Key, li, sa),
		}
	}
	return rows
}

// drawScaling plots iterations/s and p95 against VUs with gnuplot: medians joined, min–max as error bars.
func drawScaling(s *scalingResult, out, tmp string) error {
	var data bytes.Buffer
	fmt.Fprintln(&data, "# vus base_rate min max ours_rate min max base_p95 min max ours_p95 min max")
	for _, r := range scalingRows(s) {
		fmt.Fprintf(&data, "%d", r.VUs)
		for _, sp := range []spread{r.BaseRate, r.OursRate, r.BaseP95, r.OursP95} {
			fmt.Fprintf(&data, " %g %g %g", sp.Median, sp.Min, sp.Max)
		}
		fmt.Fprintln(&data)
	}
	dataFile := filepath.Join(tmp, "scaling.dat")
	if err := os.WriteFile(dataFile, data.Bytes(), 0o644); err != nil {
		return err
	}
	tics := make([]string, len(s.VUs))
	for i, v := range s.VUs {
		tics[i] = strconv.Itoa(v)
	}
	script := fmt.Sprintf(`set terminal pngcairo size 1280,540 font ",11" enhanced
set output %q
set multiplot layout 1,2 title "ingest\\_load against the stand-in on this machine: median of %d runs of %s per point, bars min–max"
set logscale x
set xrange [%g:%g]
set xtics (%s)
set xlabel "VUs"
set grid
set key top left
set ylabel "iterations per second"
set yrange [0:*]
plot %q using 1:2:3:4 with yerrorlines lw 2 pt 7 title "baseline (original suite)", \
     %q using 1:5:6:7 with yerrorlines lw 2 pt 5 title "ingest\\_load (ours)"
set ylabel "p95 request latency (ms)"
set logscale y
set yrange [*:*]
plot %q using 1:8:9:10 with yerrorlines lw 2 pt 7 title "baseline (original suite)", \
     %q using 1:11:12:13 with yerrorlines lw 2 pt 5 title "ingest\\_load (ours)"
unset multiplot
`, out, s.Reps, durationFlag(s.Duration), float64(s.VUs[0])*0.8, float64(s.VUs[len(s.VUs)-1])*1.25, strings.Join(tics, ", "), dataFile, dataFile, dataFile, dataFile)
	scriptFile := filepath.Join(tmp, "scaling.gp")
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		return err
	}
	if out, err := exec.Command("gnuplot", scriptFile).CombinedOutput(); err != nil {
		return fmt.Errorf("gnuplot: %v: %s", err, out)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		return fmt.Errorf("gnuplot wrote no image to %s", out)
	}
	return nil
}
