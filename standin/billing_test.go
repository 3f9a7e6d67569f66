package standin

import (
	"fmt"
	"testing"
	"time"
)

// billingRun ingests a known set of events for the fixture customer, moves its OPEN cycle over them through the
// seam, drives the snapshot and one billing tick, and returns the customer's invoices for that cycle.
func billingRun(t *testing.T, faults ...Fault) (invoices []map[string]any, cycleID string) {
	t.Helper()
	h := start(t, Config{Customers: 3, Faults: faults})
	sub := h.fx.SubscriptionID
	// The fixture's price amount is in effect from its creation, a minute or so ago: the window starts after it.
	var seam map[string]any
	eventually(t, 5*time.Second, func() bool {
		seam = h.do("GET", "/standin/billing/subscriptions/"+sub, "", h.key()).json(t)["data"].(map[string]any)
		return len(seam["cycles"].([]any)) == 1
	})
	startAt, err := time.Parse(time.RFC3339Nano, str(t, seam["start_at"]))
	if err != nil {
		t.Fatal(err)
	}
	from, to := startAt.Add(time.Second), time.Now().UTC().Add(-time.Second)
	post := func(key string, value int, at time.Time) {
		t.Helper()
		body := fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":%d,"recorded_at":%q,"idempotency_key":%q}`,
			h.fx.CustomerID, h.fx.MeterCode, value, at.Format(time.RFC3339Nano), key)
		wantStatus(t, h.do("POST", "/api/usage", body, h.key()), 200)
	}
	post(uniqueKey("in"), 3, from)                       // at period_start: inside
	post(uniqueKey("in"), 4, from.Add(time.Millisecond)) // inside
	dup := uniqueKey("dup")
	post(dup, 100, from.Add(2*time.Millisecond)) // inside, then retried and padded
	post(dup, 100, from.Add(2*time.Millisecond))
	post(" "+dup+"\t", 100, from.Add(2*time.Millisecond))
	post(uniqueKey("out"), 10000, to)                          // at period_end: outside
	post(uniqueKey("out"), 10000, from.Add(-time.Millisecond)) // before: outside

	wantStatus(t, h.do("POST", "/standin/billing/subscriptions/"+sub+"/move",
		fmt.Sprintf(`{"period_start":%q,"period_end":%q}`, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano)), h.key()), 200)
	if n := h.s.snapshotOnce(); n != 5 {
		t.Fatalf("the snapshot processed %d events, want the 5 stored", n)
	}
	h.s.billingOnce(time.Now().UTC())
	h.s.billingOnce(time.Now().UTC()) // the next cycle opens on the next tick; the closed one is not invoiced again
	seam = h.do("GET", "/standin/billing/subscriptions/"+sub, "", h.key()).json(t)["data"].(map[string]any)
	cycles := seam["cycles"].([]any)
	first := cycles[0].(map[string]any)
	if first["status"] != cycleClosed || first["invoiced_at"] == nil {
		t.Fatalf("the moved cycle after a tick: %v", first)
	}
	if len(cycles) != 2 || cycles[1].(map[string]any)["status"] != cycleOpen {
		t.Fatalf("no new OPEN cycle after the closed one: %v", cycles)
	}
	list := h.do("GET", "/api/invoices?customer_id="+h.fx.CustomerID, "", h.key()).json(t)["data"].([]any)
	for _, x := range list {
		inv := x.(map[string]any)
		if inv["BillingCycleID"] == first["id"] {
			full := h.do("GET", "/api/invoices/"+str(t, inv["ID"]), "", h.key()).json(t)["data"].(map[string]any)
			invoices = append(invoices, full)
		}
	}
	return invoices, str(t, first["id"])
}

func quantityOf(t *testing.T, inv map[string]any) (qty float64, amount float64) {
	t.Helper()
	items := inv["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("items %v", items)
	}
	it := items[0].(map[string]any)
	return it["Quantity"].(float64), it["Amount"].(float64)
}

func TestBillingPipelineInvoicesTheWindowOnce(t *testing.T) {
	invs, _ := billingRun(t)
	if len(invs) != 1 {
		t.Fatalf("%d invoices for the cycle, want 1", len(invs))
	}
	inv := invs[0]
	qty, amount := quantityOf(t, inv)
	if qty != 107 || amount != 107 || inv["SubtotalAmount"].(float64) != 107 || inv["Status"] != "FINALIZED" {
		t.Fatalf("invoice: qty %v amount %v %v", qty, amount, inv)
	}
}

func TestBillingFaults(t *testing.T) {
	t.Run("rating-double", func(t *testing.T) {
		invs, _ := billingRun(t, FaultRatingDouble)
		if qty, _ := quantityOf(t, invs[0]); qty != 207 {
			t.Fatalf("qty %v, want the retried event counted twice (207)", qty)
		}
	})
	t.Run("rating-window", func(t *testing.T) {
		invs, _ := billingRun(t, FaultRatingWindow)
		if qty, _ := quantityOf(t, invs[0]); qty != 20107 {
			t.Fatalf("qty %v, want the events outside the window counted (20107)", qty)
		}
	})
	t.Run("invoice-twice", func(t *testing.T) {
		if invs, _ := billingRun(t, FaultInvoiceTwice); len(invs) != 2 {
			t.Fatalf("%d invoices, want 2", len(invs))
		}
	})
}

