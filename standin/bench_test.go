package standin

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// benchRequest reuses one request, rewinding its body, so the benchmark measures the server, not the client.
type benchRequest struct {
	req  *http.Request
	body *strings.Reader
}

func newBenchRequest(method, path, body, apiKey string) *benchRequest {
	br := &benchRequest{body: strings.NewReader(body)}
	br.req, _ = http.NewRequest(method, path, br.body)
	br.req.Header.Set("Authorization", "Bearer "+apiKey)
	br.req.Header.Set("Content-Type", "application/json")
	return br
}

func (br *benchRequest) rewind(body string) *http.Request {
	br.body.Reset(body)
	br.req.Body = io.NopCloser(br.body)
	return br.req
}

func benchServer(b *testing.B) (*Server, Fixture) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 120})
	if err != nil {
		b.Fatal(err)
	}
	return s, s.Fixture()
}

// BenchmarkIngestNew is the ingest_load path: API-key check, decode, validation, a fresh record, the response.
func BenchmarkIngestNew(b *testing.B) {
	s, fx := benchServer(b)
	prefix := `{"customer_id":"` + fx.CustomerID + `","meter_code":"api_calls","value":1,"recorded_at":"2026-01-02T03:04:05.678Z","idempotency_key":"bench-`
	br := newBenchRequest("POST", "/api/usage", "", fx.APIKey)
	rec := newRecorder()
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		rec.reset()
		h.ServeHTTP(rec, br.rewind(prefix+strconv.Itoa(i)+`"}`))
		if rec.code != 200 {
			b.Fatalf("status %d: %s", rec.code, rec.body)
		}
	}
}

// BenchmarkIngestReplay is the ingest_idempotency and ingest_burst path: a known key answered from the store.
func BenchmarkIngestReplay(b *testing.B) {
	s, fx := benchServer(b)
	body := usageBody(fx.CustomerID, "api_calls", "bench-replay")
	br := newBenchRequest("POST", "/api/usage", body, fx.APIKey)
	rec := newRecorder()
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		rec.reset()
		h.ServeHTTP(rec, br.rewind(body))
		if rec.code != 200 {
			b.Fatalf("status %d: %s", rec.code, rec.body)
		}
	}
}

// BenchmarkIngestParallel runs the replay path from all Ps at once, to show lock contention if there is any.
func BenchmarkIngestParallel(b *testing.B) {
	s, fx := benchServer(b)
	h := s.Handler()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rec := newRecorder()
		body := usageBody(fx.CustomerID, "api_calls", uniqueKey("par"))
		br := newBenchRequest("POST", "/api/usage", body, fx.APIKey)
		for pb.Next() {
			rec.reset()
			h.ServeHTTP(rec, br.rewind(body))
		}
	})
}

// BenchmarkAPIKeyCheck is the API-key middleware alone: header parsing, SHA-256, lookup.
func BenchmarkAPIKeyCheck(b *testing.B) {
	s, fx := benchServer(b)
	var org int64
	h := s.withAPIKey(func(w http.ResponseWriter, r *http.Request, rc reqCtx) { org = int64(rc.orgID) })
	req, _ := http.NewRequest("GET", "/api/customers?page_size=1", nil)
	req.Header.Set("Authorization", "Bearer "+fx.APIKey)
	rec := newRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h(rec, req, reqCtx{})
	}
	if org == 0 {
		b.Fatal("key not accepted")
	}
}

// BenchmarkAPIKeyAuthPerf is api_key_auth_perf's request through Handler(): GET /api/customers?page_size=1.
func BenchmarkAPIKeyAuthPerf(b *testing.B) {
	s, fx := benchServer(b)
	req, _ := http.NewRequest("GET", "/api/customers?page_size=1", nil)
	req.Header.Set("Authorization", "Bearer "+fx.APIKey)
	rec := newRecorder()
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		rec.reset()
		h.ServeHTTP(rec, req)
		if rec.code != 200 {
			b.Fatalf("status %d", rec.code)
		}
	}
}
