package standin

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// TestInvoiceReads: an org reads its own invoice (PascalCase keys, items, Valora's number form) on /api and
// /admin; another org's invoice is 404 on both, and lists hold only the org's own rows.
func TestInvoiceReads(t *testing.T) {
	h := start(t, Config{Customers: 2})
	for _, tc := range []struct {
		prefix string
		header hdr
	}{{"/api", h.key()}, {"/admin", h.admin()}} {
		r := h.do("GET", tc.prefix+"/invoices/"+h.fx.InvoiceID, "", tc.header)
		wantStatus(t, r, 200)
		data := r.json(t)["data"].(map[string]any)
		if str(t, data["ID"]) != h.fx.InvoiceID || str(t, data["CustomerID"]) != h.fx.CustomerID || data["Status"] != "FINALIZED" {
			t.Fatalf("%s: invoice %s", tc.prefix, r.body)
		}
		if n, _ := data["InvoiceNumber"].(string); !strings.HasPrefix(n, "INV-") || !strings.HasSuffix(n, "-000001") {
			t.Fatalf("%s: invoice number %q", tc.prefix, n)
		}
		if items, _ := data["items"].([]any); len(items) != 1 {
			t.Fatalf("%s: items %s", tc.prefix, r.body)
		}
		wantEnvelope(t, h.do("GET", tc.prefix+"/invoices/"+h.fx.OtherInvoiceID, "", tc.header), 404, "not_found", "", "")
		wantEnvelope(t, h.do("GET", tc.prefix+"/invoices/abc", "", tc.header), 400, "validation_error", "id", "invalid_id")

		list := h.do("GET", tc.prefix+"/invoices", "", tc.header)
		wantStatus(t, list, 200)
		body := list.json(t)
		rows := body["data"].([]any)
		if len(rows) != 1 || str(t, rows[0].(map[string]any)["ID"]) != h.fx.InvoiceID || rows[0].(map[string]any)["items"] != nil {
			t.Fatalf("%s: list %s", tc.prefix, list.body)
		}
		if pi := body["page_info"].(map[string]any); pi["has_more"] != false {
			t.Fatalf("%s: page_info %v", tc.prefix, pi)
		}
		if r := h.do("GET", tc.prefix+"/invoices?customer_id="+h.fx.OtherCustomerID, "", tc.header); len(r.json(t)["data"].([]any)) != 0 {
			t.Fatalf("%s: filtered by another org's customer: %s", tc.prefix, r.body)
		}
	}
	other := hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey}
	wantStatus(t, h.do("GET", "/api/invoices/"+h.fx.OtherInvoiceID, "", other), 200)
	wantEnvelope(t, h.do("GET", "/api/invoices/"+h.fx.InvoiceID, "", other), 404, "not_found", "", "")
}

// TestInvoiceListPages: invoices created within one second are walked without loss (the invoice cursor keeps
// nanoseconds), newest first, and each org's sequence numbers its own invoices.
func TestInvoiceListPages(t *testing.T) {
	h := start(t, Config{Customers: 2})
	org := mustID(t, h.fx.OrgID)
	base := time.Now().UTC().Truncate(time.Second)
	h.s.st.mu.Lock()
	for i := 0; i < 7; i++ {
		at := base.Add(time.Duration(i) * time.Millisecond)
		h.s.st.insertInvoice(&invoice{ID: h.s.gen.Next(), OrgID: org, Status: "DRAFT", CustomerID: mustID(t, h.fx.CustomerID),
			Currency: "USD", CreatedAt: at, UpdatedAt: at})
	}
	h.s.st.mu.Unlock()
	seen := map[string]bool{}
	var prev valoraid.ID
	token := ""
	for page := 0; page < 10; page++ {
		r := h.do("GET", "/api/invoices?page_size=3&page_token="+url.QueryEscape(token), "", h.key())
		wantStatus(t, r, 200)
		body := r.json(t)
		for _, row := range body["data"].([]any) {
			id := mustID(t, str(t, row.(map[string]any)["ID"]))
			if seen[id.String()] || prev != 0 && id >= prev {
				t.Fatalf("page %d: %s repeated or out of order", page, id)
			}
			seen[id.String()], prev = true, id
		}
		pi := body["page_info"].(map[string]any)
		if pi["has_more"] != true {
			break
		}
		token = pi["next_page_token"].(string)
	}
	if len(seen) != 8 {
		t.Fatalf("walked %d invoices, want 8", len(seen))
	}
	r := h.do("GET", "/api/invoices?status=DRAFT&page_size=1", "", h.key())
	if n := r.json(t)["data"].([]any)[0].(map[string]any)["InvoiceNumber"]; !strings.HasSuffix(n.(string), "-000008") {
		t.Fatalf("newest invoice number %v", n)
	}
	wantEnvelope(t, h.do("GET", "/api/invoices?status=PAID", "", h.key()), 400, "validation_error", "status", "invalid_status")
}
