package standin

import (
	"strings"
	"testing"
)

func TestAdminPaymentProviders(t *testing.T) {
	h := start(t, Config{Customers: 2})
	r := h.do("POST", "/admin/payment-providers", `{"provider":" Midtrans ","config":{"server_key":" sk ","empty":"","nil":null}}`, h.admin())
	wantStatus(t, r, 200)
	if string(r.body) != `{"config":{"provider":"midtrans","is_active":true,"configured":true}}` {
		t.Fatalf("upsert %s", r.body)
	}
	wantEnvelope(t, h.do("POST", "/admin/payment-providers", `{"provider":"paypal","config":{"a":"b"}}`, h.admin()), 400, "validation_error", "provider", "invalid_provider")
	wantEnvelope(t, h.do("POST", "/admin/payment-providers", `{"provider":"stripe","config":{"webhook_secret":"  "}}`, h.admin()), 400, "validation_error", "config", "invalid_config")
	wantEnvelope(t, h.do("POST", "/admin/payment-providers", `[]`, h.admin()), 400, "validation_error", "request", "invalid_request")

	// PATCH keeps is_active across later upserts.
	wantStatus(t, h.do("PATCH", "/admin/payment-providers/midtrans", `{"is_active":false}`, h.admin()), 200)
	if r := h.do("POST", "/admin/payment-providers", `{"provider":"midtrans","config":{"server_key":"new"}}`, h.admin()); !strings.Contains(string(r.body), `"is_active":false`) {
		t.Fatalf("upsert after deactivation %s", r.body)
	}
	wantEnvelope(t, h.do("PATCH", "/admin/payment-providers/xendit", `{"is_active":true}`, h.admin()), 404, "not_found", "", "")
	wantEnvelope(t, h.do("PATCH", "/admin/payment-providers/midtrans", `{}`, h.admin()), 400, "validation_error", "is_active", "invalid_is_active")
	if r := h.do("GET", "/admin/payment-providers", "", h.admin()); !strings.Contains(string(r.body), `"provider":"stripe"`) {
		t.Fatalf("list %s", r.body)
	}
	if r := h.do("GET", "/admin/payment-providers/catalog", "", h.admin()); !strings.Contains(string(r.body), `"provider":"braintree"`) {
		t.Fatalf("catalog %s", r.body)
	}
}

// TestProviderConfigIgnoredFault: provider-config-ignored answers POST /admin/payment-providers exactly as a
// healthy server would, after the same validation, but stores nothing: an earlier config stays in force.
func TestProviderConfigIgnoredFault(t *testing.T) {
	h := start(t, Config{Customers: 2})
	post := func(body string) resp { return h.do("POST", "/admin/payment-providers", body, h.admin()) }
	listed := func() string { return string(h.do("GET", "/admin/payment-providers", "", h.admin()).body) }
	ev := stripeEvent(t, "charge.succeeded", "evt_cfg", h.fx.CustomerID, 10)
	before := listed()

	h.s.SetFaults(FaultProviderConfigIgnored)
	r := post(`{"provider":"stripe","config":{"webhook_secret":"whsec_new"}}`)
	if r.status != 200 || string(r.body) != `{"config":{"provider":"stripe","is_active":true,"configured":true}}` {
		t.Fatalf("upsert: %d %s", r.status, r.body)
	}
	wantEnvelope(t, h.postStripe(ev, "whsec_new"), 400, "validation_error", "signature", "invalid_signature")
	wantStatus(t, h.postStripe(ev, h.fx.WebhookSecret), 200) // the earlier secret is still the one in force
	// A provider never configured is answered as a new active config, and is not there.
	if r := post(`{"provider":"xendit","config":{"secret_key":"x"}}`); string(r.body) != `{"config":{"provider":"xendit","is_active":true,"configured":true}}` {
		t.Fatalf("new provider: %s", r.body)
	}
	// An inactive config is answered with its is_active, as the upsert would keep it.
	wantStatus(t, h.do("PATCH", "/admin/payment-providers/braintree", `{"is_active":false}`, h.admin()), 200)
	if r := post(`{"provider":"braintree","config":{"private_key":"p"}}`); !strings.Contains(string(r.body), `"is_active":false`) {
		t.Fatalf("inactive provider: %s", r.body)
	}
	wantStatus(t, h.do("PATCH", "/admin/payment-providers/braintree", `{"is_active":true}`, h.admin()), 200)
	if after := listed(); after != before {
		t.Fatalf("configs changed under provider-config-ignored:\n%s\n%s", before, after)
	}
	// Validation is unchanged.
	wantEnvelope(t, post(`{"provider":"paypal","config":{"a":"b"}}`), 400, "validation_error", "provider", "invalid_provider")
	wantEnvelope(t, post(`{"provider":"stripe","config":{"webhook_secret":" "}}`), 400, "validation_error", "config", "invalid_config")
	wantEnvelope(t, post(`[]`), 400, "validation_error", "request", "invalid_request")

	// Healthy: the new secret is stored and the old one stops verifying (contract 9).
	h.s.SetFaults()
	wantStatus(t, post(`{"provider":"stripe","config":{"webhook_secret":"whsec_new"}}`), 200)
	ev2 := stripeEvent(t, "charge.succeeded", "evt_cfg2", h.fx.CustomerID, 10)
	wantEnvelope(t, h.postStripe(ev2, h.fx.WebhookSecret), 400, "validation_error", "signature", "invalid_signature")
	wantStatus(t, h.postStripe(ev2, "whsec_new"), 200)
	if after := listed(); !strings.Contains(after, `"provider":"stripe"`) || strings.Contains(after, `"xendit"`) {
		t.Fatalf("list %s: xendit was answered under the fault and must never have been stored", after)
	}
}