// TestSnapshotTakesTheOldestFifty: one run enriches at most 50 events, oldest recorded_at first, and an event
// recorded before its subscription started is unmatched.
func TestSnapshotTakesTheOldestFifty(t *testing.T) {
	h := start(t, Config{Customers: 3})
	base := time.Now().UTC().Add(-time.Second)
	for i := range 60 {
		body := fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":1,"recorded_at":%q,"idempotency_key":%q}`,
			h.fx.CustomerID, h.fx.MeterCode, base.Add(-time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), uniqueKey("s"))
		wantStatus(t, h.do("POST", "/api/usage", body, h.key()), 200)
	}
	wantStatus(t, h.do("POST", "/api/usage", usageBody(h.fx.CustomerID, h.fx.MeterCode, uniqueKey("early")), h.key()), 200)
	if n := h.s.snapshotOnce(); n != 50 {
		t.Fatalf("first run %d", n)
	}
	info := h.do("GET", "/standin/billing", "", h.key()).json(t)
	if info["valora_standin"] != true || info["accepted"].(float64) != 11 || info["unmatched_subscription"].(float64) != 1 {
		t.Fatalf("after one run: %v (the event of 2026-01-02 is the oldest and unmatched)", info)
	}
	if n := h.s.snapshotOnce(); n != 11 {
		t.Fatalf("second run %d", n)
	}
}

func TestSeamIsOrgScoped(t *testing.T) {
	h := start(t, Config{Customers: 3})
	other := hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey, "Content-Type": "application/json"}
	wantStatus(t, h.do("GET", "/standin/billing/subscriptions/"+h.fx.SubscriptionID, "", other), 404)
	wantStatus(t, h.do("POST", "/standin/billing/subscriptions/"+h.fx.SubscriptionID+"/move", `{"start_at":"2026-01-01T00:00:00Z"}`, other), 404)
	wantStatus(t, h.do("GET", "/standin/billing", "", hdr{}), 401)
	wantStatus(t, h.do("POST", "/standin/billing/subscriptions/"+h.fx.SubscriptionID+"/move", `{"period_start":"2026-01-01T00:00:00Z"}`, h.key()), 400)
}

var billingSeq int

// billedOnce bills a new subscription of tenant B (org Main's customer list stays as the pagination checks
// expect): one event of 1 inside the window, one of 100 posted twice, one of 10000 at period_end (outside).
// It returns the invoiced quantity and how many invoices the cycle got.
func billedOnce(t testing.TB, h *harness) (qty float64, invoices int, err error) {
	qty, _, invoices, err = billedAmounts(t, h)
	return qty, invoices, err
}

// billedAmounts is billedOnce with the invoiced amount (tenant B's price is 1 cent a unit).
func billedAmounts(t testing.TB, h *harness) (qty, amount float64, invoices int, err error) {
	billingSeq++
	b := hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey, "Content-Type": "application/json"}
	c := h.do("POST", "/api/customers", fmt.Sprintf(`{"name":"bill-%d","email":"bill-%d@example.com"}`, billingSeq, billingSeq), b)
	if c.status != 200 {
		return 0, 0, 0, fmt.Errorf("customer: %d %s", c.status, c.body)
	}
	cust := str(t, c.json(t)["data"].(map[string]any)["id"])
	sub := h.do("POST", "/api/subscriptions", fmt.Sprintf(`{"customer_id":%q,"collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q}]}`,
		cust, otherPriceID(t, h)), b)
	if sub.status != 200 {
		return 0, 0, 0, fmt.Errorf("subscription: %d %s", sub.status, sub.body)
	}
	subID := str(t, sub.json(t)["data"].(map[string]any)["id"])
	if r := h.do("POST", "/api/subscriptions/"+subID+"/activate", "", b); r.status != 204 {
		return 0, 0, 0, fmt.Errorf("activate: %d", r.status)
	}
	seam := h.do("GET", "/standin/billing/subscriptions/"+subID, "", b).json(t)["data"].(map[string]any)
	from, _ := time.Parse(time.RFC3339Nano, str(t, seam["start_at"]))
	to := from.Add(10 * time.Millisecond)
	dup := uniqueKey("bill-dup")
	for _, ev := range []struct {
		key   string
		value int
		at    time.Time
	}{{uniqueKey("bill"), 1, from.Add(time.Millisecond)}, {dup, 100, from.Add(2 * time.Millisecond)},
		{dup, 100, from.Add(2 * time.Millisecond)}, {uniqueKey("bill-out"), 10000, to}} {
		body := fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":%d,"recorded_at":%q,"idempotency_key":%q}`,
			cust, h.fx.OtherMeterCode, ev.value, ev.at.Format(time.RFC3339Nano), ev.key)
		if r := h.do("POST", "/api/usage", body, b); r.status != 200 {
			return 0, 0, 0, fmt.Errorf("usage: %d %s", r.status, r.body)
		}
	}
	for h.s.snapshotOnce() > 0 {
	}
	time.Sleep(time.Until(to.Add(time.Millisecond)))
	h.s.billingOnce(time.Now().UTC()) // opens the cycle
	move := fmt.Sprintf(`{"period_start":%q,"period_end":%q}`, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	if r := h.do("POST", "/standin/billing/subscriptions/"+subID+"/move", move, b); r.status != 200 {
		return 0, 0, 0, fmt.Errorf("move: %d %s", r.status, r.body)
	}
	h.s.billingOnce(time.Now().UTC())
	for _, x := range h.do("GET", "/api/invoices?customer_id="+cust, "", b).json(t)["data"].([]any) {
		inv := h.do("GET", "/api/invoices/"+str(t, x.(map[string]any)["ID"]), "", b).json(t)["data"].(map[string]any)
		for _, it := range inv["items"].([]any) {
			qty += it.(map[string]any)["Quantity"].(float64)
			amount += it.(map[string]any)["Amount"].(float64)
		}
		invoices++
	}
	if invoices == 0 {
		return 0, 0, 0, fmt.Errorf("no invoice: %v", h.do("GET", "/standin/billing/subscriptions/"+subID, "", b).body)
	}
	return qty / float64(invoices), amount / float64(invoices), invoices, nil
}
