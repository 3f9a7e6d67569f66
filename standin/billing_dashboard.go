package standin

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// The billing dashboard (contract 4): the balances and cycle stats Valora's /admin/billing routes read. Balances
// are written only by the rollup (rollup.go), never by the request that causes them.

type balance struct {
	Amount   int64
	Currency string
}

type cycleStat struct {
	PeriodStart  time.Time
	TotalRevenue int64
	InvoiceCount int64
	Status       string
}

type billingCustomerView struct {
	CustomerID    string `json:"customer_id"`
	Name          string `json:"name"`
	Balance       int64  `json:"balance"`
	Currency      string `json:"currency"`
	LastInvoiceID string `json:"last_invoice_id,omitempty"`
	PaymentStatus string `json:"payment_status"`
}

// billingCustomers is GET /admin/billing/customers (contract 4): the first 10 customers by name with their
// balance; a customer without a balance row has 0.
func (s *Server) billingCustomers(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	badShape := s.faults.has(FaultDashboardShape)
	s.st.mu.RLock()
	list := s.st.customersByOrg[rc.orgID]
	sorted := make([]*customer, len(list))
	copy(sorted, list)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	if len(sorted) > 10 {
		sorted = sorted[:10]
	}
	out := make([]billingCustomerView, 0, len(sorted))
	for _, c := range sorted {
		v := billingCustomerView{CustomerID: c.ID.String(), Name: c.Name}
		if b := s.st.balances[orgCustomer{rc.orgID, c.ID}]; b != nil {
			v.Balance, v.Currency = b.Amount, b.Currency
		}
		if v.Currency == "" {
			v.Currency = c.Currency
		}
		v.Currency = strings.ToUpper(v.Currency)
		switch {
		case v.Balance > 0:
			v.PaymentStatus = "due"
		case v.Balance < 0:
			v.PaymentStatus = "credit"
		default:
			v.PaymentStatus = "settled"
		}
		if badShape {
			v.PaymentStatus = "paid" // not one of Valora's three; the balance stays right
		}
		out = append(out, v)
	}
	s.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"customers": out})
}

type billingCycleView struct {
	CycleID      string `json:"cycle_id"` // never selected by Valora's query, so always ""
	Period       string `json:"period"`
	TotalRevenue int64  `json:"total_revenue"`
	InvoiceCount int64  `json:"invoice_count"`
	Status       string `json:"status"`
}

// billingCycles is GET /admin/billing/cycles: the org's cycle stats of the last 2 calendar months, newest first.
func (s *Server) billingCycles(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	layout := "2006-01"
	if s.faults.has(FaultDashboardShape) {
		layout = "2006-01-02" // the period's first day instead of its month
	}
	s.st.mu.RLock()
	stats := s.st.cycles[rc.orgID]
	out := make([]billingCycleView, 0, len(stats))
	for _, c := range stats {
		if c.PeriodStart.Before(from) {
			continue
		}
		v := billingCycleView{Period: c.PeriodStart.Format(layout), TotalRevenue: c.TotalRevenue,
			InvoiceCount: c.InvoiceCount, Status: strings.ToLower(c.Status)}
		if v.TotalRevenue == 0 {
			v.Status = "No Activity"
		}
		out = append(out, v)
	}
	s.st.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Period > out[j].Period })
	writeJSON(w, http.StatusOK, map[string]any{"cycles": out})
}

// Balance is the dashboard balance (minor units) of a customer of the fixture's main org, as the rollup has
// written it so far.
func (s *Server) Balance(customerID string) int64 {
	return s.OrgBalance(s.fixture.OrgID, customerID)
}

// OrgBalance is the balance row of (org, customer) as the rollup has written it: what that org's dashboard shows
// for the customer. A webhook verified with org A's secret moves (A, customer) whichever org the customer
// belongs to.
func (s *Server) OrgBalance(orgID, customerID string) int64 {
	org, err1 := valoraid.ParseString(orgID)
	id, err2 := valoraid.ParseString(customerID)
	if err1 != nil || err2 != nil {
		return 0
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	if b := s.st.balances[orgCustomer{org, id}]; b != nil {
		return b.Amount
	}
	return 0
}
