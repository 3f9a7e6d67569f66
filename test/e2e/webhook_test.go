//go:build e2e

package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
	"github.com/valora-k6/valora-k6/standin/standintest"
)

// TestWebhookCanaryNamesTheSecret: a wrong WEBHOOK_SECRET or ADYEN_HMAC_KEY is a configuration mistake, not a
// Valora defect: setup's signed canary is refused as invalid_signature and the run stops (108) naming the variable.
func TestWebhookCanaryNamesTheSecret(t *testing.T) {
	env := server(t, standin.Config{})
	for _, c := range []struct{ key, value string }{
		{"WEBHOOK_SECRET", "whsec_not_the_configured_one_0000"},
		{"ADYEN_HMAC_KEY", strings.Repeat("ab", 32)},
	} {
		t.Run(c.key, func(t *testing.T) {
			res := runK6(t, scenario("webhook_idempotency"), env, quick, map[string]string{c.key: c.value})
			if res.code != 108 || !strings.Contains(res.output, c.key+": Valora refused a canary event") {
				t.Fatalf("want exit 108 naming %s:\n%s", c.key, res)
			}
			if strings.Contains(res.output, "VIOLATED") {
				t.Errorf("a wrong secret was reported as a Valora violation:\n%s", res.output)
			}
		})
	}
}

// TestWebhookEffectWaitsForTheRollup: the balance moves on the rollup tick. The default wait is derived from the
// deliveries and the tick (and printed); the effect latency is reported as a trend. A timeout shorter than the tick
// is NOT VISIBLE (INCOMPLETE), never a violation of "once".
func TestWebhookEffectWaitsForTheRollup(t *testing.T) {
	_, env := standintest.Start(t, standin.Config{RollupInterval: 3 * time.Second})
	res := runK6(t, scenario("webhook_idempotency"), env, quick)
	if res.code != 0 || res.report == nil {
		t.Fatalf("a healthy stand-in with a 3 s rollup must pass:\n%s", res)
	}
	if !strings.Contains(res.output, "waiting up to") || !strings.Contains(res.output, "VALORA_ROLLUP_INTERVAL=3s") {
		t.Errorf("the derived wait must be printed:\n%s", res.output)
	}
	if !res.report.hasMetric("webhook_effect_latency") {
		t.Errorf("no webhook_effect_latency trend in the summary")
	}

	// A rollup that ticks only after the run has ended, and a wait shorter than the tick.
	_, slow := standintest.Start(t, standin.Config{RollupInterval: time.Minute})
	res = runK6(t, scenario("webhook_idempotency"), slow, quick, map[string]string{"WEBHOOK_BALANCE_TIMEOUT": "2s"})
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE (110) when the balance cannot move in time:\n%s", res)
	}
	eff, _ := res.report.invariant("webhook_effect_once")
	if eff.Status != "not visible" || !strings.Contains(eff.Note, "WEBHOOK_BALANCE_TIMEOUT") || !strings.Contains(eff.Note, "rollup") {
		t.Errorf("webhook_effect_once: want NOT VISIBLE naming WEBHOOK_BALANCE_TIMEOUT and the rollup, got %+v", eff)
	}
}

// TestConcurrentRunsDoNotCollide: two ingest_load runs started together against one server (two CI jobs) must
// both pass: their idempotency keys never collide, so neither gets the other's records.
func TestConcurrentRunsDoNotCollide(t *testing.T) {
	srv, env := standintest.Start(t, standin.Config{})
	before := srv.Stats().UsageEvents
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runK6(t, scenario("ingest_load"), env, quick)
		}()
	}
	wg.Wait()
	var accepted float64
	for i, res := range results {
		if res.code != 0 {
			t.Errorf("run %d failed:\n%s", i, res)
			continue
		}
		accepted += metricValue(t, readSummary(t, res.reports, "ingest_load"), "usage_accepted", "count")
	}
	if stored := srv.Stats().UsageEvents - before; float64(stored) != accepted {
		t.Errorf("%d records stored for %v accepted events: the two runs' keys collided", stored, accepted)
	}
}
