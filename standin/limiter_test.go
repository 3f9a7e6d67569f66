package standin

import (
	"encoding/json"
	"math"
	"sync/atomic"
	"testing"
	"time"
)

func TestRateLimiterBuckets(t *testing.T) {
	h := start(t, Config{RateLimit: true})
	var refused []resp
	accepted := 0
	t0 := time.Now()
	for i := 0; i < 200 && len(refused) == 0; i++ {
		r := h.ingest(uniqueKey("rl"))
		switch r.status {
		case 200:
			accepted++
		case 429:
			refused = append(refused, r)
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	// The endpoint bucket (burst 30) refuses first, once the burst and what it refilled at 15/s meanwhile are spent
	// (a slow machine refills more).
	if most := 30 + int(math.Ceil(15*time.Since(t0).Seconds())); len(refused) == 0 || accepted < 30 || accepted > most {
		t.Fatalf("%d accepted before the first refusal (%d refused), want the endpoint burst of 30 (at most %d with the refill)",
			accepted, len(refused), most)
	}
	r := refused[0]
	if r.header.Get("Retry-After") != "1" || r.header.Get("X-Rate-Limited-Reason") != "endpoint-rate" {
		t.Fatalf("headers %v", r.header)
	}
	var body struct {
		Error           string `json:"error"`
		Resource        string `json:"resource"`
		Current, Limit  int
		Period          string `json:"period"`
		NextReset       string `json:"next_reset"`
		UpgradeRequired bool   `json:"upgrade_required"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Error != "usage_limit_reached" || body.Resource != "usage_ingest" || body.Limit != 30 || body.Current != 30 ||
		body.Period != "monthly" || !body.UpgradeRequired || len(body.NextReset) != 10 {
		t.Fatalf("bucket 429 body %s", r.body)
	}
	// Year-month-month, Valora's layout bug.
	now := time.Now()
	if want := now.Format("2006-01-01"); body.NextReset != want && body.NextReset != now.Add(time.Second).Format("2006-01-01") {
		t.Fatalf("next_reset %q, want like %q", body.NextReset, want)
	}

	// Keep going until the org bucket (burst 50, refilled at 25/s) is the one refusing: every request spends one of
	// its tokens, refused by the endpoint bucket or not.
	var orgRefusal *resp
	for i := 0; i < 400 && orgRefusal == nil; i++ {
		r := h.ingest(uniqueKey("rl"))
		if r.status == 429 && r.header.Get("X-Rate-Limited-Reason") == "org-rate" {
			orgRefusal = &r
		}
	}
	if orgRefusal == nil {
		t.Fatal("the org bucket never refused")
	}
	var ob map[string]any
	_ = json.Unmarshal(orgRefusal.body, &ob)
	if ob["limit"] != float64(50) {
		t.Fatalf("org refusal %s", orgRefusal.body)
	}
	// The other org has buckets of its own.
	wantStatus(t, h.do("POST", "/api/usage", usageBody(h.fx.OtherCustomerID, "api_calls", uniqueKey("o")), hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey}), 200)
}

func TestRateLimiterConcurrencyLock(t *testing.T) {
	h := start(t, Config{RateLimit: true})
	entered, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	h.s.ingestHook = func() {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
	}
	key := uniqueKey("lock")
	firstDone := make(chan resp, 1)
	go func() { firstDone <- h.ingest(key) }()
	<-entered
	// Same (customer, meter) while the first is in flight: the lock's 429, even with the same idempotency key.
	for _, k := range []string{key, uniqueKey("lock2")} {
		r := h.ingest(k)
		wantEnvelope(t, r, 429, "rate_limited", "", "")
		if r.header.Get("X-Rate-Limited-Reason") != "customer-meter-concurrency" || r.header.Get("Retry-After") != "1" {
			t.Fatalf("lock refusal headers %v", r.header)
		}
	}
	// A different meter code is a different lock (it then fails validation, past the limiter).
	r := h.do("POST", "/api/usage", usageBody(h.fx.CustomerID, "other_meter", uniqueKey("x")), h.key())
	wantEnvelope(t, r, 400, "validation_error", "meter", "invalid_meter")
	close(release)
	wantStatus(t, <-firstDone, 200)
	// Released after the request: the next one passes.
	wantStatus(t, h.ingest(uniqueKey("after")), 200)

	// Switched off (the default), identical concurrent posts all succeed.
	h2 := start(t, Config{})
	if ids, st := concurrentIngest(t, h2, 30, uniqueKey("off")); st[200] != 30 || len(ids) != 1 {
		t.Fatalf("limiter off: %v %v", st, ids)
	}
}

func TestLimiterStrictFault(t *testing.T) {
	h := start(t, Config{})
	for i := 0; i < 5; i++ {
		wantStatus(t, h.ingest(uniqueKey("healthy")), 200)
	}
	h.s.SetFaults(FaultLimiterStrict)
	wantStatus(t, h.ingest(uniqueKey("strict")), 200)
	r := h.ingest(uniqueKey("strict"))
	wantStatus(t, r, 429)
	if r.header.Get("X-Rate-Limited-Reason") == "" {
		t.Fatalf("strict refusal without reason: %v", r.header)
	}
	ids, st := concurrentIngest(t, h, 30, uniqueKey("strict-burst"))
	if st[429] < 29 {
		t.Fatalf("strict burst: %v %v", st, ids)
	}
	h.s.SetFaults()
	wantStatus(t, h.ingest(uniqueKey("healthy-again")), 200)
}

// holdIngest holds the next POST /api/usage that gets past the limiter until release is called; held carries its
// answer.
func holdIngest(t *testing.T, h *harness) (release func(), held <-chan resp) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	h.s.ingestHook = func() {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-gate
		}
	}
	ch := make(chan resp, 1)
	go func() { ch <- h.ingest(uniqueKey("held")) }()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the held ingest never reached the handler")
	}
	return func() { close(gate) }, ch
}

// TestLimiterNoRetryAfterFault: limiter-no-retry-after switches Valora's limiter on, whether Config.RateLimit is
// set or not, and its 429s (lock and bucket) keep X-Rate-Limited-Reason and their bodies but carry no Retry-After.
func TestLimiterNoRetryAfterFault(t *testing.T) {
	for _, rateLimit := range []bool{false, true} {
		h := start(t, Config{Customers: 2, RateLimit: rateLimit})
		// Healthy: the limiter is on only with RateLimit, and then its refusals say Retry-After: 1.
		release, held := holdIngest(t, h)
		r := h.ingest(uniqueKey("second"))
		release()
		wantStatus(t, <-held, 200)
		if rateLimit {
			wantEnvelope(t, r, 429, "rate_limited", "", "")
			if r.header.Get("Retry-After") != "1" {
				t.Fatalf("healthy limiter refusal without Retry-After: %v", r.header)
			}
		} else {
			wantStatus(t, r, 200)
		}

		h.s.SetFaults(FaultLimiterNoRetryAfter)
		h.s.limiter.reset()
		release, held = holdIngest(t, h)
		// Same (customer, meter) while the first is in flight: the lock's 429, same idempotency key or not.
		for _, key := range []string{uniqueKey("lock"), uniqueKey("lock")} {
			r := h.ingest(key)
			wantEnvelope(t, r, 429, "rate_limited", "", "")
			if _, has := r.header["Retry-After"]; has || r.header.Get("X-Rate-Limited-Reason") != "customer-meter-concurrency" {
				t.Fatalf("limiter %v: lock refusal headers %v, want the reason and no Retry-After", rateLimit, r.header)
			}
		}
		release()
		wantStatus(t, <-held, 200)
		h.s.ingestHook = nil
		wantStatus(t, h.ingest(uniqueKey("after")), 200) // the lock is released after the request, as in Valora

		// The buckets are Valora's: the endpoint burst of 30, then its 429 and body, without Retry-After.
		h.s.limiter.reset()
		var refusal *resp
		accepted := 0
		t0 := time.Now()
		for i := 0; i < 200 && refusal == nil; i++ {
			r := h.ingest(uniqueKey("bucket"))
			switch r.status {
			case 200:
				accepted++
			case 429:
				refusal = &r
			default:
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		}
		// The burst of 30, plus what the bucket refilled at 15/s meanwhile (a slow machine refills more).
		if most := 30 + int(math.Ceil(15*time.Since(t0).Seconds())); refusal == nil || accepted < 30 || accepted > most {
			t.Fatalf("limiter %v: %d accepted before a refusal (%v), want the endpoint burst of 30 (at most %d with the refill)",
				rateLimit, accepted, refusal != nil, most)
		}
		var body map[string]any
		if err := json.Unmarshal(refusal.body, &body); err != nil {
			t.Fatal(err)
		}
		if _, has := refusal.header["Retry-After"]; has || refusal.header.Get("X-Rate-Limited-Reason") != "endpoint-rate" ||
			body["error"] != "usage_limit_reached" || body["limit"] != float64(30) {
			t.Fatalf("limiter %v: bucket refusal %v %s", rateLimit, refusal.header, refusal.body)
		}

		// With limiter-strict too, the strict limits refuse, still without Retry-After.
		h.s.SetFaults(FaultLimiterStrict, FaultLimiterNoRetryAfter)
		h.ingest(uniqueKey("strict"))
		if r := h.ingest(uniqueKey("strict")); r.status != 429 || r.header.Get("Retry-After") != "" {
			t.Fatalf("limiter %v: strict + no-retry-after answered %d %v", rateLimit, r.status, r.header)
		}

		// Healthy again: off without RateLimit; with it, Retry-After is back.
		h.s.SetFaults()
		h.s.limiter.reset()
		release, held = holdIngest(t, h)
		r = h.ingest(uniqueKey("again"))
		release()
		wantStatus(t, <-held, 200)
		h.s.ingestHook = nil
		if rateLimit {
			if r.status != 429 || r.header.Get("Retry-After") != "1" {
				t.Fatalf("healthy again: %d %v", r.status, r.header)
			}
		} else {
			wantStatus(t, r, 200)
		}
	}
}
