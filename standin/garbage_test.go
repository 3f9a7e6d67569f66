package standin

import (
	"net/http"
	"strings"
	"testing"
)

// recorder is a minimal ResponseWriter for driving Handler() without a network.
type recorder struct {
	h    http.Header
	code int
	body []byte
}

func newRecorder() *recorder { return &recorder{h: http.Header{}} }

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	r.body = append(r.body, b...)
	return len(b), nil
}

func (r *recorder) reset() {
	clear(r.h)
	r.code = 0
	r.body = r.body[:0]
}

var garbageBodies = []string{
	"", "null", "true", "0", "-1", `""`, "[]", "{}", "{", "}", "[", `{"a":`, "\x00\xff\xfe", strings.Repeat("[", 10000),
	`{"customer_id":null,"meter_code":null,"value":null,"recorded_at":null,"idempotency_key":null,"metadata":null}`,
	`{"customer_id":"99999999999999999999","meter_code":"api_calls","value":1e308,"recorded_at":"9999-12-31T23:59:59Z","idempotency_key":"x"}`,
	`{"customer_id":"-1","meter_code":"\u0000","value":-0,"recorded_at":"0001-01-01T00:00:00Z","idempotency_key":"\ud800"}`,
	`{"provider":{"a":1},"config":[1,2],"name":["x"],"scopes":"x","email":{},"password":[]}`,
	`{"items":[null,{"price_id":{}}],"customer_id":"1","billing_cycle_type":"monthly","collection_mode":"SEND_INVOICE"}`,
	`{"notificationItems":[{"NotificationRequestItem":null}]}`,
	`{"id":"evt","type":"charge.dispute.created","data":{"object":"x"}}`,
	`{"id":"evt","type":"charge.succeeded","data":{"object":{"metadata":{"customer_id":true}}}}`,
	`"&bt_signature=a|b&bt_payload=%%%"`,
}

// TestNoPanicOnGarbage sends every garbage body to every route, with and without credentials: each request gets
// an answer, and a 500 is always Valora's envelope except where Valora itself answers 500 with an empty body.
func TestNoPanicOnGarbage(t *testing.T) {
	h := start(t, Config{Customers: 3})
	routes := []struct{ method, path string }{
		{"POST", "/api/usage"}, {"GET", "/api/customers?page_size=x&page_token=%ZZ"}, {"POST", "/api/customers"},
		{"GET", "/api/customers/%00"}, {"POST", "/api/meters"}, {"POST", "/api/products"}, {"POST", "/api/prices"},
		{"POST", "/api/price_amounts"}, {"POST", "/api/subscriptions"}, {"POST", "/api/subscriptions/x/activate"},
		{"POST", "/api/payments/webhooks/stripe"}, {"POST", "/api/payments/webhooks/adyen"}, {"POST", "/api/payments/webhooks/braintree"},
		{"POST", "/auth/login"}, {"POST", "/auth/logout"}, {"GET", "/auth/me"}, {"POST", "/auth/user/using/x"},
		{"GET", "/admin/customers?page_token=e30%3D"}, {"POST", "/admin/customers"}, {"POST", "/admin/api-keys"},
		{"POST", "/admin/payment-providers"}, {"PATCH", "/admin/payment-providers/stripe"}, {"POST", "/admin/subscriptions"},
		{"GET", "/admin/billing/customers"}, {"GET", "/admin/billing/cycles"},
	}
	creds := []hdr{nil, {"Authorization": "Bearer " + h.fx.APIKey, "Cookie": "_sid=" + h.fx.AdminSession, "X-Org-Id": h.fx.OrgID},
		{"Authorization": "Bearer a b", "Cookie": "_sid=%%; other=1", "X-Org-Id": "-0"}}
	for _, rt := range routes {
		for _, body := range garbageBodies {
			for ci, c := range creds {
				if ci == 1 && strings.HasPrefix(rt.path, "/api/") {
					c = hdr{"Authorization": c["Authorization"]} // an org hint would only earn a 401
				}
				r := h.do(rt.method, rt.path, body, c)
				if r.status == 500 && !strings.Contains(string(r.body), `"internal_error"`) && rt.path != "/api/subscriptions" && rt.path != "/admin/subscriptions" {
					t.Errorf("%s %s %q: 500 without the envelope: %q", rt.method, rt.path, body, r.body)
				}
				if r.status == 0 || r.header.Get("X-Request-Id") == "" {
					t.Errorf("%s %s %q: no proper response", rt.method, rt.path, body)
				}
			}
		}
	}
	wantStatus(t, h.do("GET", "/health", "", nil), 200)
}

// FuzzIngest drives POST /api/usage through Handler(): no input may panic, and a 200 is always a usage record.
func FuzzIngest(f *testing.F) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 1})
	if err != nil {
		f.Fatal(err)
	}
	fx := s.Fixture()
	f.Add(usageBody(fx.CustomerID, fx.MeterCode, "seed"))
	for _, b := range garbageBodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := newRecorder()
		req, _ := http.NewRequest("POST", "/api/usage", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+fx.APIKey)
		s.Handler().ServeHTTP(rec, req)
		switch rec.code {
		case 200:
			if !strings.HasPrefix(string(rec.body), `{"id":"`) {
				t.Fatalf("200 with %q", rec.body)
			}
		case 400, 500:
			if !strings.HasPrefix(string(rec.body), `{"error":{"type":"`) {
				t.Fatalf("%d with %q", rec.code, rec.body)
			}
		default:
			t.Fatalf("status %d for %q", rec.code, body)
		}
	})
}

// FuzzCustomersQuery: no query string may panic the customers list.
func FuzzCustomersQuery(f *testing.F) {
	s, err := New(Config{Argon2Memory: testArgon2Memory, Customers: 5})
	if err != nil {
		f.Fatal(err)
	}
	key := s.Fixture().APIKey
	for _, q := range []string{"page_size=2", "page_size=-1&page_token=e30=", "page_token=eyJpZCI6IjEiLCJjcmVhdGVkX2F0IjoiMjAyNi0wMS0wMSJ9", "created_from=2026-01-01&created_to=x"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		rec := newRecorder()
		req, err := http.NewRequest("GET", "/api/customers?"+q, nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+key)
		s.Handler().ServeHTTP(rec, req)
		if rec.code != 200 && rec.code != 400 && rec.code != 401 && rec.code != 500 {
			t.Fatalf("status %d for %q", rec.code, q)
		}
	})
}
