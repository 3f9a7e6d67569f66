package standin

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Fixture is the data a new Server is seeded with: everything a scenario needs to run against it.
type Fixture struct {
	OrgID, CustomerID, MeterCode, APIKey string
	AdminEmail, AdminPassword            string
	AdminSession                         string // a live _sid for the owner, as POST /auth/login would set it
	WebhookSecret                        string // Stripe endpoint secret of org Main, "whsec_…"
	AdyenHMACKey                         string // hex
	BraintreePublicKey                   string
	BraintreePrivateKey                  string

	OrgName     string
	APIKeyID    string // "key_<BASE36>"
	OwnerUserID string
	MeterID     string
	ProductID   string
	PriceID     string
	// PriceAmountID and SubscriptionID belong to the customer's ACTIVE subscription on the meter.
	PriceAmountID  string
	SubscriptionID string
	// InvoiceID is the customer's FINALIZED invoice for last month's cycle.
	InvoiceID string
	// Customers is how many customers org Main has: the k6 customer plus Config.Customers for pagination.
	Customers int

	// A second org (tenant B), to prove tenant separation: its own owner, API key, meter and customer with an
	// ACTIVE subscription on it, and its own Stripe webhook secret. OtherAPIKey and OtherWebhookSecret are secrets.
	OtherOrgID, OtherAPIKey, OtherCustomerID, OtherOwnerEmail string
	OtherMeterCode, OtherWebhookSecret                        string
	OtherSubscriptionID, OtherMeterID, OtherInvoiceID         string
	// MemberEmail is a second user of org Main with role MEMBER only, as an invite would add one. The second
	// users' passwords (OtherOwnerPassword is org Other's owner's) are secrets.
	MemberEmail, MemberPassword, OtherOwnerPassword string

	// RollupInterval is how often the server's rollup applies pending billing events to the balances: a
	// delivered payment shows on the dashboard up to one interval later (more when over 50 are pending).
	RollupInterval time.Duration

	orgID, ownerID valoraid.ID
}

// Env returns the environment variables a scenario reads, for a server at baseURL. SecretEnvKeys says which of
// them are secrets.
func (f Fixture) Env(baseURL string) map[string]string {
	return map[string]string{
		"BASE_URL":              baseURL,
		"API_KEY":               f.APIKey,
		"ORG_ID":                f.OrgID,
		"CUSTOMER_ID":           f.CustomerID,
		"METER_CODE":            f.MeterCode,
		"ADMIN_EMAIL":           f.AdminEmail,
		"ADMIN_PASSWORD":        f.AdminPassword,
		"ADMIN_SESSION":         f.AdminSession,
		"PAYMENT_PROVIDER":      "stripe",
		"WEBHOOK_SECRET":        f.WebhookSecret,
		"ADYEN_HMAC_KEY":        f.AdyenHMACKey,
		"BRAINTREE_PUBLIC_KEY":  f.BraintreePublicKey,
		"BRAINTREE_PRIVATE_KEY": f.BraintreePrivateKey,
		// How long the balance takes to move after a payment, as a k6 duration ("1m", "2s").
		"VALORA_ROLLUP_INTERVAL": k6Duration(f.RollupInterval),
		// Tenant B, for tenant-isolation checks.
		"TENANT_B_API_KEY":         f.OtherAPIKey,
		"TENANT_B_ORG_ID":          f.OtherOrgID,
		"TENANT_B_CUSTOMER_ID":     f.OtherCustomerID,
		"TENANT_B_METER_CODE":      f.OtherMeterCode,
		"TENANT_B_WEBHOOK_SECRET":  f.OtherWebhookSecret,
		"TENANT_B_SUBSCRIPTION_ID": f.OtherSubscriptionID,
		"TENANT_B_METER_ID":        f.OtherMeterID,
		"TENANT_B_INVOICE_ID":      f.OtherInvoiceID,
		"TENANT_B_ADMIN_EMAIL":     f.OtherOwnerEmail,
		"TENANT_B_ADMIN_PASSWORD":  f.OtherOwnerPassword,
		"TENANT_MEMBER_EMAIL":      f.MemberEmail,
		"TENANT_MEMBER_PASSWORD":   f.MemberPassword,
	}
}

