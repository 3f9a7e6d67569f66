package standin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Invoices as Valora stores and serves them (docs/valora-source.md 2 and 4.4). Valora's Invoice and InvoiceItem
// have no json tags, so their JSON keys are the Go field names ("ID", "InvoiceNumber", …), except the invoice's
// "items"; the views below keep that, ids as quoted strings.

type invoiceItem struct {
	ID             valoraid.ID
	RatingResultID valoraid.ID
	Description    string
	Quantity       float64
	UnitPrice      int64
	Amount         int64
	CreatedAt      time.Time
}

type invoice struct {
	ID             valoraid.ID
	OrgID          valoraid.ID
	InvoiceSeq     int64
	InvoiceNumber  string
	BillingCycleID valoraid.ID
	SubscriptionID valoraid.ID
	CustomerID     valoraid.ID
	Status         string // DRAFT, FINALIZED or VOID
	SubtotalAmount int64
	TaxAmount      int64
	TotalAmount    int64
	Currency       string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	IssuedAt       *time.Time
	DueAt          *time.Time
	FinalizedAt    *time.Time
	Items          []invoiceItem
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

type invoiceItemView struct {
	ID             string         `json:"ID"`
	OrgID          string         `json:"OrgID"`
	InvoiceID      string         `json:"InvoiceID"`
	RatingResultID string         `json:"RatingResultID"`
	LineType       string         `json:"LineType"` // never inserted by Valora: always ""
	Description    string         `json:"Description"`
	Quantity       float64        `json:"Quantity"`
	UnitPrice      int64          `json:"UnitPrice"`
	Amount         int64          `json:"Amount"`
	Metadata       map[string]any `json:"Metadata"`
	CreatedAt      time.Time      `json:"CreatedAt"`
}

type invoiceView struct {
	ID                string            `json:"ID"`
	OrgID             string            `json:"OrgID"`
	InvoiceSeq        int64             `json:"InvoiceSeq"`
	InvoiceNumber     string            `json:"InvoiceNumber"`
	BillingCycleID    string            `json:"BillingCycleID"`
	SubscriptionID    string            `json:"SubscriptionID"`
	CustomerID        string            `json:"CustomerID"`
	InvoiceTemplateID *string           `json:"InvoiceTemplateID"`
	Status            string            `json:"Status"`
	SubtotalAmount    int64             `json:"SubtotalAmount"`
	TaxRate           float64           `json:"TaxRate"`
	TaxCode           string            `json:"TaxCode"`
	TaxAmount         int64             `json:"TaxAmount"`
	TotalAmount       int64             `json:"TotalAmount"`
	Currency          string            `json:"Currency"`
	PeriodStart       time.Time         `json:"PeriodStart"`
	PeriodEnd         time.Time         `json:"PeriodEnd"`
	IssuedAt          *time.Time        `json:"IssuedAt"`
	DueAt             *time.Time        `json:"DueAt"`
	PaidAt            *time.Time        `json:"PaidAt"`
	FinalizedAt       *time.Time        `json:"FinalizedAt"`
	VoidedAt          *time.Time        `json:"VoidedAt"`
	RenderedHTML      string            `json:"RenderedHTML"`
	RenderedPDFURL    string            `json:"RenderedPDFURL"`
	Metadata          map[string]any    `json:"Metadata"`
	CreatedAt         time.Time         `json:"CreatedAt"`
	UpdatedAt         time.Time         `json:"UpdatedAt"`
	Items             []invoiceItemView `json:"items,omitempty"`
}

// viewInvoice renders an invoice; withItems is the single-invoice read (lists carry no items).
func viewInvoice(inv *invoice, withItems bool) invoiceView {
	v := invoiceView{ID: inv.ID.String(), OrgID: inv.OrgID.String(), InvoiceSeq: inv.InvoiceSeq,
		InvoiceNumber: inv.InvoiceNumber, BillingCycleID: inv.BillingCycleID.String(),
		SubscriptionID: inv.SubscriptionID.String(), CustomerID: inv.CustomerID.String(), Status: inv.Status,
		SubtotalAmount: inv.SubtotalAmount, TaxAmount: inv.TaxAmount, TotalAmount: inv.TotalAmount,
		Currency: inv.Currency, PeriodStart: inv.PeriodStart, PeriodEnd: inv.PeriodEnd, IssuedAt: inv.IssuedAt,
		DueAt: inv.DueAt, FinalizedAt: inv.FinalizedAt, Metadata: map[string]any{}, CreatedAt: inv.CreatedAt,
		UpdatedAt: inv.UpdatedAt}
	if inv.Status == "FINALIZED" {
		v.RenderedHTML = "<html><body><h1>" + inv.InvoiceNumber + "</h1></body></html>"
	}
	if withItems {
		v.Items = make([]invoiceItemView, 0, len(inv.Items))
		for _, it := range inv.Items {
			v.Items = append(v.Items, invoiceItemView{ID: it.ID.String(), OrgID: inv.OrgID.String(),
				InvoiceID: inv.ID.String(), RatingResultID: it.RatingResultID.String(), Description: it.Description,
				Quantity: it.Quantity, UnitPrice: it.UnitPrice, Amount: it.Amount, Metadata: map[string]any{},
				CreatedAt: it.CreatedAt})
		}
	}
	return v
}

// invoiceNumber is Valora's FormatInvoiceNumber: INV-{YYYYMMDD of generation, UTC}-{sequence, 6 digits}.
func invoiceNumber(at time.Time, seq int64) string {
	return fmt.Sprintf("INV-%s-%06d", at.UTC().Format("20060102"), seq)
}

// insertInvoice stores inv under the next number of its org's sequence (invoice_sequences, per org), at its
// CreatedAt. The caller holds st.mu for writing.
func (st *state) insertInvoice(inv *invoice) {
	st.invoiceSeq[inv.OrgID]++
	inv.InvoiceSeq = st.invoiceSeq[inv.OrgID]
	inv.InvoiceNumber = invoiceNumber(inv.CreatedAt, inv.InvoiceSeq)
	st.invoices[inv.ID] = inv
	// invoicesByOrg is ascending (created_at, id), like customersByOrg; lists walk it backwards.
	list := st.invoicesByOrg[inv.OrgID]
	i := len(list)
	for i > 0 && (list[i-1].CreatedAt.After(inv.CreatedAt) || list[i-1].CreatedAt.Equal(inv.CreatedAt) && list[i-1].ID > inv.ID) {
		i--
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = inv
	st.invoicesByOrg[inv.OrgID] = list
}

// getInvoice is GET /api/invoices/:id and GET /admin/invoices/:id: the invoice with its items, 404 for another
// org's id.
func (s *Server) getInvoice(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	id, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil || id == 0 {
		writeError(w, errInvalid("invalid_id"))
		return
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	inv := s.st.invoices[id]
	if inv == nil || (inv.OrgID != rc.orgID && !s.faults.has(FaultTenantRead)) {
		writeError(w, errNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": viewInvoice(inv, true)})
}

// invoiceCursor is the invoice list's page token: the customers' form, but with created_at in RFC 3339 with
// nanoseconds, so a walk loses no row created in the same second.
func invoiceCursor(inv *invoice) string {
	b, _ := json.Marshal(cursor{ID: inv.ID.String(), CreatedAt: inv.CreatedAt.Format(time.RFC3339Nano)})
	return base64.StdEncoding.EncodeToString(b)
}

type invoiceFilter struct {
	status, number string
	customer       valoraid.ID
}

func (f invoiceFilter) match(inv *invoice) bool {
	return (f.status == "" || inv.Status == f.status) && (f.number == "" || inv.InvoiceNumber == f.number) &&
		(f.customer == 0 || inv.CustomerID == f.customer)
}

// listInvoices is GET /api/invoices and GET /admin/invoices: {"data":[…],"page_info":{…}}, newest first, without
// items. page_size absent or not positive → 100, capped at 250; filters status, customer_id, invoice_number.
func (s *Server) listInvoices(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	pageSize := 100
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, errInvalidRequest)
			return
		}
		if n > 0 {
			pageSize = min(n, 250)
		}
	}
	f := invoiceFilter{status: strings.ToUpper(strings.TrimSpace(q.Get("status"))), number: strings.TrimSpace(q.Get("invoice_number"))}
	if f.status != "" && f.status != "DRAFT" && f.status != "FINALIZED" && f.status != "VOID" {
		writeError(w, errValidation("status", "invalid_status", "invalid status"))
		return
	}
	if raw := strings.TrimSpace(q.Get("customer_id")); raw != "" {
		id, err := valoraid.ParseString(raw)
		if err != nil {
			writeError(w, errValidation("customer_id", "invalid_customer_id", "invalid customer id"))
			return
		}
		f.customer = id
	}
	hasCursor, curID, curTime, ok := decodePageToken(q.Get("page_token"))
	if !ok {
		writeError(w, errInternal)
		return
	}
	s.st.mu.RLock()
	list := s.st.invoicesByOrg[rc.orgID]
	rows := make([]invoiceView, 0, min(pageSize+1, len(list)))
	last := ""
	for i := len(list) - 1; i >= 0 && len(rows) <= pageSize; i-- {
		inv := list[i]
		if !f.match(inv) || hasCursor && !(inv.ID < curID && inv.CreatedAt.Before(curTime)) {
			continue
		}
		if len(rows) < pageSize {
			last = invoiceCursor(inv)
		}
		rows = append(rows, viewInvoice(inv, false))
	}
	s.st.mu.RUnlock()
	hasMore := len(rows) > pageSize
	if hasMore {
		rows = rows[:pageSize]
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": rows, "page_info": map[string]any{
		"next_page_token": last, "previous_page_token": "", "has_more": hasMore}})
}
