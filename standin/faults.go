package standin

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
)

// Fault names one deliberate defect. Each one breaks exactly one invariant the suite guards, so a run against a
// server with that fault switched on must fail. Which scenarios must catch a fault, and exactly which invariants or
// thresholds each must trip, is bound in one place: the suite's catalogue (each scenario descriptor's catches in
// scenarios/suite/, collected by the build into dist/catalog.json), whose fault names an end-to-end test checks
// against these.
type Fault string

const (
	FaultIngestDuplicate         Fault = "ingest-duplicate"          // a retried or concurrent usage event with a known key creates a second record (new id)
	FaultIngestSharedID          Fault = "ingest-shared-id"          // distinct usage events are answered with ids another event already got
	FaultIngestEcho              Fault = "ingest-echo"               // every 200 answer of POST /api/usage says value+1; the stored record keeps the value sent
	FaultLimiterStrict           Fault = "limiter-strict"            // the usage limiter refuses far more than Valora would (e.g. buckets at 1/s burst 1 and the lock held 1s after each request)
	FaultLimiterNoRetryAfter     Fault = "limiter-no-retry-after"    // the usage limiter is on (as with Config.RateLimit) but its 429s carry no Retry-After
	FaultWebhookReplay           Fault = "webhook-replay"            // replayed/concurrent duplicate webhooks are processed again (each delivery queues its own billing event, so the balance changes once per delivery when the rollup applies them)
	FaultWebhookUnsigned         Fault = "webhook-unsigned"          // webhook signatures are not checked (any/missing/wrong signature accepted; the org is the first active config's). Stripe and Adyen only in practice: a real Braintree form never reaches its check, healthy or faulty, because every non-JSON body is refused with invalid_payload first, as in Valora
	FaultWebhookDuplicateRefused Fault = "webhook-duplicate-refused" // a delivery whose provider event id is already stored is answered 409 conflict instead of 200, and changes nothing
	FaultAPIKeyAny               Fault = "apikey-any"                // a wrong, malformed or missing API key is accepted (as the fixture org)
	FaultOrgHeader               Fault = "org-header"                // X-Org-Id / org_id / orgId on /api are honoured instead of refused
	FaultSessionSkip             Fault = "session-skip"              // /admin accepts a missing or invalid _sid (as the fixture owner)
	FaultDashboardShape          Fault = "dashboard-shape"           // dashboard rows carry payment_status "paid" and cycle periods as YYYY-MM-DD; balances unchanged
	FaultPageRepeat              Fault = "page-repeat"               // pagination repeats the last row of a page at the start of the next
	FaultPageDrop                Fault = "page-drop"                 // pagination silently drops one row at each page boundary
	FaultPageShape               Fault = "page-shape"                // customer list pages carry has_more as a JSON string ("true"/"false")
	FaultPageOrder               Fault = "page-order"                // each page holds its usual rows reversed (created_at ASC, id ASC); tokens unchanged
	FaultPageTokenStuck          Fault = "page-token-stuck"          // every page's next_page_token is the one the first page returned, so a walk never gets past page 2
	FaultProviderConfigIgnored   Fault = "provider-config-ignored"   // POST /admin/payment-providers answers 200 with the usual body but stores nothing
	FaultActivationIgnored       Fault = "activation-ignored"        // POST …/subscriptions/:id/activate answers 204 but the subscription keeps its status (DRAFT stays DRAFT)
	FaultTenantRead              Fault = "tenant-read"               // /api reads by id (customers, subscriptions, meters, invoices) ignore the key's org, and the meter list shows every org's meters
	FaultTenantUsage             Fault = "tenant-usage"              // POST /api/usage for another org's customer is answered 200 and recorded in that customer's org
	FaultTenantOrgSwitch         Fault = "tenant-org-switch"         // /admin's X-Org-Id switches a session to an org its user is not a member of (the choice sticks), acting there with the user's role in its own org
	FaultTenantWebhook           Fault = "tenant-webhook"            // a payment webhook is booked to the org of the customer it names, whichever org's secret verified it, so another org's balance moves
	FaultRoleIgnored             Fault = "role-ignored"              // /admin's role gate admits every member of the org, whatever its role (a MEMBER reads billing routes)
	FaultRatingDouble            Fault = "rating-double"             // rating counts one retried or concurrently duplicated usage event twice (its record is still stored once)
	FaultInvoiceTwice            Fault = "invoice-twice"             // the invoice job issues two finalized invoices for one billing cycle
	FaultRatingWindow            Fault = "rating-window"             // rating counts the subscription's enriched usage recorded outside the cycle's [period_start, period_end) window
	FaultRatingAmount            Fault = "rating-amount"             // rating rounds a line's amount as floor(qty × unit − 0.5) instead of floor(qty × unit + 0.5): a whole amount comes out a cent short
	FaultSlow                    Fault = "slow"                      // every response is delayed (Config.SlowDelay, default 600ms: past every latency threshold of the suite: 200/300/500 ms p95)
	FaultErrors5xx               Fault = "errors-5xx"                // every N-th request, N = round(1/Config.ErrorRate) (default every 10th), fails with 500 + internal_error envelope
	FaultRailzwayIngestScope     Fault = "railzway-ingest-scope"     // (Railzway only) the scope table of an unmodified Railzway 4ff8772: POST /api/usage requires a scope no key can hold, so every key gets 403 forbidden
)