// EnvKeys lists the keys of Env in a stable order.
func EnvKeys() []string {
	return []string{"BASE_URL", "API_KEY", "ORG_ID", "CUSTOMER_ID", "METER_CODE", "ADMIN_EMAIL", "ADMIN_PASSWORD",
		"ADMIN_SESSION", "PAYMENT_PROVIDER", "WEBHOOK_SECRET", "ADYEN_HMAC_KEY", "BRAINTREE_PUBLIC_KEY", "BRAINTREE_PRIVATE_KEY",
		"VALORA_ROLLUP_INTERVAL",
		"TENANT_B_API_KEY", "TENANT_B_ORG_ID", "TENANT_B_CUSTOMER_ID", "TENANT_B_METER_CODE", "TENANT_B_WEBHOOK_SECRET",
		"TENANT_B_SUBSCRIPTION_ID", "TENANT_B_METER_ID", "TENANT_B_INVOICE_ID", "TENANT_B_ADMIN_EMAIL",
		"TENANT_B_ADMIN_PASSWORD", "TENANT_MEMBER_EMAIL", "TENANT_MEMBER_PASSWORD"}
}

// SecretEnvKeys lists the keys of Env whose values are secrets (keys, passwords, sessions, signing secrets): they
// belong in logs and reports only redacted.
func SecretEnvKeys() []string {
	return []string{"API_KEY", "ADMIN_PASSWORD", "ADMIN_SESSION", "WEBHOOK_SECRET", "ADYEN_HMAC_KEY", "BRAINTREE_PRIVATE_KEY",
		"TENANT_B_API_KEY", "TENANT_B_WEBHOOK_SECRET", "TENANT_B_ADMIN_PASSWORD", "TENANT_MEMBER_PASSWORD"}
}

// seededBase is the fixture clock's start when Config.Seed is set, so that ids and timestamps repeat too.
var seededBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtureClock is a settable clock for the fixture's id generator: every row gets the id of the time it claims
// to have been created at.
type fixtureClock struct{ t time.Time }

func (c *fixtureClock) now() time.Time { return c.t }

