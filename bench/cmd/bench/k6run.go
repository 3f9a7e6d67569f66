package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// k6Result is one run of ./k6 against a fresh stand-in.
type k6Result struct {
	Script   string        `json:"script"`
	VUs      int           `json:"vus"`
	Duration time.Duration `json:"duration"`

	// Steady state: from the samples taken while the scenario ran, past its start-up and before its end.
	Rate              float64 `json:"rate"`               // iterations per second
	CPUPerIter        float64 `json:"cpuPerIter"`         // k6 CPU seconds per iteration
	StandinCPUPerIter float64 `json:"standinCpuPerIter"`  // the stand-in's CPU seconds per iteration
	K6Cores           float64 `json:"k6Cores"`            // cores k6 kept busy
	StandinCores      float64 `json:"standinCores"`       // cores the stand-in kept busy
	Window            float64 `json:"windowSeconds"`      // length of the steady window
	WholeRun          bool    `json:"wholeRun,omitempty"` // too short for a steady window: whole-run figures

	Iterations int64   `json:"iterations"`
	Requests   int64   `json:"requests"`
	P95ms      float64 `json:"p95ms"`
	Usage      usage   `json:"usage"` // the whole k6 process: CPU, peak RSS, wall time
}

type sample struct {
	at         time.Time
	iterations int64
	k6CPU      float64
	standinCPU float64
}

