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
)

// TestDistributedSplit runs ingest_load as three ./k6 instances, started the way k6-operator starts its runners
// (--execution-segment with the whole --execution-segment-sequence), against one stand-in. Together they must
// run the configured VUs, every instance's invariants must hold, and no id or idempotency key may repeat across
// instances: the server must hold exactly one record per accepted event.
func TestDistributedSplit(t *testing.T) {
	srv, err := standin.New(standin.Config{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(t.Context()) })
	env := srv.Fixture().Env(base)
	before := srv.Stats().UsageEvents

	const vus = 6
	sequence := "0,1/3,2/3,1"
	segments := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	results := make([]result, len(segments))
	var wg sync.WaitGroup
	for i, seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flags := []string{"--execution-segment", seg, "--execution-segment-sequence", sequence,
				"--tag", fmt.Sprintf("instance_id=%d", i)}
			results[i] = runK6Args(t, scenario("ingest_load"), flags, env, quick,
				map[string]string{"INGEST_VUS": strconv.Itoa(vus), "INGEST_DURATION": "5s"})
		}()
	}
	wg.Wait()

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
	env := server(t, standin.Config{})
	sequence := "0,1/3,2/3,1"
	segments := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	results := make([]result, len(segments))
	var wg sync.WaitGroup
	for i, seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flags := []string{"--execution-segment", seg, "--execution-segment-sequence", sequence}
			results[i] = runK6Args(t, scenario("webhook_idempotency"), flags, env, quick)
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.code != 0 {
			t.Errorf("instance %d (%s) failed:\n%s", i, segments[i], res)
		}
	}
}
