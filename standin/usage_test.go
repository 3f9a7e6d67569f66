package standin

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestIngestValidation(t *testing.T) {
	h := start(t, Config{})
	cust, meter := h.fx.CustomerID, h.fx.MeterCode
	body := func(fields string) string { return "{" + fields + "}" }
	ok := func(extra string) string {
		return body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q%s`, cust, meter, uniqueKey("v"), extra))
	}
	cases := []struct {
		name        string
		body        string
		status      int
		field, code string // for 400
	}{
		{"valid", ok(""), 200, "", ""},
		{"valid with metadata", ok(`,"metadata":{"b":2,"a":"x"}`), 200, "", ""},
		{"zero value", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":0,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q`, cust, meter, uniqueKey("z"))), 200, "", ""},
		{"negative value", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":-3.5,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q`, cust, meter, uniqueKey("n"))), 200, "", ""},
		{"trailing data after the object is ignored", ok("") + " trailing", 200, "", ""},
		{"malformed JSON", `{"customer_id":`, 500, "", ""},
		{"empty body", "", 500, "", ""},
		{"customer_id as a number", body(fmt.Sprintf(`"customer_id":%s,"meter_code":%q,"value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"k"`, cust, meter)), 500, "", ""},
		{"value as a string", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":"1","recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"k"`, cust, meter)), 500, "", ""},
		{"recorded_at not RFC 3339", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":"2026-01-02","idempotency_key":"k"`, cust, meter)), 500, "", ""},
		{"metadata not an object", ok(`,"metadata":[1]`), 500, "", ""},
		{"customer_id not a number", body(`"customer_id":"abc","meter_code":"api_calls","value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"k"`), 400, "customer", "invalid_customer"},
		{"customer_id zero", body(`"customer_id":"0","meter_code":"api_calls","value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"k"`), 400, "customer", "invalid_customer"},
		{"customer_id missing", body(`"meter_code":"api_calls","value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"k"`), 400, "customer", "invalid_customer"},
		{"meter_code blank", body(fmt.Sprintf(`"customer_id":%q,"meter_code":"  ","value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":"k"`, cust)), 400, "meter_code", "invalid_meter_code"},
		{"recorded_at missing", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":1,"idempotency_key":"k"`, cust, meter)), 400, "recorded_at", "invalid_recorded_at"},
		{"idempotency_key blank", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":" \t"`, cust, meter)), 400, "idempotency_key", "invalid_idempotency_key"},
		{"unknown customer", body(fmt.Sprintf(`"customer_id":"12345","meter_code":%q,"value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q`, meter, uniqueKey("u"))), 400, "subscription", "invalid_subscription"},
		{"other org's customer", body(fmt.Sprintf(`"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q`, h.fx.OtherCustomerID, meter, uniqueKey("o"))), 400, "subscription", "invalid_subscription"},
		{"unknown meter", body(fmt.Sprintf(`"customer_id":%q,"meter_code":"nope","value":1,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q`, cust, uniqueKey("m"))), 400, "meter", "invalid_meter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", "/api/usage", tc.body, h.key())
			switch tc.status {
			case 200:
				wantStatus(t, r, 200)
			case 500:
				wantEnvelope(t, r, 500, "internal_error", "", "")
			default:
				wantEnvelope(t, r, 400, "validation_error", tc.field, tc.code)
			}
		})
	}
}

