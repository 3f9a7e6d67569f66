package standin

import (
	"net/http"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// The billing seam: routes only the stand-in has, under /standin/billing, behind an API key like /api and
// scoped to the key's org. Valora has no HTTP route for billing cycles; a test moves a subscription's start_at
// and its OPEN cycle's period into the past in Valora's database (docs/valora-source.md 4.5). The stand-in
// has no database, so these routes do the same to its memory. A real Valora answers /standin/* with its SPA
// fallback (HTML), never with this JSON, which is how a scenario tells the two apart.

type seamInfo struct {
	Standin           bool  `json:"valora_standin"`
	SnapshotInterval  int64 `json:"snapshot_interval_ms"`
	SnapshotBatch     int   `json:"snapshot_batch"`
	BillingInterval   int64 `json:"billing_interval_ms"`
	SnapshotRuns      int64 `json:"snapshot_runs"`
	BillingTicks      int64 `json:"billing_ticks"`
	UnmatchedMeter    int64 `json:"unmatched_meter"`
	UnmatchedSub      int64 `json:"unmatched_subscription"`
	AcceptedInBacklog int   `json:"accepted"`
}

type seamCycle struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	PeriodStart time.Time  `json:"period_start"`
	PeriodEnd   time.Time  `json:"period_end"`
	RatedAt     *time.Time `json:"rated_at"`
	InvoicedAt  *time.Time `json:"invoiced_at"`
	LastError   string     `json:"last_error"`
}

type seamSubscription struct {
	ID         string      `json:"subscription_id"`
	CustomerID string      `json:"customer_id"`
	Status     string      `json:"status"`
	StartAt    time.Time   `json:"start_at"`
	Accepted   int         `json:"accepted"` // the customer's events the snapshot has not processed yet
	Cycles     []seamCycle `json:"cycles"`
}

// seamInfo is GET /standin/billing: what the pipeline runs on.
func (s *Server) seamInfo(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	p := &s.pipe
	p.mu.Lock()
	s.collectAccepted()
	info := seamInfo{Standin: true, SnapshotInterval: s.cfg.SnapshotInterval.Milliseconds(), SnapshotBatch: snapshotBatch,
		BillingInterval: s.cfg.BillingInterval.Milliseconds(), SnapshotRuns: p.snapshots, BillingTicks: p.ticks,
		UnmatchedMeter: p.unmatched[usageUnmatchedMeter], UnmatchedSub: p.unmatched[usageUnmatchedSubscription],
		AcceptedInBacklog: p.accepted.Len()}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, info)
}

// seamSubscriptionOf finds the key's org's subscription named by the path, or writes the error.
func (s *Server) seamSubscriptionOf(w http.ResponseWriter, rc reqCtx) *subscription {
	id, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil || id == 0 {
		writeError(w, errInvalid("invalid_id"))
		return nil
	}
	sub := s.st.subscriptions[id]
	if sub == nil || sub.OrgID != rc.orgID {
		writeError(w, errNotFound)
		return nil
	}
	return sub
}

// viewSeam renders the subscription's billing state. The caller holds pipe.mu and st.mu.
func (s *Server) viewSeam(sub *subscription) seamSubscription {
	v := seamSubscription{ID: sub.ID.String(), CustomerID: sub.CustomerID.String(), Status: sub.Status, StartAt: sub.StartAt,
		Accepted: s.pipe.backlog[orgCustomer{sub.OrgID, sub.CustomerID}], Cycles: []seamCycle{}}
	for _, c := range s.pipe.bySub[sub.ID] {
		v.Cycles = append(v.Cycles, seamCycle{ID: c.ID.String(), Status: c.Status, PeriodStart: c.PeriodStart,
			PeriodEnd: c.PeriodEnd, RatedAt: c.RatedAt, InvoicedAt: c.InvoicedAt, LastError: c.LastError})
	}
	return v
}

// seamGet is GET /standin/billing/subscriptions/:id.
func (s *Server) seamGet(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	s.pipe.mu.Lock()
	defer s.pipe.mu.Unlock()
	s.collectAccepted()
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	if sub := s.seamSubscriptionOf(w, rc); sub != nil {
		writeJSON(w, http.StatusOK, map[string]any{"data": s.viewSeam(sub)})
	}
}

type seamMoveRequest struct {
	StartAt     *time.Time `json:"start_at"`
	PeriodStart *time.Time `json:"period_start"`
	PeriodEnd   *time.Time `json:"period_end"`
}

// seamMove is POST /standin/billing/subscriptions/:id/move: what Valora's own e2e tests do by SQL. start_at
// moves the subscription's start (UPDATE subscriptions SET start_at); period_start and period_end, given
// together, move its OPEN cycle (UPDATE billing_cycles SET period_start, period_end), 409 no_open_cycle when it
// has none yet (the next billing tick makes it).
func (s *Server) seamMove(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req seamMoveRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	if (req.PeriodStart == nil) != (req.PeriodEnd == nil) || req.StartAt == nil && req.PeriodStart == nil {
		writeError(w, errValidation("period", "invalid_period", "give start_at, or period_start with period_end, or all three"))
		return
	}
	if req.PeriodStart != nil && !req.PeriodEnd.After(*req.PeriodStart) {
		writeError(w, errValidation("period_end", "invalid_period_end", "period_end must be after period_start"))
		return
	}
	s.pipe.mu.Lock()
	defer s.pipe.mu.Unlock()
	s.collectAccepted()
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	sub := s.seamSubscriptionOf(w, rc)
	if sub == nil {
		return
	}
	var open *billingCycle
	if req.PeriodStart != nil {
		for _, c := range s.pipe.bySub[sub.ID] {
			if c.Status == cycleOpen {
				open = c
			}
		}
		if open == nil {
			writeError(w, &apiError{status: http.StatusConflict, typ: "conflict", msg: "no_open_cycle: the subscription has no OPEN billing cycle yet"})
			return
		}
	}
	if req.StartAt != nil {
		sub.StartAt = req.StartAt.UTC()
	}
	if open != nil {
		open.PeriodStart, open.PeriodEnd = req.PeriodStart.UTC(), req.PeriodEnd.UTC()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.viewSeam(sub)})
}
