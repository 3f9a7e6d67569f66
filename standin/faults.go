package standin

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Fault names one deliberate defect. Each one breaks exactly one invariant the suite guards, so a run against a
// server with that fault switched on must fail in the scenario(s) listed for it.
type Fault string

const (
	FaultIngestDuplicate Fault = "ingest-duplicate" // a retried or concurrent usage event with a known key creates a second record (new id)
	FaultIngestSharedID  Fault = "ingest-shared-id" // distinct usage events are answered with ids another event already got
	FaultWebhookReplay   Fault = "webhook-replay"   // replayed/concurrent duplicate webhooks are processed again (each delivery queues its own billing event, so the balance changes once per delivery when the rollup applies them)
	FaultWebhookUnsigned Fault = "webhook-unsigned" // webhook signatures are not checked (any/missing/wrong signature accepted; the org is the first active config's). Stripe and Adyen only in practice: a real Braintree form never reaches its check, healthy or faulty, because every non-JSON body is refused with invalid_payload first, as in Valora
	FaultAPIKeyAny       Fault = "apikey-any"       // a wrong, malformed or missing API key is accepted (as the fixture org)
	FaultOrgHeader       Fault = "org-header"       // X-Org-Id / org_id / orgId on /api are honoured instead of refused
	FaultPageRepeat      Fault = "page-repeat"      // pagination repeats the last row of a page at the start of the next
	FaultPageDrop        Fault = "page-drop"        // pagination silently drops one row at each page boundary
	FaultSessionSkip     Fault = "session-skip"     // /admin accepts a missing or invalid _sid (as the fixture owner)
	FaultSlow            Fault = "slow"             // every response is delayed (Config.SlowDelay, default 600ms: past every latency threshold of the suite: 200/300/500 ms p95)
	FaultErrors5xx       Fault = "errors-5xx"       // a share (Config.ErrorRate, default 0.1) of requests fail with 500 + internal_error envelope
	FaultLimiterStrict   Fault = "limiter-strict"   // the usage limiter refuses far more than Valora would (e.g. buckets at 1/s burst 1 and the lock held 1s after each request)
)

// FaultInfo documents a fault: the invariant it breaks and the scenarios (by dist name) that must catch it.
type FaultInfo struct {
	Name      Fault
	Invariant string
	Scenarios []string
}

var faultTable = []FaultInfo{
	{FaultIngestDuplicate, "A usage event retried or sent concurrently with the same idempotency key is recorded once and every answer carries the same id.",
		[]string{"ingest_idempotency", "ingest_burst"}},
	{FaultIngestSharedID, "Distinct usage events (distinct idempotency keys) get distinct record ids.",
		[]string{"ingest_load"}},
	{FaultWebhookReplay, "A payment webhook delivered several times (in sequence or concurrently) changes the customer's balance exactly once.",
		[]string{"webhook_idempotency"}},
	{FaultWebhookUnsigned, "A webhook whose signature is missing or wrong is refused with 400 invalid_signature and changes nothing.",
		[]string{"webhook_idempotency"}},
	{FaultAPIKeyAny, "/api refuses a missing, malformed or unknown API key with 401.",
		[]string{"api_key_auth_perf"}},
	{FaultOrgHeader, "/api takes the org from the API key only: a request carrying X-Org-Id, org_id or orgId is refused with 401.",
		[]string{"api_key_auth_perf"}},
	{FaultPageRepeat, "Cursor pagination returns every customer exactly once: no row appears on two pages.",
		[]string{"pagination"}},
	{FaultPageDrop, "Cursor pagination returns every customer exactly once: walking the pages sees as many rows as one big page.",
		[]string{"pagination"}},
	{FaultSessionSkip, "/admin without a valid _sid cookie answers 302 to /login, never data.",
		[]string{"billing_dashboard", "pagination"}},
	{FaultSlow, "Responses stay within the suite's latency budgets (p95 200 ms auth, 300 ms ingest, 500 ms dashboard).",
		[]string{"ingest_load", "api_key_auth_perf", "billing_dashboard"}},
	{FaultErrors5xx, "The server does not fail requests with 5xx under normal load.",
		[]string{"ingest_load", "ingest_burst"}},
	{FaultLimiterStrict, "Ingest at the suite's rates is not throttled: 429s stay below the allowed rate and identical concurrent posts all succeed.",
		[]string{"ingest_load", "ingest_burst"}},
}

// Faults lists every fault, in a stable order.
func Faults() []FaultInfo {
	out := make([]FaultInfo, len(faultTable))
	for i, f := range faultTable {
		f.Scenarios = append([]string(nil), f.Scenarios...)
		out[i] = f
	}
	return out
}

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

var faultBits = func() map[Fault]uint32 {
	m := make(map[Fault]uint32, len(faultTable))
	for i, info := range faultTable {
		m[info.Name] = 1 << i
	}
	return m
}()

// faultBit maps a fault to its bit in a faultSet; 0 for an unknown name.
func faultBit(f Fault) uint32 { return faultBits[f] }

// faultSet is read on every request, so it is one atomic word rather than a map behind a lock.
type faultSet struct{ bits atomic.Uint32 }

func (fs *faultSet) set(faults []Fault) error {
	var bits uint32
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
		if bits&(1<<i) != 0 {
			out = append(out, info.Name)
		}
	}
	return out
}