func TestIngestResponseShape(t *testing.T) {
	h := start(t, Config{})
	key := uniqueKey("shape")
	body := fmt.Sprintf(`{"customer_id":" %s ","meter_code":" api_calls ","value":2.5,"recorded_at":"2026-01-02T03:04:05.123456789+07:00","idempotency_key":"  %s  ","metadata":{"k": "v"}}`, h.fx.CustomerID, key)
	r := h.do("POST", "/api/usage", body, h.key())
	wantStatus(t, r, 200)
	var ev map[string]any
	if err := json.Unmarshal(r.body, &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"org_id": h.fx.OrgID, "customer_id": h.fx.CustomerID, "meter_code": "api_calls", "value": 2.5,
		"recorded_at": "2026-01-02T03:04:05.123456789+07:00", "idempotency_key": key}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if _, ok := ev["id"].(string); !ok {
		t.Fatalf("id is not a string: %s", r.body)
	}
	if md, ok := ev["metadata"].(map[string]any); !ok || md["k"] != "v" {
		t.Fatalf("metadata %v", ev["metadata"])
	}
	for _, hidden := range []string{"subscription_id", "meter_id", "status", "created_at"} {
		if _, ok := ev[hidden]; ok {
			t.Errorf("field %s should be hidden", hidden)
		}
	}
	// The replay answers the stored record: same id, recorded_at as Postgres reads it back (µs, UTC).
	r2 := h.do("POST", "/api/usage", body, h.key())
	wantStatus(t, r2, 200)
	ev2 := r2.json(t)
	if ev2["id"] != ev["id"] || ev2["recorded_at"] != "2026-01-01T20:04:05.123456Z" {
		t.Fatalf("replay %s", r2.body)
	}
	// Without metadata the field is null.
	r3 := h.ingest(uniqueKey("nometa"))
	if m := r3.json(t); m["metadata"] != nil {
		t.Fatalf("metadata %v, want null", m["metadata"])
	}
}

func TestIngestIdempotencySequential(t *testing.T) {
	h := start(t, Config{})
	key := uniqueKey("seq")
	first := str(t, h.ingest(key).json(t)["id"])
	for i := 0; i < 10; i++ {
		if id := str(t, h.ingest(key).json(t)["id"]); id != first {
			t.Fatalf("retry %d got id %s, want %s", i, id, first)
		}
	}
	// The trimmed key is the identity; a changed payload still gets the original record, and the idempotency
	// lookup comes before the subscription and meter checks.
	changed := fmt.Sprintf(`{"customer_id":"999","meter_code":"nope","value":7,"recorded_at":"2030-01-01T00:00:00Z","idempotency_key":"  %s "}`, key)
	r := h.do("POST", "/api/usage", changed, h.key())
	wantStatus(t, r, 200)
	if m := r.json(t); m["id"] != first || m["meter_code"] != "api_calls" {
		t.Fatalf("changed payload answered %s", r.body)
	}
	// The key is per org: the other org's identical key makes its own record.
	other := h.do("POST", "/api/usage", usageBody(h.fx.OtherCustomerID, "api_calls", key), hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey})
	wantStatus(t, other, 200)
	if other.json(t)["id"] == first {
		t.Fatal("idempotency key shared across orgs")
	}
	if n := len(h.s.st.usage.records(h.fx.orgID, key)); n != 1 {
		t.Fatalf("%d records for the key, want 1", n)
	}
}

