package standin

import (
	"sync"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Valora does not move a dashboard balance in the request that causes it (contract 4, "When the balance moves"):
// a processed payment posts its ledger entry at once, which writes a billing event; customer_balances is written
// later by the scheduler's rollup_pending job, which on every tick takes the oldest rollupBatchSize unpublished
// billing events across all orgs, applies them and marks them published. The stand-in keeps the same queue and
// runs the same job on its own ticker (Config.RollupInterval, 1 minute in Valora and by default).

// rollupBatchSize is Valora's scheduler BatchSize: billing events applied per tick.
const rollupBatchSize = 50

// billingEvent is an unpublished row of Valora's billing_events. The only kind the stand-in writes is the
// ledger_entry_created of a processed payment; delta is what that entry does to the customer's accounts
// receivable, which is what the rollup adds to the balance row of (org, customer). Payment ledger entries carry
// no revenue, so billing_cycle_stats do not change.
type billingEvent struct {
	orgID      valoraid.ID // the org the ledger entry was posted in: for a webhook, the org whose secret verified
	customerID valoraid.ID // taken from the event, never checked against that org
	currency   string
	delta      int64
}

// billingQueue holds the unpublished billing events, oldest first (Valora orders them by created_at).
type billingQueue struct {
	mu      sync.Mutex
	pending []billingEvent
	runs    int64 // rollup ticks run
}

// enqueueBillingEvent records a billing event for the next rollup ticks.
func (s *Server) enqueueBillingEvent(ev billingEvent) {
	q := &s.billing
	q.mu.Lock()
	q.pending = append(q.pending, ev)
	q.mu.Unlock()
}

// rollupOnce is one run of rollup_pending: the oldest rollupBatchSize pending events, of every org, are applied
// to the balances and leave the queue. It returns how many were applied.
func (s *Server) rollupOnce() int {
	q := &s.billing
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(rollupBatchSize, len(q.pending))
	if n > 0 {
		s.st.mu.Lock()
		for _, ev := range q.pending[:n] {
			key := orgCustomer{ev.orgID, ev.customerID}
			b := s.st.balances[key]
			if b == nil {
				b = &balance{}
				s.st.balances[key] = b
			}
			b.Amount += ev.delta
			if b.Currency == "" {
				b.Currency = ev.currency
			}
		}
		s.st.mu.Unlock()
		rest := copy(q.pending, q.pending[n:])
		clear(q.pending[rest:])
		q.pending = q.pending[:rest]
		s.st.payments.processed.Add(int64(n)) // marked published
	}
	q.runs++
	return n
}

// billingStats reports the queue length and the ticks run.
func (s *Server) billingStats() (pending, runs int64) {
	q := &s.billing
	q.mu.Lock()
	defer q.mu.Unlock()
	return int64(len(q.pending)), q.runs
}

// runRollup is the scheduler goroutine: one rollup per tick until stop is closed.
func (s *Server) runRollup(interval time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if n := s.rollupOnce(); n > 0 {
				s.log.Debug("rollup", "applied", n)
			}
		}
	}
}
