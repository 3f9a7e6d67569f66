package standin

import (
	"strings"
	"testing"
)

func TestRoutingBasics(t *testing.T) {
	h := start(t, Config{})

	r := h.do("GET", "/health", "", nil)
	wantStatus(t, r, 200)
	if string(r.body) != `{"status":"ok"}` {
		t.Fatalf("health body %s", r.body)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Fatal("no X-Request-Id on /health")
	}
	r = h.do("GET", "/health", "", hdr{"X-Request-Id": "abc-123"})
	if got := r.header.Get("X-Request-Id"); got != "abc-123" {
		t.Fatalf("X-Request-Id %q, want the caller's", got)
	}
	if a, b := h.do("GET", "/health", "", nil).header.Get("X-Request-Id"), h.do("GET", "/health", "", nil).header.Get("X-Request-Id"); a == b {
		t.Fatalf("request ids repeat: %s", a)
	}

	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/unknown"},
		{"GET", "/api/usage"}, // wrong method: gin's NoRoute, not 405
		{"DELETE", "/api/customers"},
		{"GET", "/admin/unknown"},
		{"GET", "/"},
		{"GET", "/dev/billing/x"},
	} {
		r := h.do(tc.method, tc.path, "", nil)
		if r.status != 404 || string(r.body) != "404 page not found\n" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s %s: %d %q %q, want the plain-text 404", tc.method, tc.path, r.status, r.header.Get("Content-Type"), r.body)
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tc.method, tc.path)
		}
	}

	// gin's trailing-slash redirect: 301 for GET, 307 otherwise, query kept.
	r = h.do("GET", "/api/customers/?page_size=1", "", nil)
	if r.status != 301 || r.header.Get("Location") != "/api/customers?page_size=1" {
		t.Fatalf("GET with trailing slash: %d %q", r.status, r.header.Get("Location"))
	}
	r = h.do("POST", "/api/usage/", "{}", nil)
	if r.status != 307 || r.header.Get("Location") != "/api/usage" {
		t.Fatalf("POST with trailing slash: %d %q", r.status, r.header.Get("Location"))
	}

	r = h.do("GET", "/metrics", "", nil)
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), "go_goroutines") {
		t.Fatalf("metrics: %s", r.body)
	}
}