// FaultInfo documents a fault: its name, the invariant it breaks, as one sentence saying what must hold, and the
// flavours it applies to (nil: both).
type FaultInfo struct {
	Name      Fault
	Invariant string
	Flavors   []Flavor
}

// AppliesTo reports whether the fault means something in a stand-in of that flavour.
func (f FaultInfo) AppliesTo(fl Flavor) bool {
	if len(f.Flavors) == 0 {
		return true
	}
	for _, x := range f.Flavors {
		if x == fl {
			return true
		}
	}
	return false
}

var faultTable = []FaultInfo{
	{Name: FaultIngestDuplicate, Invariant: "A usage event retried or sent concurrently with the same idempotency key is recorded once and every answer carries the same id."},
	{Name: FaultIngestSharedID, Invariant: "Distinct usage events (distinct idempotency keys) get distinct record ids."},
	{Name: FaultIngestEcho, Invariant: "Every accepted usage event's answer says back what was sent: customer, meter, value, idempotency key and recorded_at."},
	{Name: FaultLimiterStrict, Invariant: "Ingest at the suite's rates is not throttled: 429s stay below the allowed rate and identical concurrent posts all succeed."},
	{Name: FaultLimiterNoRetryAfter, Invariant: "Every 429 from the usage limiter carries Retry-After, so a client knows when to come back."},
	{Name: FaultWebhookReplay, Invariant: "A payment webhook delivered several times (in sequence or concurrently) changes the customer's balance exactly once."},
	{Name: FaultWebhookUnsigned, Invariant: "A webhook whose signature is missing or wrong is refused with 400 invalid_signature and changes nothing."},
	{Name: FaultWebhookDuplicateRefused, Invariant: "A payment webhook delivered again, in sequence or concurrently with its first delivery, is answered 200 like the first."},
	{Name: FaultAPIKeyAny, Invariant: "/api refuses a missing, malformed or unknown API key with 401."},
	{Name: FaultOrgHeader, Invariant: "/api takes the org from the API key only: a request carrying X-Org-Id, org_id or orgId is refused with 401."},
	{Name: FaultSessionSkip, Invariant: "/admin without a valid _sid cookie answers 302 to /login, never data."},
	{Name: FaultDashboardShape, Invariant: "The billing dashboard has the documented shape: payment_status is due, credit or settled, and a cycle's period is YYYY-MM."},
	{Name: FaultPageRepeat, Invariant: "Cursor pagination returns every customer exactly once: no row appears on two pages."},
	{Name: FaultPageDrop, Invariant: "Cursor pagination returns every customer exactly once: walking the pages sees as many rows as one big page."},
	{Name: FaultPageShape, Invariant: "Every customer list page has the documented shape: has_more is a JSON boolean."},
	{Name: FaultPageOrder, Invariant: "Customer list pages hold their rows in created_at DESC, id DESC order, within and across pages."},
	{Name: FaultPageTokenStuck, Invariant: "Every next_page_token that comes with has_more is new, so following the tokens reaches the last page."},
	{Name: FaultProviderConfigIgnored, Invariant: "A payment provider config posted to /admin/payment-providers is stored: a webhook signed with its new secret is accepted.", Flavors: []Flavor{FlavorValora}}, // Railzway does not route it
	{Name: FaultActivationIgnored, Invariant: "An activated subscription is ACTIVE: usage for its customer is accepted."},
	{Name: FaultTenantRead, Invariant: "An org's API key never reads another org's data: another org's customer, subscription, meter or invoice id is 404, and no list shows another org's rows."},
	{Name: FaultTenantUsage, Invariant: "An org's API key cannot write usage into another org: a usage event for another org's customer is refused and recorded nowhere."},
	{Name: FaultTenantOrgSwitch, Invariant: "An /admin session sending X-Org-Id of an org its user is not a member of gets 403, and its active org does not change."},
	{Name: FaultTenantWebhook, Invariant: "A payment webhook never changes the balance another org's dashboard shows: an event signed with one org's secret moves only that org's balances."},
	{Name: FaultRoleIgnored, Invariant: "A role below a route's requirement is refused: a MEMBER gets 403 on the billing dashboard and the other OWNER/ADMIN/FINOPS routes."},
	{Name: FaultRatingDouble, Invariant: "A usage event retried, posted concurrently or sent with a whitespace-padded key is billed once: the invoiced quantity counts each stored event once."},
	{Name: FaultInvoiceTwice, Invariant: "A closed billing cycle gets exactly one invoice."},
	{Name: FaultRatingWindow, Invariant: "A billing cycle's invoice counts only the usage recorded inside its [period_start, period_end) window."},
	{Name: FaultRatingAmount, Invariant: "An invoice line's amount is its quantity × the unit price, rounded half up, and the subtotal is the sum of the lines."},
	{Name: FaultSlow, Invariant: "Responses stay within the suite's latency budgets (p95 200 ms auth, 300 ms ingest, 500 ms dashboard)."},
	{Name: FaultErrors5xx, Invariant: "The server does not fail requests with 5xx under normal load."},
	{Name: FaultRailzwayIngestScope, Invariant: "A key holding the usage:ingest scope can ingest usage (Railzway 4ff8772 maps no scope to it: its one-line scope-table fix makes this hold).", Flavors: []Flavor{FlavorRailzway}},
}

