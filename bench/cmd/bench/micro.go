package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// microResult is what bench/js/lib/micro.ts writes: nanoseconds per operation, per case, per round.
type microResult struct {
	Rounds  int `json:"rounds"`
	BatchMs int `json:"batchMs"`
	Cases   []struct {
		Name    string    `json:"name"`
		Batch   int       `json:"batch"`
		NsPerOp []float64 `json:"nsPerOp"`
	} `json:"cases"`
}

func (m microResult) ns(name string) ([]float64, error) {
	for _, c := range m.Cases {
		if c.Name == name {
			return c.NsPerOp, nil
		}
	}
	return nil, fmt.Errorf("micro-benchmark has no case %q", name)
}

// runMicro runs one bundled micro-benchmark (bench/dist/<name>.js) in a single VU of ./k6.
func runMicro(ctx context.Context, h *harness, name string) (microResult, error) {
	var res microResult
	out := filepath.Join(h.tmp, name+".micro.json")
	os.Remove(out)
	rctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	env := map[string]string{
		"ROUNDS":    strconv.Itoa(h.plan.microRounds),
		"BATCH_MS":  strconv.Itoa(h.plan.microBatchMs),
		"BENCH_OUT": out,
	}
	cmd, stdout, stderr := command(rctx, h.root, cleanEnv(env), h.k6Bin, "run", "--quiet", "--no-usage-report",
		filepath.Join("bench", "dist", name+".js"))
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("micro-benchmark %s: %v: %s", name, err, tail(stderr, 600)+tail(stdout, 300))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return res, fmt.Errorf("micro-benchmark %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("micro-benchmark %s: %w", name, err)
	}
	if len(res.Cases) == 0 || len(res.Cases[0].NsPerOp) != h.plan.microRounds {
		return res, fmt.Errorf("micro-benchmark %s: expected %d rounds per case", name, h.plan.microRounds)
	}
	return res, nil
}
