package standin

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	"github.com/valora-k6/valora-k6/valoraid"
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

// records returns every record stored under the key (tests use it to count).
func (us *usageStore) records(org valoraid.ID, key string) []*usageEvent {
	k := usageKey{org, key}
	sh := us.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return append([]*usageEvent(nil), sh.byKey[k]...)
}
