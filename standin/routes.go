package standin

import (
	"fmt"
	"net/http"
	"runtime"
)

// buildRoutes registers what Valora's RegisterRoutes registers for the routes the suite touches, with the same
// middleware order. Anything else falls through to the text 404.
//
// The provisioning routes (contract 8.4: meters, products, prices, price amounts, subscriptions) are served under
// /api with a key and under /admin with a session. Every create answers 200 {"data": …}; validation follows
// Valora's services closely enough that provisioning code written against the stand-in works against a real
// Valora.
func (s *Server) buildRoutes() router {
	var rt router
	const (
		get, post, patch = http.MethodGet, http.MethodPost, http.MethodPatch
	)
	owner, admin, finops := roleOwner, roleAdmin, roleFinOps

	rt.handle(get, "/health", func(w http.ResponseWriter, r *http.Request, _ reqCtx) {
		writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
	})
	rt.handle(get, "/metrics", s.metrics)

	// auth
	rt.handle(post, "/auth/login", s.login)
	rt.handle(post, "/auth/logout", s.logout)
	rt.handle(get, "/auth/me", s.me)
	rt.handle(get, "/auth/user/orgs", s.withSession(s.listUserOrgs))
	rt.handle(post, "/auth/user/using/:orgId", s.withSession(s.useOrg))
	rt.handle(post, "/auth/user/orgs", s.withSession(s.createOrg))
	rt.handle(post, "/auth/user/orgs/:id/invites", s.withSession(s.inviteMembers))
	rt.handle(get, "/auth/invites/:id", s.getInvite)
	rt.handle(post, "/auth/invites/:id/complete", s.completeInvite)

	// api: every route but the webhook behind APIKeyRequired; the scope is what Railzway requires of the key.
	key := s.withAPIKeyScope
	rt.handle(post, "/api/usage", key(scopeUsageIngest, s.withCapacity(s.withUsageLimiter(s.ingestUsage))))
	if s.fl.usageRead {
		rt.handle(get, "/api/usage", key("usage:view", s.listUsage))
	}
	rt.handle(get, "/api/customers", key("customer:view", s.listCustomers))
	rt.handle(post, "/api/customers", key("customer:create", s.createCustomer))
	rt.handle(get, "/api/customers/:id", key("customer:view", s.getCustomer))
	rt.handle(get, "/api/meters", key("meter:view", s.listMeters))
	rt.handle(post, "/api/meters", key("meter:create", s.createMeter))
	rt.handle(get, "/api/meters/:id", key("meter:view", s.getMeter))
	rt.handle(post, "/api/products", key("product:create", s.createProduct))
	rt.handle(post, "/api/prices", key("price:create", s.createPrice))
	rt.handle(post, "/api/price_amounts", key("price:create", s.createPriceAmount))
	rt.handle(post, "/api/subscriptions", key("subscription:create", s.createSubscription))
	rt.handle(get, "/api/subscriptions", key("subscription:view", s.listSubscriptions))
	rt.handle(get, "/api/subscriptions/:id", key("subscription:view", s.getSubscription))
	rt.handle(post, "/api/subscriptions/:id/activate", key("subscription:activate", s.activateSubscription))
	rt.handle(get, "/api/invoices", key("invoice:view", s.listInvoices))
	rt.handle(get, "/api/invoices/:id", key("invoice:view", s.getInvoice))
	if s.fl.featureRoutes {
		rt.handle(get, "/api/features", key("feature:view", s.listFeatures))
		rt.handle(post, "/api/features", key("feature:create", s.createFeature))
		rt.handle(http.MethodPut, "/api/products/:id/features", key("product:update", s.replaceProductFeatures))
	}
	rt.handle(post, "/api/payments/webhooks/:provider", s.paymentWebhook)

	// admin: WebAuthRequired → OrgContext → RequireRole
	rt.handle(get, "/admin/customers", s.admin(s.listCustomers, owner, admin, finops))
	rt.handle(post, "/admin/customers", s.admin(s.createCustomer, owner, admin))
	rt.handle(get, "/admin/customers/:id", s.admin(s.getCustomer, owner, admin, finops))
	rt.handle(get, "/admin/billing/customers", s.admin(s.billingCustomers, owner, admin, finops))
	rt.handle(get, "/admin/billing/cycles", s.admin(s.billingCycles, owner, admin, finops))
	rt.handle(get, "/admin/api-keys", s.admin(s.listAPIKeys, owner, admin))
	rt.handle(post, "/admin/api-keys", s.admin(s.createAPIKey, owner, admin))
	rt.handle(get, "/admin/api-keys/scopes", s.admin(s.listAPIKeyScopes, owner, admin))
	rt.handle(post, "/admin/api-keys/:key_id/revoke", s.admin(s.revokeAPIKey, owner))
	if s.fl.providerRoutes {
		rt.handle(get, "/admin/payment-providers", s.admin(s.listPaymentProviders, owner, admin))
		rt.handle(post, "/admin/payment-providers", s.admin(s.upsertPaymentProvider, owner, admin))
		rt.handle(get, "/admin/payment-providers/catalog", s.admin(s.paymentProviderCatalog, owner, admin))
		rt.handle(patch, "/admin/payment-providers/:provider", s.admin(s.setPaymentProviderActive, owner, admin))
	}
	rt.handle(get, "/admin/meters", s.admin(s.listMeters, owner, admin))
	rt.handle(post, "/admin/meters", s.admin(s.createMeter, owner, admin))
	rt.handle(get, "/admin/meters/:id", s.admin(s.getMeter, owner, admin))
	rt.handle(post, "/admin/products", s.admin(s.createProduct, owner, admin))
	rt.handle(post, "/admin/prices", s.admin(s.createPrice, owner, admin))
	rt.handle(post, "/admin/price_amounts", s.admin(s.createPriceAmount, owner, admin))
	rt.handle(post, "/admin/subscriptions", s.admin(s.createSubscription, owner, admin))
	rt.handle(get, "/admin/subscriptions", s.admin(s.listSubscriptions, owner, admin, finops))
	rt.handle(get, "/admin/subscriptions/:id", s.admin(s.getSubscription, owner, admin, finops))
	rt.handle(post, "/admin/subscriptions/:id/activate", s.admin(s.activateSubscription, owner, admin))
	rt.handle(get, "/admin/invoices", s.admin(s.listInvoices, owner, admin, finops))
	rt.handle(get, "/admin/invoices/:id", s.admin(s.getInvoice, owner, admin, finops))

	// Stand-in only (billing_seam.go): the billing pipeline's seam, which Valora does by SQL.
	rt.handle(get, "/standin/billing", s.withAPIKey(s.seamInfo))
	rt.handle(get, "/standin/billing/subscriptions/:id", s.withAPIKey(s.seamGet))
	rt.handle(post, "/standin/billing/subscriptions/:id/move", s.withAPIKey(s.seamMove))

	// UI: only the login page matters (a stale session lands there).
	rt.handle(get, "/login", s.loginPage)
	return rt
}

// metrics stands in for promhttp's default registry with a few Go runtime gauges in the text format.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ reqCtx) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintf(w, "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# HELP go_memstats_heap_alloc_bytes Number of heap bytes allocated and still in use.\n# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	fmt.Fprintf(w, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n", runtime.Version())
}
