package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// testArgon2Memory keeps the fixture's password hashing cheap under the race detector.
const testArgon2Memory = 1024

// harness is a stand-in served on a free loopback port, with a client that does not follow redirects.
type harness struct {
	t    testing.TB
	s    *Server
	base string
	hc   *http.Client
	fx   Fixture
}

func start(t testing.TB, cfg Config) *harness {
	t.Helper()
	if cfg.Argon2Memory == 0 {
		cfg.Argon2Memory = testArgon2Memory
	}
	if cfg.Customers == 0 {
		cfg.Customers = 40
	}
	if cfg.RollupInterval == 0 {
		cfg.RollupInterval = time.Hour // tests tick the rollup themselves (rollupOnce, settle)
	}
	if cfg.SnapshotInterval == 0 {
		cfg.SnapshotInterval = time.Hour // and the snapshot and billing jobs (snapshotOnce, billingOnce)
	}
	if cfg.BillingInterval == 0 {
		cfg.BillingInterval = time.Hour
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 5 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &harness{t: t, s: s, base: base, fx: s.Fixture(), hc: &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type hdr map[string]string

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (status %d): %v: %s", r.status, err, r.body)
	}
	return m
}

func (h *harness) do(method, path, body string, headers hdr) resp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// key is the headers of an /api call with the fixture's key.
func (h *harness) key() hdr {
	return hdr{"Authorization": "Bearer " + h.fx.APIKey, "Content-Type": "application/json"}
}

// admin is the headers of an /admin call with the fixture's session on org Main.
func (h *harness) admin() hdr {
	return hdr{"Cookie": "_sid=" + h.fx.AdminSession, "X-Org-Id": h.fx.OrgID, "Content-Type": "application/json"}
}

var keySeq atomic.Int64

func uniqueKey(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), keySeq.Add(1))
}

func usageBody(customerID, meter, key string) string {
	return fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":"2026-01-02T03:04:05.678Z","idempotency_key":%q}`, customerID, meter, key)
}

func (h *harness) ingest(key string) resp {
	h.t.Helper()
	return h.do("POST", "/api/usage", usageBody(h.fx.CustomerID, h.fx.MeterCode, key), h.key())
}

// wantStatus fails unless r has the status.
func wantStatus(t testing.TB, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
}

// wantEnvelope checks Valora's error envelope: status, type and, for validation errors, the first field and code.
func wantEnvelope(t testing.TB, r resp, status int, typ, field, code string) {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON", ct)
	}
	var env struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			Errors  []struct {
				Field, Code, Message string
			} `json:"errors"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("not an envelope: %v: %s", err, r.body)
	}
	if env.Error.Type != typ {
		t.Fatalf("error type %q, want %q; body: %s", env.Error.Type, typ, r.body)
	}
	if field == "" {
		if len(env.Error.Errors) != 0 {
			t.Fatalf("unexpected errors list: %s", r.body)
		}
		return
	}
	if len(env.Error.Errors) != 1 || env.Error.Errors[0].Field != field || env.Error.Errors[0].Code != code {
		t.Fatalf("errors %+v, want field %q code %q", env.Error.Errors, field, code)
	}
}

func str(t testing.TB, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v (%T) is not a string", v, v)
	}
	return s
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

func mustID(t *testing.T, s string) valoraid.ID {
	t.Helper()
	id, err := valoraid.ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
