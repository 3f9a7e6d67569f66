package standin

import (
	"fmt"
	"testing"
	"time"
)

// TestBalanceMovesOnRollupTick: the request posts the ledger entry and nothing else; the balance moves, by exactly
// the payment, when a rollup tick applies it.
func TestBalanceMovesOnRollupTick(t *testing.T) {
	h := start(t, Config{Customers: 3}) // the harness's rollup ticks once an hour: only rollupOnce applies events
	wantStatus(t, h.postStripe(stripeEvent(t, "charge.succeeded", "evt_tick", h.fx.CustomerID, 1234), h.fx.WebhookSecret), 200)
	if b := h.s.Balance(h.fx.CustomerID); b != 0 {
		t.Fatalf("balance moved in the request: %d", b)
	}
	if bal, status := dashboardBalance(t, h, h.admin(), h.fx.CustomerID); bal != 0 || status != "settled" {
		t.Fatalf("dashboard before the tick: %v %s", bal, status)
	}
	if st := h.s.Stats(); st.BillingEventsPending != 1 || st.PaymentsApplied != 0 {
		t.Fatalf("stats before the tick: %+v", st)
	}
	if n := h.s.rollupOnce(); n != 1 {
		t.Fatalf("the tick applied %d events, want 1", n)
	}
	if bal, status := dashboardBalance(t, h, h.admin(), h.fx.CustomerID); bal != -1234 || status != "credit" {
		t.Fatalf("dashboard after the tick: %v %s, want -1234 credit", bal, status)
	}
	if n := h.s.rollupOnce(); n != 0 || h.s.Balance(h.fx.CustomerID) != -1234 {
		t.Fatalf("a second tick applied %d events; balance %d", n, h.s.Balance(h.fx.CustomerID))
	}
	if st := h.s.Stats(); st.BillingEventsPending != 0 || st.PaymentsApplied != 1 || st.RollupRuns != 2 {
		t.Fatalf("stats after the ticks: %+v", st)
	}
}

// TestRollupBatchesOldestFirstAcrossOrgs: 120 pending events of two orgs take three ticks of 50, 50 and 20, each
// taking the oldest still pending whatever its org.
func TestRollupBatchesOldestFirstAcrossOrgs(t *testing.T) {
	h := start(t, Config{Customers: 120})
	mainCustomers := h.s.st.customersByOrg[h.fx.orgID][:120] // the pagination customers, oldest first
	type delivery struct {
		org, customer string
		amount        int64
	}
	var sent []delivery
	for i := 0; i < 120; i++ {
		d := delivery{h.fx.OrgID, mainCustomers[i].ID.String(), int64(i + 1)}
		secret := h.fx.WebhookSecret
		if i%3 == 2 { // every third event is org Other's, for its own customer
			d.org, d.customer, secret = h.fx.OtherOrgID, h.fx.OtherCustomerID, h.fx.OtherWebhookSecret
		}
		wantStatus(t, h.postStripe(stripeEvent(t, "charge.succeeded", fmt.Sprintf("evt_batch_%03d", i), d.customer, d.amount), secret), 200)
		sent = append(sent, d)
	}
	before := map[string]int64{}
	for _, c := range mainCustomers {
		before[c.ID.String()] = h.s.Balance(c.ID.String())
	}
	// want is each balance row once the first n deliveries are applied.
	want := func(n int) map[delivery]int64 {
		out := map[delivery]int64{}
		for i, d := range sent {
			key := delivery{org: d.org, customer: d.customer}
			if _, ok := out[key]; !ok {
				out[key] = before[d.customer]
			}
			if i < n {
				out[key] -= d.amount
			}
		}
		return out
	}
	for tick, applied := range []int{50, 100, 120, 120} {
		if n := h.s.rollupOnce(); n != min(50, max(0, 120-50*tick)) {
			t.Fatalf("tick %d applied %d events", tick+1, n)
		}
		for key, balance := range want(applied) {
			if got := h.s.OrgBalance(key.org, key.customer); got != balance {
				t.Fatalf("after tick %d: balance of %s in org %s is %d, want %d (the oldest %d events applied)",
					tick+1, key.customer, key.org, got, balance, applied)
			}
		}
		if st := h.s.Stats(); st.BillingEventsPending != int64(120-applied) {
			t.Fatalf("after tick %d: %d pending, want %d", tick+1, st.BillingEventsPending, 120-applied)
		}
	}
	// The dashboards agree: org Other's customer got every third amount, shown on Other's dashboard only.
	var otherTotal int64
	for i := 2; i < 120; i += 3 {
		otherTotal += int64(i + 1)
	}
	if bal, _ := dashboardBalance(t, h, h.otherAdmin(), h.fx.OtherCustomerID); bal != float64(-otherTotal) {
		t.Fatalf("org Other's dashboard shows %v, want %d", bal, -otherTotal)
	}
}

// TestRollupGoroutine: the ticker of Start applies pending events by itself, never between two ticks, and stops
// with Close.
func TestRollupGoroutine(t *testing.T) {
	h := start(t, Config{Customers: 3, RollupInterval: 40 * time.Millisecond})
	if !eventually(t, 2*time.Second, func() bool { return h.s.Stats().RollupRuns >= 1 }) {
		t.Fatal("the rollup never ticked")
	}
	// A tick takes its batch and applies it in one step, so while the tick count stands still the balance cannot
	// have moved.
	runs := h.s.Stats().RollupRuns
	wantStatus(t, h.postStripe(stripeEvent(t, "charge.succeeded", "evt_goroutine", h.fx.CustomerID, 700), h.fx.WebhookSecret), 200)
	bal := h.s.Balance(h.fx.CustomerID)
	if h.s.Stats().RollupRuns == runs && bal != 0 {
		t.Fatalf("balance %d moved without a tick", bal)
	}
	if !eventually(t, 2*time.Second, func() bool { return h.s.Balance(h.fx.CustomerID) == -700 }) {
		t.Fatalf("balance %d, want -700 after the ticks", h.s.Balance(h.fx.CustomerID))
	}
	if st := h.s.Stats(); st.BillingEventsPending != 0 || st.PaymentsApplied != 1 {
		t.Fatalf("stats %+v", st)
	}

	// Close stops the goroutine: no tick after it.
	if err := h.s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	runs = h.s.Stats().RollupRuns
	time.Sleep(150 * time.Millisecond)
	if got := h.s.Stats().RollupRuns; got != runs {
		t.Fatalf("the rollup ran %d more ticks after Close", got-runs)
	}
}
