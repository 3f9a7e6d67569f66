package standin

import (
	"container/heap"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// From usage to invoice, as Valora does it (docs/valora-source.md 4): ingest stores events as "accepted"; the
// usage snapshot worker, every SnapshotInterval (2 s in Valora), enriches the 50 oldest by recorded_at with the
// subscription and meter they belong to; the scheduler, every BillingInterval (1 min in Valora), ensures an OPEN
// billing cycle per ACTIVE subscription, closes the cycles whose period_end has passed, rates them (PER_UNIT:
// quantity = the sum of the enriched values recorded in [start, end), amount = floor(qty × unit_amount_cents +
// 0.5)), closes the rated ones and issues and finalises one invoice per cycle. Each step leaves a cycle where
// it was when it fails (a zero total, no price amount), as Valora's do.
//
// Where the stand-in is simpler than Valora: a cycle is rated at the price amount in effect at the window's
// start (Valora splits the window where price amounts change), there are no entitlements, taxes, ledger entries
// or templates, and an invoice does not move the dashboard balance.

// snapshotBatch is Valora's snapshot BatchSize: accepted events enriched per snapshot run.
const snapshotBatch = 50

// Usage event statuses written by the snapshot (usage_events.status).
const (
	usageEnriched              = "enriched"
	usageUnmatchedMeter        = "unmatched_meter"
	usageUnmatchedSubscription = "unmatched_subscription"
)

// Billing cycle statuses (billing_cycles.status).
const (
	cycleOpen    = "OPEN"
	cycleClosing = "CLOSING"
	cycleClosed  = "CLOSED"
)

// enrichedEvent is a usage event the snapshot matched to a subscription; meterID is 0 when the subscription has
// no item on the event's meter (Valora writes meter_id NULL then, and rating never counts it).
type enrichedEvent struct {
	ev      *usageEvent
	meterID valoraid.ID
}

type ratingResult struct {
	ID        valoraid.ID
	MeterID   valoraid.ID
	PriceID   valoraid.ID
	Quantity  float64
	UnitPrice int64
	Amount    int64
	Currency  string
	Start     time.Time
	End       time.Time
}

type billingCycle struct {
	ID             valoraid.ID
	OrgID          valoraid.ID
	SubscriptionID valoraid.ID
	PeriodStart    time.Time
	PeriodEnd      time.Time
	Status         string
	RatedAt        *time.Time
	ClosedAt       *time.Time
	InvoicedAt     *time.Time
	LastError      string
	ratings        []ratingResult
}

// acceptedHeap orders accepted events by recorded_at, oldest first (Valora's LockAccepted ORDER BY recorded_at).
type acceptedHeap []*usageEvent

func (h acceptedHeap) Len() int { return len(h) }
func (h acceptedHeap) Less(i, j int) bool {
	if !h[i].RecordedAt.Equal(h[j].RecordedAt) {
		return h[i].RecordedAt.Before(h[j].RecordedAt)
	}
	return h[i].ID < h[j].ID
}
func (h acceptedHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *acceptedHeap) Push(x any)   { *h = append(*h, x.(*usageEvent)) }
func (h *acceptedHeap) Pop() any {
	old := *h
	ev := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return ev
}

// pipeline is the snapshot's and the scheduler's state. Lock order: pipeline.mu before st.mu, never the other
// way; a usage shard's lock is taken alone.
type pipeline struct {
	mu        sync.Mutex
	accepted  acceptedHeap
	backlog   map[orgCustomer]int // accepted events per (org, customer), for the seam
	enriched  map[valoraid.ID][]enrichedEvent
	unmatched map[string]int64 // events per unmatched status
	cycles    map[valoraid.ID]*billingCycle
	bySub     map[valoraid.ID][]*billingCycle // creation order
	snapshots int64
	ticks     int64
}

func (p *pipeline) init() {
	p.backlog = map[orgCustomer]int{}
	p.enriched = map[valoraid.ID][]enrichedEvent{}
	p.unmatched = map[string]int64{}
	p.cycles = map[valoraid.ID]*billingCycle{}
	p.bySub = map[valoraid.ID][]*billingCycle{}
}

// collectAccepted moves what ingest appended to the shards' accepted lists into the heap. The caller holds p.mu.
func (s *Server) collectAccepted() {
	p := &s.pipe
	for i := range s.st.usage.shards {
		sh := &s.st.usage.shards[i]
		sh.mu.Lock()
		list := sh.accepted
		sh.accepted = nil
		sh.mu.Unlock()
		for _, ev := range list {
			heap.Push(&p.accepted, ev)
			p.backlog[orgCustomer{ev.OrgID, ev.CustomerID}]++
		}
	}
}

// snapshotOnce is one run of the usage snapshot worker: the snapshotBatch oldest accepted events (by recorded_at)
// are enriched or marked unmatched. It returns how many it processed.
func (s *Server) snapshotOnce() int {
	p := &s.pipe
	p.mu.Lock()
	defer p.mu.Unlock()
	s.collectAccepted()
	n := min(snapshotBatch, p.accepted.Len())
	s.st.mu.RLock()
	for range n {
		ev := heap.Pop(&p.accepted).(*usageEvent)
		key := orgCustomer{ev.OrgID, ev.CustomerID}
		if p.backlog[key]--; p.backlog[key] <= 0 {
			delete(p.backlog, key)
		}
		status, subID, meterID := s.st.matchUsage(ev)
		if status != usageEnriched {
			p.unmatched[status]++
			continue
		}
		p.enriched[subID] = append(p.enriched[subID], enrichedEvent{ev: ev, meterID: meterID})
	}
	s.st.mu.RUnlock()
	p.snapshots++
	return n
}

// matchUsage is the snapshot's buildSnapshot: the meter by (org, code), then the customer's subscription that is
// not DRAFT and had started at recorded_at (the latest start wins), then its item on that meter. The caller
// holds st.mu.
func (st *state) matchUsage(ev *usageEvent) (status string, subID, meterID valoraid.ID) {
	m := st.metersByCode[orgCode{ev.OrgID, ev.MeterCode}]
	if m == nil {
		return usageUnmatchedMeter, 0, 0
	}
	var best *subscription
	for _, sub := range st.subscriptions {
		if sub.OrgID != ev.OrgID || sub.CustomerID != ev.CustomerID || sub.Status == "DRAFT" || sub.StartAt.After(ev.RecordedAt) {
			continue
		}
		if best == nil || sub.StartAt.After(best.StartAt) || sub.StartAt.Equal(best.StartAt) && sub.CreatedAt.After(best.CreatedAt) {
			best = sub
		}
	}
	if best == nil {
		return usageUnmatchedSubscription, 0, 0
	}
	for _, it := range best.Items {
		if it.MeterID == m.ID {
			return usageEnriched, best.ID, m.ID
		}
	}
	return usageEnriched, best.ID, 0
}

// nextPeriodEnd is the end of a cycle that starts at start, for a billing_cycle_type.
func nextPeriodEnd(start time.Time, cycleType string) time.Time {
	switch cycleType {
	case "weekly":
		return start.AddDate(0, 0, 7)
	case "daily":
		return start.AddDate(0, 0, 1)
	default:
		return start.AddDate(0, 1, 0)
	}
}

// billingOnce is one scheduler tick's billing jobs, in Valora's order: ensure_cycles, close_cycles, rating,
// close_after_rating, invoice (with finalize). now is taken once for the tick.
func (s *Server) billingOnce(now time.Time) {
	p := &s.pipe
	p.mu.Lock()
	defer p.mu.Unlock()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.ensureCycles(now)
	for _, c := range p.cycles {
		if c.Status == cycleOpen && !c.PeriodEnd.After(now) {
			c.Status = cycleClosing
		}
	}
	for _, c := range s.sortedCycles() {
		if c.Status == cycleClosing && c.RatedAt == nil {
			s.rateCycle(c, now)
		}
	}
	for _, c := range s.sortedCycles() {
		if c.Status == cycleClosing && c.RatedAt != nil {
			var total int64
			for _, r := range c.ratings {
				total += max(r.Amount, 0)
			}
			if total <= 0 {
				// Valora's ledger entry skips kinds whose total is not positive, and fails with nothing left.
				c.setError("missing_rating_results")
				continue
			}
			t := now
			c.Status, c.ClosedAt, c.LastError = cycleClosed, &t, ""
		}
	}
	for _, c := range s.sortedCycles() {
		if c.Status == cycleClosed && c.InvoicedAt == nil {
			s.invoiceCycle(c, now)
			if s.faults.has(FaultInvoiceTwice) {
				s.invoiceCycle(c, now)
			}
			t := now
			c.InvoicedAt = &t
		}
	}
	p.ticks++
}

func (c *billingCycle) setError(msg string) {
	c.LastError = msg
}

// sortedCycles lists the cycles oldest first, so that a tick treats them in a stable order.
func (s *Server) sortedCycles() []*billingCycle {
	out := make([]*billingCycle, 0, len(s.pipe.cycles))
	for _, c := range s.pipe.cycles {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ensureCycles gives every ACTIVE subscription an OPEN cycle: from its last cycle's end, or from its activation.
func (s *Server) ensureCycles(now time.Time) {
	p := &s.pipe
	for _, sub := range s.st.subscriptions {
		if sub.Status != "ACTIVE" || sub.ActivatedAt == nil {
			continue
		}
		cycles := p.bySub[sub.ID]
		start := *sub.ActivatedAt
		hasOpen := false
		for _, c := range cycles {
			if c.Status == cycleOpen {
				hasOpen = true
			}
			if c.PeriodEnd.After(start) {
				start = c.PeriodEnd
			}
		}
		if hasOpen || start.After(now) {
			continue
		}
		c := &billingCycle{ID: s.gen.Next(), OrgID: sub.OrgID, SubscriptionID: sub.ID, PeriodStart: start,
			PeriodEnd: nextPeriodEnd(start, sub.BillingCycleType), Status: cycleOpen}
		p.cycles[c.ID] = c
		p.bySub[sub.ID] = append(cycles, c)
	}
}

// rateCycle is RunRating for one cycle: one rating row per metered item. A failure leaves the cycle CLOSING
// with last_error set, and the next tick tries again.
func (s *Server) rateCycle(c *billingCycle, now time.Time) {
	sub := s.st.subscriptions[c.SubscriptionID]
	if sub == nil {
		c.setError("subscription_not_found")
		return
	}
	start, end := c.PeriodStart, c.PeriodEnd
	if sub.StartAt.After(start) {
		start = sub.StartAt
	}
	var ratings []ratingResult
	for _, it := range sub.Items {
		if it.MeterID == 0 || !end.After(start) {
			continue
		}
		amount := s.st.priceAmountAt(it.PriceID, it.MeterID, start)
		if amount == nil {
			c.setError("missing_price_amount")
			return
		}
		qty := s.usageQuantity(sub.ID, it.MeterID, start, end)
		if qty < 0 {
			c.setError("invalid_quantity")
			return
		}
		half := 0.5
		if s.faults.has(FaultRatingAmount) {
			half = -0.5
		}
		cents := int64(math.Floor(qty*float64(amount.UnitAmountCents) + half))
		if amount.MinimumCents != nil && *amount.MinimumCents > 0 {
			cents = max(cents, *amount.MinimumCents)
		}
		if amount.MaximumCents != nil && *amount.MaximumCents > 0 {
			cents = min(cents, *amount.MaximumCents)
		}
		ratings = append(ratings, ratingResult{ID: s.gen.Next(), MeterID: it.MeterID, PriceID: it.PriceID, Quantity: qty,
			UnitPrice: amount.UnitAmountCents, Amount: cents, Currency: amount.Currency, Start: start, End: end})
	}
	t := now
	c.ratings, c.RatedAt, c.LastError = ratings, &t, ""
}

// usageQuantity is aggregateUsage: the sum of the values of the subscription's enriched events on the meter
// recorded in [start, end). Under FaultRatingWindow the window is ignored; under FaultRatingDouble one event
// that was retried or posted concurrently is counted twice.
func (s *Server) usageQuantity(subID, meterID valoraid.ID, start, end time.Time) float64 {
	var qty float64
	doubled := !s.faults.has(FaultRatingDouble)
	for _, e := range s.pipe.enriched[subID] {
		if e.meterID != meterID {
			continue
		}
		if !s.faults.has(FaultRatingWindow) && (e.ev.RecordedAt.Before(start) || !e.ev.RecordedAt.Before(end)) {
			continue
		}
		qty += e.ev.Value
		if !doubled && e.ev.replays.Load() > 0 {
			qty += e.ev.Value
			doubled = true
		}
	}
	return qty
}

// priceAmountAt is the price's amount in effect at `at`: one for the meter if there is one, else the default.
func (st *state) priceAmountAt(priceID, meterID valoraid.ID, at time.Time) *priceAmount {
	var best *priceAmount
	for _, a := range st.priceAmounts {
		if a.PriceID != priceID || a.EffectiveFrom.After(at) || a.EffectiveTo != nil && !a.EffectiveTo.After(at) {
			continue
		}
		if a.MeterID != 0 && a.MeterID != meterID {
			continue
		}
		specific, bestSpecific := a.MeterID != 0, best != nil && best.MeterID != 0
		if best == nil || specific && !bestSpecific || specific == bestSpecific && a.EffectiveFrom.After(best.EffectiveFrom) {
			best = a
		}
	}
	return best
}

// invoiceCycle is GenerateInvoice followed by FinalizeInvoice: one item per rating row, the subtotal their sum,
// numbered from the org's sequence, FINALIZED at once (no taxes: total = subtotal). The caller holds st.mu.
func (s *Server) invoiceCycle(c *billingCycle, now time.Time) {
	sub := s.st.subscriptions[c.SubscriptionID]
	inv := &invoice{ID: s.gen.Next(), OrgID: c.OrgID, BillingCycleID: c.ID, SubscriptionID: c.SubscriptionID,
		Status: "FINALIZED", Currency: "USD", PeriodStart: c.PeriodStart, PeriodEnd: c.PeriodEnd, CreatedAt: now, UpdatedAt: now}
	if sub != nil {
		inv.CustomerID = sub.CustomerID
	}
	for _, r := range c.ratings {
		if r.Currency != "" {
			inv.Currency = r.Currency
		}
		inv.SubtotalAmount += r.Amount
		inv.Items = append(inv.Items, invoiceItem{ID: s.gen.Next(), RatingResultID: r.ID, Quantity: r.Quantity,
			UnitPrice: r.UnitPrice, Amount: r.Amount, CreatedAt: now,
			Description: fmt.Sprintf("Usage (Total Qty: %.2f, Rate: %s %.6f / unit)\n%s – %s", r.Quantity, inv.Currency,
				float64(r.UnitPrice), r.Start.Format("Jan 2, 2006"), r.End.Format("Jan 2, 2006"))})
	}
	inv.TotalAmount = inv.SubtotalAmount + inv.TaxAmount
	issued, due := now, now.AddDate(0, 0, 30)
	inv.IssuedAt, inv.DueAt, inv.FinalizedAt = &issued, &due, &issued
	s.st.insertInvoice(inv)
}

// runPipeline is the snapshot worker and the scheduler's billing jobs, each on its ticker, until stop is closed.
func (s *Server) runPipeline(snapshotEvery, billingEvery time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	snap := time.NewTicker(snapshotEvery)
	defer snap.Stop()
	bill := time.NewTicker(billingEvery)
	defer bill.Stop()
	s.billingOnce(time.Now().UTC()) // Valora's scheduler runs once at startup
	for {
		select {
		case <-stop:
			return
		case <-snap.C:
			s.snapshotOnce()
		case <-bill.C:
			s.billingOnce(time.Now().UTC())
		}
	}
}