// Faults lists every fault, in a stable order.
func Faults() []FaultInfo { return append([]FaultInfo(nil), faultTable...) }

// ParseFaults reads a comma-separated list of fault names. Blank items are skipped; an unknown name is an error
// that lists the accepted names.
func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	for _, part := range strings.Split(s, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		if faultBit(Fault(name)) == 0 {
			return nil, fmt.Errorf("unknown fault %q (accepted: %s)", name, faultNames())
		}
		out = append(out, Fault(name))
	}
	return out, nil
}

func faultNames() string {
	names := make([]string, len(faultTable))
	for i, f := range faultTable {
		names[i] = string(f.Name)
	}
	return strings.Join(names, ", ")
}

// maxFaults is how many faults one faultSet word holds.
const maxFaults = 64

var faultBits = func() map[Fault]uint64 {
	if len(faultTable) > maxFaults {
		panic(fmt.Sprintf("standin: %d faults do not fit the %d bits of a faultSet", len(faultTable), maxFaults))
	}
	m := make(map[Fault]uint64, len(faultTable))
	for i, info := range faultTable {
		if _, dup := m[info.Name]; dup {
			panic("standin: fault " + string(info.Name) + " is in the table twice")
		}
		m[info.Name] = 1 << i
	}
	return m
}()

// faultBit maps a fault to its bit in a faultSet; 0 for an unknown name.
func faultBit(f Fault) uint64 { return faultBits[f] }

// faultSet is read on every request, so it is one atomic word rather than a map behind a lock.
type faultSet struct{ bits atomic.Uint64 }

func (fs *faultSet) set(faults []Fault) error {
	var bits uint64
	for _, f := range faults {
		b := faultBit(f)
		if b == 0 {
			return fmt.Errorf("unknown fault %q (accepted: %s)", f, faultNames())
		}
		bits |= b
	}
	fs.bits.Store(bits)
	return nil
}

func (fs *faultSet) has(f Fault) bool { return fs.bits.Load()&faultBit(f) != 0 }

func (fs *faultSet) list() []Fault {
	bits := fs.bits.Load()
	var out []Fault
	for i, info := range faultTable {
		if bits&(uint64(1)<<i) != 0 {
			out = append(out, info.Name)
		}
	}
	return out
}

// errorEvery is N for FaultErrors5xx: round(1/rate), at least 1 (and at most 2^62, for a vanishing rate).
func errorEvery(rate float64) uint64 {
	if rate <= 0 {
		rate = defaultErrorRate
	}
	return uint64(min(max(1, math.Round(1/rate)), 1<<62))
}

// failThisOne is FaultErrors5xx's choice: one atomic count over every request the fault sees (all but /health),
// and every errEvery-th fails, so that a test's expectation never depends on luck and a short run still fails.
func (s *Server) failThisOne() bool {
	return s.errSeq.Add(1)%s.errEvery == 0
}
