package standin

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAndSetFaultsIgnoresUnknown(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Customers != 120 || s.cfg.SlowDelay != 600*time.Millisecond || s.cfg.ErrorRate != 0.1 ||
		s.cfg.RollupInterval != time.Minute || s.cfg.MaxBodyBytes != 0 || s.cfg.ReadHeaderTimeout != 10*time.Second ||
		s.cfg.IdleTimeout != 2*time.Minute || s.cfg.RateLimit {
		t.Fatalf("defaults: %+v", s.cfg)
	}
	if env := s.Fixture().Env("http://x"); env["VALORA_ROLLUP_INTERVAL"] != "1m" {
		t.Fatalf("VALORA_ROLLUP_INTERVAL %q, want 1m (Valora's tick)", env["VALORA_ROLLUP_INTERVAL"])
	}
	if s.Fixture().Customers != 121 {
		t.Fatalf("fixture customers %d", s.Fixture().Customers)
	}
	s.SetFaults(FaultSlow, "bogus")
	if got := s.ActiveFaults(); len(got) != 1 || got[0] != FaultSlow {
		t.Fatalf("ActiveFaults %v", got)
	}
	// Close before Start is fine; so is Start after a failed Start.
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStartAndClose(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 1})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start("127.0.0.1:0"); err == nil {
		t.Fatal("second Start succeeded")
	}
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Transport: &http.Transport{}}).Get(base + "/health"); err == nil {
		t.Fatal("server still answers after Close")
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := New(Config{Argon2Memory: testArgon2Memory}); err != nil {
		t.Fatal(err)
	}
	s2, _ := New(Config{Argon2Memory: testArgon2Memory, Customers: 1})
	if _, err := s2.Start("256.0.0.1:99999"); err == nil {
		t.Fatal("Start on a bad address succeeded")
	}
}

// TestHandlerWithoutListener: the same handler serves tests that skip the network.
func TestHandlerWithoutListener(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	req, _ := http.NewRequest("GET", "/api/customers?page_size=1", nil)
	req.Header.Set("Authorization", "Bearer "+s.Fixture().APIKey)
	s.Handler().ServeHTTP(rec, req)
	if rec.code != 200 {
		t.Fatalf("status %d: %s", rec.code, rec.body)
	}
}

// TestMaxBodyBytes: with a cap, every route (the unauthenticated webhook route too) answers a larger body with 413
// and the envelope, whether the body announces its length or is chunked; bodies within the cap are served as usual.
func TestMaxBodyBytes(t *testing.T) {
	h := start(t, Config{Customers: 2, MaxBodyBytes: 512})
	big := `{"pad":"` + strings.Repeat("x", 600) + `"}`
	for _, tc := range []struct {
		name, path string
		headers    hdr
	}{
		{"webhook, no auth", "/api/payments/webhooks/stripe", hdr{"Content-Type": "application/json"}},
		{"usage with a key", "/api/usage", h.key()},
		{"usage without a key", "/api/usage", nil},
		{"admin", "/admin/customers", h.admin()},
		{"login", "/auth/login", nil},
		{"unknown route", "/nowhere", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", tc.path, big, tc.headers)
			wantEnvelope(t, r, 413, "payload_too_large", "", "")
			if r.header.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id on the 413")
			}
		})
	}
	// A chunked body has no Content-Length: it is counted as it is read.
	req, _ := http.NewRequest("POST", h.base+"/api/payments/webhooks/stripe", io.MultiReader(strings.NewReader(big[:300]), strings.NewReader(big[300:])))
	req.ContentLength = -1
	res, err := h.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("chunked body over the cap: %d", res.StatusCode)
	}

	// Within the cap nothing changes: the body reaches the handler whole.
	wantStatus(t, h.ingest(uniqueKey("capped")), 200)
	payload := stripeEvent(t, "charge.succeeded", "evt_capped", h.fx.CustomerID, 10)
	if len(payload) > 512 {
		t.Fatalf("test event is %d bytes", len(payload))
	}
	wantStatus(t, h.postStripe(payload, h.fx.WebhookSecret), 200)
	exact := `{"customer_id":"1","pad":"` + strings.Repeat("y", 512-len(`{"customer_id":"1","pad":""}`)) + `"}`
	if len(exact) != 512 {
		t.Fatalf("exact body is %d bytes", len(exact))
	}
	wantEnvelope(t, h.do("POST", "/api/customers", exact, h.key()), 400, "validation_error", "name", "invalid_name")

	// Off by default, as in Valora: a large body reaches the handler.
	d := start(t, Config{Customers: 2})
	huge := strings.Repeat(" ", 2<<20) + "nope"
	wantEnvelope(t, d.do("POST", "/api/payments/webhooks/stripe", huge, nil), 400, "validation_error", "payload", "invalid_payload")
}

// TestReadHeaderTimeout: a client that trickles its request headers is disconnected once ReadHeaderTimeout has
// passed, instead of holding the connection forever.
func TestReadHeaderTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := start(t, Config{Customers: 1, ReadHeaderTimeout: timeout})
	if h.s.httpSrv.ReadHeaderTimeout != timeout || h.s.httpSrv.IdleTimeout != 2*time.Minute {
		t.Fatalf("server timeouts: header %v, idle %v", h.s.httpSrv.ReadHeaderTimeout, h.s.httpSrv.IdleTimeout)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t0 := time.Now()
	if _, err := io.WriteString(conn, "GET /health HTTP/1.1\r\nHost: standin\r\nX-Trickle: "); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := bufio.NewReader(conn).ReadByte()
	elapsed := time.Since(t0)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v of trickled headers", elapsed)
	}
	if err == nil {
		t.Fatalf("server answered (%q) a request whose headers never ended", n)
	}
	if elapsed < timeout-50*time.Millisecond || elapsed > timeout+2*time.Second {
		t.Fatalf("disconnected after %v, want about %v", elapsed, timeout)
	}

	// A client that sends its headers in time is served.
	wantStatus(t, h.do("GET", "/health", "", nil), 200)
}

// TestPanicIsRecoveredLikeGin: a panic in a handler is a 500 with an empty body, and the server keeps serving.
func TestPanicIsRecoveredLikeGin(t *testing.T) {
	h := start(t, Config{Customers: 1})
	h.s.ingestHook = func() { panic("boom") }
	r := h.ingest("panic")
	if r.status != 500 || len(r.body) != 0 || r.header.Get("X-Request-Id") == "" {
		t.Fatalf("panic answered %d %q", r.status, r.body)
	}
	h.s.ingestHook = nil
	wantStatus(t, h.ingest("after-panic"), 200)
}

func TestWildcardListenPrintsLoopback(t *testing.T) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 1})
	if err != nil {
		t.Fatal(err)
	}
	base, err := s.Start(":0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base %q", base)
	}
	res, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