// concurrentIngest posts the same body from n goroutines released at once and returns the ids answered.
func concurrentIngest(t *testing.T, h *harness, n int, key string) (ids map[string]int, statuses map[int]int) {
	t.Helper()
	body := usageBody(h.fx.CustomerID, h.fx.MeterCode, key)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	ids, statuses = map[string]int{}, map[int]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := h.do("POST", "/api/usage", body, h.key())
			mu.Lock()
			defer mu.Unlock()
			statuses[r.status]++
			if r.status == 200 {
				var ev struct{ ID string }
				if err := json.Unmarshal(r.body, &ev); err == nil {
					ids[ev.ID]++
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	return ids, statuses
}

func TestIngestConcurrentDuplicates(t *testing.T) {
	h := start(t, Config{})
	key := uniqueKey("burst")
	ids, statuses := concurrentIngest(t, h, 200, key)
	if statuses[200] != 200 || len(ids) != 1 {
		t.Fatalf("statuses %v, ids %v: want 200 successes and exactly one id", statuses, ids)
	}
	if n := len(h.s.st.usage.records(h.fx.orgID, key)); n != 1 {
		t.Fatalf("%d records stored, want 1", n)
	}

	h.s.SetFaults(FaultIngestDuplicate)
	key = uniqueKey("burst-dup")
	ids, statuses = concurrentIngest(t, h, 200, key)
	if statuses[200] != 200 || len(ids) < 2 {
		t.Fatalf("ingest-duplicate: statuses %v, %d distinct ids: want more than one", statuses, len(ids))
	}
	if n := len(h.s.st.usage.records(h.fx.orgID, key)); n != 200 {
		t.Fatalf("ingest-duplicate stored %d records, want 200", n)
	}
	// A sequential retry also gets a new id under the fault.
	seq := uniqueKey("seq-dup")
	if a, b := h.ingest(seq).json(t)["id"], h.ingest(seq).json(t)["id"]; a == b {
		t.Fatal("ingest-duplicate: a retry got the same id")
	}
}

func TestIngestSharedIDFault(t *testing.T) {
	h := start(t, Config{})
	seen := map[any]bool{}
	for i := 0; i < 20; i++ {
		seen[h.ingest(uniqueKey("distinct")).json(t)["id"]] = true
	}
	if len(seen) != 20 {
		t.Fatalf("healthy: %d distinct ids for 20 events", len(seen))
	}
	h.s.SetFaults(FaultIngestSharedID)
	seen = map[any]bool{}
	for i := 0; i < 20; i++ {
		seen[h.ingest(uniqueKey("shared")).json(t)["id"]] = true
	}
	if len(seen) != 1 {
		t.Fatalf("ingest-shared-id: %d distinct ids for 20 events, want them all shared", len(seen))
	}
	// Idempotency still holds under this fault.
	key := uniqueKey("same")
	if a, b := h.ingest(key).json(t)["id"], h.ingest(key).json(t)["id"]; a != b {
		t.Fatal("replay changed id under ingest-shared-id")
	}
}

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

// TestIngestEchoFault: ingest-echo answers value+1, on the first answer and on replays, and changes nothing else:
// the stored record keeps the value sent, and the rest of the answer is what a healthy server says.
func TestIngestEchoFault(t *testing.T) {
	for _, rateLimit := range []bool{false, true} {
		h := start(t, Config{Customers: 2, RateLimit: rateLimit})
		post := func(key string, value float64) resp {
			return h.do("POST", "/api/usage", fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":%v,"recorded_at":"2026-01-02T03:04:05.678Z","idempotency_key":%q}`,
				h.fx.CustomerID, h.fx.MeterCode, value, key), h.key())
		}
		stored := func(key string) float64 {
			recs := h.s.st.usage.records(h.fx.orgID, key)
			if len(recs) != 1 {
				t.Fatalf("limiter %v: %d records for %s", rateLimit, len(recs), key)
			}
			return recs[0].Value
		}
		key := uniqueKey("echo")
		first := post(key, 2.5).json(t)
		healthyReplay := post(key, 2.5).json(t)
		if first["value"] != 2.5 || healthyReplay["value"] != 2.5 {
			t.Fatalf("limiter %v: healthy answers %v %v", rateLimit, first, healthyReplay)
		}

		h.s.SetFaults(FaultIngestEcho)
		replay := post(key, 2.5).json(t)
		if replay["value"] != 3.5 || stored(key) != 2.5 {
			t.Fatalf("limiter %v: replay says %v (stored %v), want 3.5 said and 2.5 stored", rateLimit, replay["value"], stored(key))
		}
		delete(replay, "value")
		delete(healthyReplay, "value")
		if !reflect.DeepEqual(replay, healthyReplay) {
			t.Fatalf("limiter %v: ingest-echo changed more than the value:\n%v\n%v", rateLimit, replay, healthyReplay)
		}
		for _, v := range []float64{-1, 0, 7, 1e300} {
			k := uniqueKey("echo-new")
			r := post(k, v)
			wantStatus(t, r, 200)
			got := r.json(t)
			want := v + 1
			if v == 1e300 {
				want = math.Nextafter(v, 0) // +1 would not change it
			}
			if got["value"] != want || stored(k) != v || got["idempotency_key"] != k || got["customer_id"] != h.fx.CustomerID ||
				got["meter_code"] != h.fx.MeterCode || got["recorded_at"] != "2026-01-02T03:04:05.678Z" {
				t.Fatalf("limiter %v: value %v answered %v (stored %v)", rateLimit, v, got, stored(k))
			}
		}
		// Refusals are not answers that echo anything: unchanged.
		wantEnvelope(t, h.do("POST", "/api/usage", usageBody(h.fx.CustomerID, "nope", uniqueKey("x")), h.key()), 400, "validation_error", "meter", "invalid_meter")

		h.s.SetFaults()
		if r := post(key, 2.5).json(t); r["value"] != 2.5 {
			t.Fatalf("limiter %v: healthy again, replay says %v", rateLimit, r["value"])
		}
	}
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