// pollIterations reads the iterations counter from k6's REST API.
func pollIterations(client *http.Client, url string) (int64, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return 0, nil // no iteration has ended yet
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("k6 API: %s", resp.Status)
	}
	var m struct {
		Data struct {
			Attributes struct {
				Sample map[string]float64 `json:"sample"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return 0, fmt.Errorf("k6 API: %w", err)
	}
	return int64(m.Data.Attributes.Sample["count"]), nil
}

// runK6 runs script with INGEST_VUS and INGEST_DURATION against s, thresholds off, and samples iterations
// (k6's REST API) and the CPU of k6 and of the stand-in (/proc) every h.plan.poll.
func runK6(ctx context.Context, h *harness, s *standin, v variant, vus int, dur time.Duration) (k6Result, error) {
	// The API port is free when picked, but another process on the machine may bind it before k6 does: then the
	// run is started again on another port (k6 exits at start, before any iteration).
	for attempt := 1; ; attempt++ {
		res, err := runK6Once(ctx, h, s, v, vus, dur)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return res, err
		}
		h.log("  %s: k6's API port was taken by another process; again", v.Script)
	}
}

func runK6Once(ctx context.Context, h *harness, s *standin, v variant, vus int, dur time.Duration) (k6Result, error) {
	script := v.Script
	res := k6Result{Script: script, VUs: vus, Duration: dur}
	apiPort, err := freePort(apiPortLo, apiPortHi)
	if err != nil {
		return res, err
	}
	summary := filepath.Join(h.tmp, fmt.Sprintf("summary-%d.json", apiPort))
	os.Remove(summary)
	vusVar, durVar := v.VUsVar, v.DurVar
	if vusVar == "" {
		vusVar, durVar = "INGEST_VUS", "INGEST_DURATION"
	}
	env := map[string]string{}
	if !v.fixedVUs() {
		env[vusVar] = strconv.Itoa(vus)
	}
	if durVar != "" {
		env[durVar] = durationFlag(dur)
	}
	for k, val := range s.env {
		env[k] = val
	}
	if v.Accept != "" {
		env["ACCEPT_VIOLATIONS"] = v.Accept
	}
	if v.Env != nil {
		extra, err := v.Env(s)
		if err != nil {
			return res, fmt.Errorf("%s: %w", script, err)
		}
		for k, val := range extra {
			env[k] = val
		}
	}
	// Start-up of hundreds of VUs on two busy cores takes a while; nothing should take longer than this.
	limit := dur + 2*time.Minute + time.Duration(vus)*100*time.Millisecond
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd, stdout, stderr := command(rctx, h.root, cleanEnv(env), h.k6Bin, "run",
		"--quiet", "--no-usage-report", "--no-thresholds",
		"--address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		"--summary-export", summary, script)

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	var (
		mu      sync.Mutex
		samples []sample
		stop    = make(chan struct{})
		polled  = make(chan struct{})
	)
	go func() {
		defer close(polled)
		client := &http.Client{Timeout: time.Second}
		url := fmt.Sprintf("http://127.0.0.1:%d/v1/metrics/iterations", apiPort)
		tick := time.NewTicker(h.plan.poll)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			n, err := pollIterations(client, url)
			if err != nil {
				continue // the API is not up yet, or k6 is finishing
			}
			at := time.Now()
			kc, err1 := cpuSeconds(cmd.Process.Pid)
			sc, err2 := cpuSeconds(s.pid())
			if err1 != nil || err2 != nil {
				continue
			}
			mu.Lock()
			samples = append(samples, sample{at, n, kc, sc})
			mu.Unlock()
		}
	}()
	err = cmd.Wait()
	close(stop)
	<-polled
	res.Usage = usageOf(cmd.ProcessState, time.Since(started))
	if rctx.Err() == context.DeadlineExceeded {
		return res, fmt.Errorf("%s (%d VUs, %s): no end after %s", script, vus, dur, limit)
	}
	if err != nil {
		return res, fmt.Errorf("%s (%d VUs, %s): %v: %s", script, vus, dur, err, tail(stderr, 600)+tail(stdout, 600))
	}
	if err := readSummary(summary, &res, v.Accept != ""); err != nil {
		return res, fmt.Errorf("%s: %w", script, err)
	}
	steady(&res, samples, dur, h.plan.poll)
	return res, nil
}

// steady fills the steady-state figures from the samples: the window opens once the first iterations ended
// plus a warm-up, and closes before the scenario's end. A run too short for it gets whole-run figures.
func steady(res *k6Result, samples []sample, dur, poll time.Duration) {
	first := -1
	for i, s := range samples {
		if s.iterations > 0 {
			first = i
			break
		}
	}
	if first >= 0 {
		warm := min(max(poll, dur*15/100), 3*time.Second)
		cut := max(poll, dur*5/100)
		from, to := samples[first].at.Add(warm), samples[first].at.Add(dur-cut)
		a, b := -1, -1
		for i := first; i < len(samples); i++ {
			if a < 0 && !samples[i].at.Before(from) {
				a = i
			}
			if !samples[i].at.After(to) {
				b = i
			}
		}
		if a >= 0 && b > a && samples[b].iterations > samples[a].iterations {
			sa, sb := samples[a], samples[b]
			dt := sb.at.Sub(sa.at).Seconds()
			n := float64(sb.iterations - sa.iterations)
			res.Window = dt
			res.Rate = n / dt
			res.CPUPerIter = (sb.k6CPU - sa.k6CPU) / n
			res.StandinCPUPerIter = (sb.standinCPU - sa.standinCPU) / n
			res.K6Cores = (sb.k6CPU - sa.k6CPU) / dt
			res.StandinCores = (sb.standinCPU - sa.standinCPU) / dt
			return
		}
	}
	res.WholeRun = true
	if res.Iterations > 0 {
		res.Rate = float64(res.Iterations) / dur.Seconds()
		res.CPUPerIter = res.Usage.CPU / float64(res.Iterations)
		res.K6Cores = res.Usage.CPU / res.Usage.Wall.Seconds()
	}
}

// readSummary takes iterations and p95 from the summary export, and refuses a run whose requests failed or
// whose checks did not all pass: its rate would not be the rate of the work it claims to measure. A run that
// accepts known defects (byVerdict) fails requests and checks by design; its exit status, which is its
// verdict, was already required to be 0.
func readSummary(path string, res *k6Result, byVerdict bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("summary export: %w", err)
	}
	var sum struct {
		Metrics map[string]map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return fmt.Errorf("summary export: %w", err)
	}
	m := sum.Metrics
	res.Iterations = int64(m["iterations"]["count"])
	res.Requests = int64(m["http_reqs"]["count"])
	res.P95ms = m["http_req_duration"]["p(95)"]
	if res.Iterations == 0 {
		return fmt.Errorf("no iteration completed")
	}
	if byVerdict {
		return nil
	}
	if f := m["http_req_failed"]; f["passes"] > 0 {
		return fmt.Errorf("%.0f of %.0f requests failed", f["passes"], f["passes"]+f["fails"])
	}
	if c, ok := m["checks"]; ok && c["fails"] > 0 {
		return fmt.Errorf("%.0f of %.0f checks failed", c["fails"], c["passes"]+c["fails"])
	}
	return nil
}

// durationFlag writes d the way k6 reads durations.
func durationFlag(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}