// buildFixture seeds the state directly (no HTTP), like Valora's seeder plus the provisioning of contract 8.4.
func (s *Server) buildFixture() error {
	cfg := s.cfg
	var rnd io.Reader = s.rand
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Duration(cfg.Customers+60) * time.Second)
	if cfg.Seed != 0 {
		rnd = rand.NewChaCha8(sha256.Sum256([]byte("valora-standin:" + strconv.FormatInt(cfg.Seed, 10))))
		base = seededBase
	}
	clock := &fixtureClock{t: base}
	gen, err := valoraid.NewGenerator(1, clock.now)
	if err != nil {
		return err
	}
	next := func() valoraid.ID {
		id := gen.Next()
		clock.t = clock.t.Add(time.Millisecond)
		return id
	}
	webhookSecret := func() (string, error) { // Stripe's form: whsec_ and 24 random bytes
		b, err := randomBytes(rnd, 24)
		return "whsec_" + base64.RawURLEncoding.EncodeToString(b), err
	}

	hash, err := hashPassword(cfg.AdminPassword, cfg.Argon2Memory, rnd)
	if err != nil {
		return err
	}
	st := s.st
	f := &s.fixture
	f.AdminEmail, f.AdminPassword, f.MeterCode, f.OrgName = strings.ToLower(cfg.AdminEmail), cfg.AdminPassword, "api_calls", "Main"
	f.RollupInterval = cfg.RollupInterval

	// Org Main with its owner, as seed.EnsureMainOrgAndAdmin makes them.
	mainOrg := &org{ID: next(), Name: "Main", Slug: "main", CreatedAt: clock.t}
	owner := &user{ID: next(), Email: f.AdminEmail, DisplayName: "Railzway Admin", PasswordHash: hash, IsDefault: true, CreatedAt: clock.t}
	otherOrg := &org{ID: next(), Name: "Other", Slug: "other", CreatedAt: clock.t}
	otherOwner := &user{ID: next(), Email: "owner@other.example", DisplayName: "Other Owner", PasswordHash: hash, CreatedAt: clock.t}
	// The second users' passwords are their own: one shared with the owner would be redacted wherever the
	// owner's is not configured (the owner's "admin" is a common word).
	if f.OtherOwnerPassword, err = randomHex(rnd, 8); err != nil {
		return err
	}
	if f.MemberPassword, err = randomHex(rnd, 8); err != nil {
		return err
	}
	otherHash, err := hashPassword(f.OtherOwnerPassword, cfg.Argon2Memory, rnd)
	if err != nil {
		return err
	}
	memberHash, err := hashPassword(f.MemberPassword, cfg.Argon2Memory, rnd)
	if err != nil {
		return err
	}
	otherOwner.PasswordHash = otherHash
	member := &user{ID: next(), Email: "member@main.example", DisplayName: "Main Member", PasswordHash: memberHash, CreatedAt: clock.t}
	changed := clock.t
	otherOwner.LastPasswordChanged = &changed
	member.LastPasswordChanged = &changed
	for _, o := range []*org{mainOrg, otherOrg} {
		st.orgs[o.ID] = o
	}
	for _, u := range []*user{owner, otherOwner, member} {
		st.users[u.ID] = u
		st.usersByEmail[u.Email] = u
	}
	st.members[mainOrg.ID] = map[valoraid.ID]string{owner.ID: roleOwner, member.ID: roleMember}
	f.MemberEmail = member.Email
	st.members[otherOrg.ID] = map[valoraid.ID]string{otherOwner.ID: roleOwner}
	f.orgID, f.ownerID = mainOrg.ID, owner.ID
	f.OrgID, f.OwnerUserID = mainOrg.ID.String(), owner.ID.String()
	f.OtherOrgID, f.OtherOwnerEmail = otherOrg.ID.String(), otherOwner.Email

	// API keys. Railzway checks a scope on every /api route: its fixture keys hold them all, as a key created with
	// every scope GET /admin/api-keys/scopes lists.
	scopes := []string{"usage:ingest"}
	if s.fl.scopes {
		scopes = s.scopesOf()
	}
	mainKey, plain, err := s.mintAPIKey(mainOrg.ID, "k6", scopes, next(), rnd, clock.t)
	if err != nil {
		return err
	}
	f.APIKey, f.APIKeyID = plain, mainKey.KeyID
	if _, f.OtherAPIKey, err = s.mintAPIKey(otherOrg.ID, "other", scopes, next(), rnd, clock.t); err != nil {
		return err
	}

	// Catalogue and an ACTIVE subscription for one customer per org. Pagination customers come first, each in its
	// own second: Valora's cursor compares created_at and id strictly, so rows sharing the cursor row's second
	// would be skipped by a real Valora too.
	for i := 1; i <= cfg.Customers; i++ {
		t := base.Add(time.Duration(i) * time.Second)
		clock.t = t
		c := &customer{ID: next(), OrgID: mainOrg.ID, Name: fmt.Sprintf("page-%05d", i),
			Email: fmt.Sprintf("page-%05d@example.com", i), CreatedAt: t, UpdatedAt: t}
		st.insertCustomer(c)
	}
	clock.t = base.Add(time.Duration(cfg.Customers+1) * time.Second)
	mainSetup := s.seedBilling(mainOrg.ID, "k6", "k6@example.com", next, clock)
	f.CustomerID, f.MeterID, f.ProductID = mainSetup.customer.String(), mainSetup.meter.String(), mainSetup.product.String()
	f.PriceID, f.PriceAmountID, f.SubscriptionID = mainSetup.price.String(), mainSetup.amount.String(), mainSetup.subscription.String()
	f.InvoiceID = mainSetup.invoice.String()
	f.Customers = cfg.Customers + 1
	clock.t = clock.t.Add(time.Second)
	otherSetup := s.seedBilling(otherOrg.ID, "other-k6", "other-k6@example.com", next, clock)
	f.OtherCustomerID, f.OtherMeterCode = otherSetup.customer.String(), otherSetup.meterCode
	f.OtherSubscriptionID, f.OtherMeterID, f.OtherInvoiceID = otherSetup.subscription.String(), otherSetup.meter.String(), otherSetup.invoice.String()

	// Payment provider configs of org Main: one per provider with an adapter.
	if f.WebhookSecret, err = webhookSecret(); err != nil {
		return err
	}
	adyen, err := randomHex(rnd, 32)
	if err != nil {
		return err
	}
	f.AdyenHMACKey = strings.ToUpper(adyen)
	if f.BraintreePublicKey, err = randomHex(rnd, 8); err != nil {
		return err
	}
	if f.BraintreePrivateKey, err = randomHex(rnd, 16); err != nil {
		return err
	}
	for _, pc := range []struct {
		provider string
		cfg      map[string]any
	}{
		{"stripe", map[string]any{"webhook_secret": f.WebhookSecret}},
		{"adyen", map[string]any{"hmac_key": f.AdyenHMACKey}},
		{"braintree", map[string]any{"private_key": f.BraintreePrivateKey, "public_key": f.BraintreePublicKey}},
	} {
		st.providerConfigs = append(st.providerConfigs, &providerConfig{ID: next(), OrgID: mainOrg.ID,
			Provider: pc.provider, Config: pc.cfg, Active: true, CreatedAt: clock.t, UpdatedAt: clock.t})
	}
	// Org Other's own Stripe secret, configured after Main's: a webhook tries Main's config first, then Other's.
	if f.OtherWebhookSecret, err = webhookSecret(); err != nil {
		return err
	}
	st.providerConfigs = append(st.providerConfigs, &providerConfig{ID: next(), OrgID: otherOrg.ID, Provider: "stripe",
		Config: map[string]any{"webhook_secret": f.OtherWebhookSecret}, Active: true, CreatedAt: clock.t, UpdatedAt: clock.t})

	// Two pagination customers with a balance, so the dashboard shows every payment status.
	if list := st.customersByOrg[mainOrg.ID]; cfg.Customers >= 2 {
		st.balances[orgCustomer{mainOrg.ID, list[0].ID}] = &balance{Amount: 5000, Currency: "USD"}
		st.balances[orgCustomer{mainOrg.ID, list[1].ID}] = &balance{Amount: -1200, Currency: "USD"}
	}

	// Billing cycle stats: last month closed, this month without revenue yet, one older month outside the window.
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	st.cycles[mainOrg.ID] = []cycleStat{
		{PeriodStart: month.AddDate(0, -2, 0), TotalRevenue: 980000, InvoiceCount: 37, Status: "FINALIZED"},
		{PeriodStart: month.AddDate(0, -1, 0), TotalRevenue: 1250000, InvoiceCount: 42, Status: "FINALIZED"},
		{PeriodStart: month, Status: "OPEN"},
	}

	// A ready session for the owner, minted as login would (no active org; X-Org-Id selects it).
	token, err := newSessionToken(rnd)
	if err != nil {
		return err
	}
	st.sessions.add(sha256.Sum256([]byte(token)), &session{
		ID: next(), UserID: owner.ID, OrgIDs: st.orgIDsOf(owner.ID),
		ExpiresAt: time.Now().UTC().Add(sessionTTL), LastSeenAt: time.Now().UTC(),
	})
	f.AdminSession = token
	return nil
}

