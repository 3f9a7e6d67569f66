package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

type wrkSetting struct {
	Threads     int `json:"threads"`
	Connections int `json:"connections"`
}

func (w wrkSetting) String() string { return fmt.Sprintf("-t%d -c%d", w.Threads, w.Connections) }

type wrkResult struct {
	Setting          wrkSetting `json:"setting"`
	Rate             float64    `json:"rate"` // requests per second, as wrk reports it
	Requests         int64      `json:"requests"`
	StandinCPUPerReq float64    `json:"standinCpuPerReq"`
	StandinCores     float64    `json:"standinCores"`
	WrkCPUPerReq     float64    `json:"wrkCpuPerReq"`
	WrkCores         float64    `json:"wrkCores"`
	Usage            usage      `json:"usage"`
	Non2xx           int64      `json:"non2xx"`
	SocketErr        int64      `json:"socketErrors"`
}

var (
	wrkRate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk posts /api/usage with bench/wrk/ingest.lua (a fresh key per request) for dur.
func runWrk(ctx context.Context, h *harness, s *standin, w wrkSetting, dur time.Duration) (wrkResult, error) {
	res := wrkResult{Setting: w}
	rctx, cancel := context.WithTimeout(ctx, dur+time.Minute)
	defer cancel()
	env := map[string]string{}
	for _, k := range []string{"API_KEY", "CUSTOMER_ID", "METER_CODE"} {
		env[k] = s.env[k]
	}
	cmd, stdout, stderr := command(rctx, h.root, cleanEnv(env), "wrk",
		"-t", strconv.Itoa(w.Threads), "-c", strconv.Itoa(w.Connections), "-d", durationFlag(dur),
		"--timeout", "2s", "-s", "bench/wrk/ingest.lua", s.url+"/api/usage")
	before, err := cpuSeconds(s.pid())
	if err != nil {
		return res, err
	}
	started := time.Now()
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("wrk %s: %v: %s", w, err, tail(stderr, 400)+tail(stdout, 400))
	}
	after, err := cpuSeconds(s.pid())
	if err != nil {
		return res, err
	}
	res.Usage = usageOf(cmd.ProcessState, time.Since(started))
	out := stdout.String()
	m := wrkRate.FindStringSubmatch(out)
	n := wrkRequests.FindStringSubmatch(out)
	if m == nil || n == nil {
		return res, fmt.Errorf("wrk %s: no rate in its output: %s", w, tail(stdout, 400))
	}
	res.Rate, _ = strconv.ParseFloat(m[1], 64)
	res.Requests, _ = strconv.ParseInt(n[1], 10, 64)
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		res.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for _, x := range m[1:] {
			v, _ := strconv.ParseInt(x, 10, 64)
			res.SocketErr += v
		}
	}
	if res.Requests == 0 {
		return res, fmt.Errorf("wrk %s: no request completed", w)
	}
	// A refused request is cheaper than an accepted one: a rate with refusals is not the ingest route's rate.
	// A handful of socket errors (connections cut at the end of the run) does not change the rate.
	if res.Non2xx > 0 || res.SocketErr*1000 > res.Requests {
		return res, fmt.Errorf("wrk %s: %d non-2xx answers, %d socket errors", w, res.Non2xx, res.SocketErr)
	}
	wall := res.Usage.Wall.Seconds()
	res.StandinCPUPerReq = (after - before) / float64(res.Requests)
	res.StandinCores = (after - before) / wall
	res.WrkCPUPerReq = res.Usage.CPU / float64(res.Requests)
	res.WrkCores = res.Usage.CPU / wall
	return res, nil
}
