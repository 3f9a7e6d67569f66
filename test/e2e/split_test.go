//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/valora-k6/valora-k6/standin"
	"github.com/valora-k6/valora-k6/standin/standintest"
)

// TestDistributedSplit runs ingest_load as three ./k6 instances, started the way k6-operator starts its runners
// (--execution-segment with the whole --execution-segment-sequence), against one stand-in. Together they must
// run the configured VUs, every instance's invariants must hold, and no id or idempotency key may repeat across
// instances: the server must hold exactly one record per accepted event.
func TestDistributedSplit(t *testing.T) {
	srv, env := standintest.Start(t, standin.Config{})
	before := srv.Stats().UsageEvents

	const vus = 6
	results := runSplit(t, "ingest_load", env, quick,
		map[string]string{"INGEST_VUS": strconv.Itoa(vus), "INGEST_DURATION": "5s"})

	var totalVUs, accepted float64
	for i, res := range results {
		if res.code != 0 {
			t.Errorf("instance %d (%s) failed:\n%s", i, segments[i], res)
			continue
		}
		s := readSummary(t, res.reports, "ingest_load")
		instVUs := metricValue(t, s, "vus_max", "max")
		if instVUs < 1 {
			t.Errorf("instance %d ran no VU", i)
		}
		totalVUs += instVUs
		accepted += metricValue(t, s, "usage_accepted", "count")
	}
	if totalVUs != vus {
		t.Errorf("the instances ran %v VUs together, want the configured %d", totalVUs, vus)
	}
	stored := srv.Stats().UsageEvents - before
	if accepted == 0 || float64(stored) != accepted {
		t.Errorf("server stored %d usage records for %v accepted events: ids or idempotency keys repeated across instances",
			stored, accepted)
	}
	t.Logf("3 instances, %v VUs, %v accepted events, %d records stored", totalVUs, accepted, stored)
}

// segments splits a run in three, as k6-operator does for parallelism 3.
var segments = []string{"0:1/3", "1/3:2/3", "2/3:1"}

// runSplit runs a scenario as three concurrent ./k6 instances, each given its segment and the whole sequence
// (the flags k6-operator passes its runners) and an instance_id tag.
func runSplit(t *testing.T, name string, env ...map[string]string) []result {
	t.Helper()
	results := make([]result, len(segments))
	var wg sync.WaitGroup
	for i, seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flags := []string{"--execution-segment", seg, "--execution-segment-sequence", "0,1/3,2/3,1",
				"--tag", fmt.Sprintf("instance_id=%d", i)}
			results[i] = runK6Args(t, scenario(name), flags, env...)
		}()
	}
	wg.Wait()
	return results
}

func readSummary(t *testing.T, dir, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name+".summary.json"))
	if err != nil {
		t.Fatalf("summary of %s: %v", name, err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("summary of %s: %v", name, err)
	}
	return out
}

func metricValue(t *testing.T, summary map[string]any, metric, stat string) float64 {
	t.Helper()
	metrics, _ := summary["metrics"].(map[string]any)
	m, _ := metrics[metric].(map[string]any)
	values, _ := m["values"].(map[string]any)
	v, ok := values[stat].(float64)
	if !ok {
		t.Fatalf("summary has no %s.%s", metric, stat)
	}
	return v
}

// TestDistributedWebhooks splits webhook_idempotency over three instances: each runs setup and teardown with its
// own test customer, but only one runs the VU that sends the distinct events. Every instance must expect exactly
// what it delivered, so all three pass on a healthy server.
func TestDistributedWebhooks(t *testing.T) {
	results := runSplit(t, "webhook_idempotency", server(t, standin.Config{}), quick)
	for i, res := range results {
		if res.code != 0 {
			t.Errorf("instance %d (%s) failed:\n%s", i, segments[i], res)
		}
	}
}