type billingSetup struct {
	customer, meter, product, price, amount, subscription, invoice valoraid.ID
	meterCode                                                      string
}

// seedBilling creates meter api_calls, a product with a PER_UNIT metered monthly price and its USD amount, and a
// customer with an ACTIVE subscription on it, and that customer's FINALIZED invoice for last month's cycle
// (1,200 calls at 1 cent).
func (s *Server) seedBilling(orgID valoraid.ID, name, email string, next func() valoraid.ID, clock *fixtureClock) billingSetup {
	st := s.st
	t := clock.t
	sum, unit := "SUM", "API_CALL"
	m := &meter{ID: next(), OrgID: orgID, Code: "api_calls", Name: "API calls", Aggregation: "SUM", Unit: "call", Active: true, CreatedAt: t, UpdatedAt: t}
	p := &product{ID: next(), OrgID: orgID, Code: "k6-prod", Name: "K6 product", Active: true, CreatedAt: t, UpdatedAt: t}
	pr := &price{ID: next(), OrgID: orgID, ProductID: p.ID, Code: "k6-per-unit", Name: "K6 per unit", PricingModel: "PER_UNIT",
		BillingMode: "METERED", BillingInterval: "MONTH", BillingIntervalCount: 1, AggregateUsage: &sum, BillingUnit: &unit,
		TaxBehavior: "EXCLUSIVE", Version: 1, Active: true, CreatedAt: t, UpdatedAt: t}
	a := &priceAmount{ID: next(), OrgID: orgID, PriceID: pr.ID, MeterID: m.ID, Currency: "USD", UnitAmountCents: 1,
		EffectiveFrom: t.Truncate(time.Minute), CreatedAt: t, UpdatedAt: t}
	c := &customer{ID: next(), OrgID: orgID, Name: name, Email: email, CreatedAt: t, UpdatedAt: t}
	activated := t
	sub := &subscription{ID: next(), OrgID: orgID, CustomerID: c.ID, Status: "ACTIVE", CollectionMode: "SEND_INVOICE",
		BillingCycleType: "monthly", StartAt: t, ActivatedAt: &activated, CreatedAt: t, UpdatedAt: t,
		Items: []subscriptionItem{{ID: next(), PriceID: pr.ID, PriceCode: pr.Code, MeterID: m.ID, MeterCode: m.Code, Quantity: 1, BillingMode: "METERED"}}}
	st.meters[m.ID] = m
	st.metersByCode[orgCode{orgID, m.Code}] = m
	st.products[p.ID] = p
	st.productCodes[orgCode{orgID, p.Code}] = struct{}{}
	st.prices[pr.ID] = pr
	st.priceCodes[orgCode{orgID, pr.Code}] = struct{}{}
	st.priceAmounts[a.ID] = a
	st.insertCustomer(c)
	if s.fl.entitlements {
		// Railzway: the product's metered feature on the meter, attached before activation.
		ft := &feature{ID: next(), OrgID: orgID, Code: "api_calls", Name: "API calls", FeatureType: "metered", MeterID: m.ID,
			Active: true, CreatedAt: t, UpdatedAt: t}
		st.features[ft.ID] = ft
		st.featureCodes[orgCode{orgID, ft.Code}] = struct{}{}
		st.productFeatures[p.ID] = []valoraid.ID{ft.ID}
		sub.EntitledMeters = []valoraid.ID{m.ID}
	}
	st.subscriptions[sub.ID] = sub
	st.activeSub[orgCustomer{orgID, c.ID}] = sub.ID

	month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	issued, due := t, t.AddDate(0, 0, 30)
	inv := &invoice{ID: next(), OrgID: orgID, BillingCycleID: next(), SubscriptionID: sub.ID, CustomerID: c.ID,
		Status: "FINALIZED", SubtotalAmount: 1200, TotalAmount: 1200, Currency: "USD",
		PeriodStart: month.AddDate(0, -1, 0), PeriodEnd: month, IssuedAt: &issued, DueAt: &due, FinalizedAt: &issued,
		CreatedAt: t, UpdatedAt: t}
	inv.Items = []invoiceItem{{ID: next(), RatingResultID: next(), Description: "Usage", Quantity: 1200, UnitPrice: 1,
		Amount: 1200, CreatedAt: t}}
	st.insertInvoice(inv)
	return billingSetup{customer: c.ID, meter: m.ID, product: p.ID, price: pr.ID, amount: a.ID, subscription: sub.ID,
		invoice: inv.ID, meterCode: m.Code}
}

// k6Duration writes d (whole milliseconds) as a k6 duration string: "1m", "2s", "1m30s", "1s500ms".
func k6Duration(d time.Duration) string {
	d = d.Round(time.Millisecond)
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
