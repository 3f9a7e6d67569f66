package standin

import (
	"reflect"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

func TestBillingDashboard(t *testing.T) {
	h := start(t, Config{Customers: 30})
	r := h.do("GET", "/admin/billing/customers", "", h.admin())
	wantStatus(t, r, 200)
	customers := r.json(t)["customers"].([]any)
	if len(customers) != 10 {
		t.Fatalf("%d rows, want the top 10", len(customers))
	}
	var names []string
	for _, c := range customers {
		m := c.(map[string]any)
		names = append(names, m["name"].(string))
		switch m["name"] {
		case "k6":
			if m["balance"] != float64(0) || m["payment_status"] != "settled" || m["customer_id"] != h.fx.CustomerID {
				t.Fatalf("k6 row %v", m)
			}
		case "page-00001":
			if m["balance"] != float64(5000) || m["payment_status"] != "due" || m["currency"] != "USD" {
				t.Fatalf("due row %v", m)
			}
		case "page-00002":
			if m["payment_status"] != "credit" {
				t.Fatalf("credit row %v", m)
			}
		}
		if _, ok := m["last_invoice_id"]; ok {
			t.Fatalf("last_invoice_id should be omitted: %v", m)
		}
	}
	if names[0] != "k6" || names[1] != "page-00001" || names[9] != "page-00009" {
		t.Fatalf("not ordered by name: %v", names)
	}

	c := h.do("GET", "/admin/billing/cycles", "", h.admin())
	wantStatus(t, c, 200)
	cycles := c.json(t)["cycles"].([]any)
	now := time.Now().UTC()
	thisMonth := now.Format("2006-01")
	lastMonth := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	if len(cycles) != 2 {
		t.Fatalf("cycles %s", c.body)
	}
	c0, c1 := cycles[0].(map[string]any), cycles[1].(map[string]any)
	if c0["period"] != thisMonth || c0["status"] != "No Activity" || c0["cycle_id"] != "" ||
		c1["period"] != lastMonth || c1["status"] != "finalized" || c1["total_revenue"] != float64(1250000) || c1["invoice_count"] != float64(42) {
		t.Fatalf("cycles %s", c.body)
	}
	// The other org's owner sees an empty dashboard.
	st := h.s.st
	var otherOwner valoraid.ID
	for id := range st.members[mustID(t, h.fx.OtherOrgID)] {
		otherOwner = id
	}
	tok, _, _ := h.s.createSession(otherOwner, h.s.rand)
	oh := hdr{"Cookie": "_sid=" + tok, "X-Org-Id": h.fx.OtherOrgID}
	if r := h.do("GET", "/admin/billing/cycles", "", oh); string(r.body) != `{"cycles":[]}` {
		t.Fatalf("other org cycles %s", r.body)
	}
	if r := h.do("GET", "/admin/billing/customers", "", oh); len(r.json(t)["customers"].([]any)) != 1 {
		t.Fatalf("other org customers %s", r.body)
	}
}

// TestDashboardShapeFault: dashboard-shape says payment_status "paid" on every customer row and gives each cycle's
// period as YYYY-MM-DD (its first day); every other field, the balances included, is what a healthy server says.
func TestDashboardShapeFault(t *testing.T) {
	h := start(t, Config{Customers: 30})
	rows := func(path, key string) []map[string]any {
		t.Helper()
		r := h.do("GET", path, "", h.admin())
		wantStatus(t, r, 200)
		var out []map[string]any
		for _, row := range r.json(t)[key].([]any) {
			out = append(out, row.(map[string]any))
		}
		return out
	}
	healthyCustomers, healthyCycles := rows("/admin/billing/customers", "customers"), rows("/admin/billing/cycles", "cycles")
	h.s.SetFaults(FaultDashboardShape)
	customers, cycles := rows("/admin/billing/customers", "customers"), rows("/admin/billing/cycles", "cycles")
	if len(customers) != len(healthyCustomers) || len(cycles) != len(healthyCycles) || len(cycles) == 0 {
		t.Fatalf("%d customers, %d cycles; healthy %d, %d", len(customers), len(cycles), len(healthyCustomers), len(healthyCycles))
	}
	statuses := map[any]bool{}
	for i, row := range customers {
		statuses[healthyCustomers[i]["payment_status"]] = true
		if row["payment_status"] != "paid" {
			t.Fatalf("row %v: payment_status %v, want paid", row["name"], row["payment_status"])
		}
		delete(row, "payment_status")
		delete(healthyCustomers[i], "payment_status")
		if !reflect.DeepEqual(row, healthyCustomers[i]) {
			t.Fatalf("dashboard-shape changed more than payment_status:\n%v\n%v", row, healthyCustomers[i])
		}
	}
	if len(statuses) != 3 {
		t.Fatalf("healthy statuses %v: the fixture shows due, credit and settled", statuses)
	}
	for i, row := range cycles {
		if want := healthyCycles[i]["period"].(string) + "-01"; row["period"] != want {
			t.Fatalf("period %v, want %s", row["period"], want)
		}
		delete(row, "period")
		delete(healthyCycles[i], "period")
		if !reflect.DeepEqual(row, healthyCycles[i]) {
			t.Fatalf("dashboard-shape changed more than period:\n%v\n%v", row, healthyCycles[i])
		}
	}
	h.s.SetFaults()
	if r := rows("/admin/billing/customers", "customers"); r[1]["payment_status"] != "due" {
		t.Fatalf("healthy again: %v", r[1])
	}
}
