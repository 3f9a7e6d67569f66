package standin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type customer struct {
	ID        valoraid.ID
	OrgID     valoraid.ID
	Name      string
	Email     string
	Currency  string
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time

	// Customers never change once created, so their JSON and page token are rendered once, at insert.
	json  []byte
	token string
}

// insertCustomer keeps customersByOrg sorted. Caller holds st.mu for writing.
func (st *state) insertCustomer(c *customer) {
	c.json, _ = json.Marshal(viewCustomer(c))
	c.token = encodeCursor(c)
	st.customers[c.ID] = c
	list := st.customersByOrg[c.OrgID]
	i := sort.Search(len(list), func(i int) bool {
		o := list[i]
		if !o.CreatedAt.Equal(c.CreatedAt) {
			return o.CreatedAt.After(c.CreatedAt)
		}
		return o.ID > c.ID
	})
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = c
	st.customersByOrg[c.OrgID] = list
}

type customerView struct {
	ID             string         `json:"id"`
	OrganizationID string         `json:"organization_id"`
	Name           string         `json:"name"`
	Email          string         `json:"email"`
	Currency       string         `json:"currency,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func viewCustomer(c *customer) customerView {
	return customerView{ID: c.ID.String(), OrganizationID: c.OrgID.String(), Name: c.Name, Email: c.Email,
		Currency: c.Currency, Metadata: c.Metadata, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

type cursor struct {
	ID        string `json:"id,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
}

// encodeCursor is Valora's page token: standard, padded base64 of {"id","created_at"} with created_at in whole
// seconds (RFC 3339 drops the fraction: the time is truncated, not rounded).
func encodeCursor(c *customer) string {
	b, _ := json.Marshal(cursor{ID: c.ID.String(), CreatedAt: c.CreatedAt.Format(time.RFC3339)})
	return base64.StdEncoding.EncodeToString(b)
}

// decodePageToken reads a page_token as Valora's ApplyPagination does. An empty token, or one that does not decode
// (bad base64 or bad JSON), is no cursor: page 1. One that decodes to an unusable id or time makes the SQL cast
// fail: ok is false, a 500.
func decodePageToken(token string) (has bool, id valoraid.ID, at time.Time, ok bool) {
	if token == "" {
		return false, 0, time.Time{}, true
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return false, 0, time.Time{}, true
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return false, 0, time.Time{}, true
	}
	n, idErr := strconv.ParseInt(strings.TrimSpace(c.ID), 10, 64)
	t, tOK := parseCursorTime(c.CreatedAt)
	if idErr != nil || !tOK {
		return false, 0, time.Time{}, false
	}
	return true, valoraid.ID(n), t, true
}

// cursorTimeLayouts are the forms Postgres would accept for the created_at comparison.
var cursorTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

func parseCursorTime(s string) (time.Time, bool) {
	for _, layout := range cursorTimeLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseOptionalTime is Valora's created_from/created_to parsing: RFC 3339 or a date; a date-only upper bound
// covers the whole day.
func parseOptionalTime(raw string, endOfDay bool) (*time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return &t, nil
	}
	t, err := time.Parse("2006-01-02", raw)
	if err != nil {
		return nil, err
	}
	if endOfDay {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return &t, nil
}

type customerFilter struct {
	name, email, currency string
	from, to              *time.Time
}

func (f *customerFilter) match(c *customer) bool {
	return (f.name == "" || c.Name == f.name) &&
		(f.email == "" || c.Email == f.email) &&
		(f.currency == "" || c.Currency == f.currency) &&
		(f.from == nil || !c.CreatedAt.Before(*f.from)) &&
		(f.to == nil || !c.CreatedAt.After(*f.to))
}

// listCustomers is GET /api/customers and GET /admin/customers (contract 3.1). The response is
// ListCustomerResponse, whose embedded PageInfo puts the page fields next to "customers".
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	pageSize := 10 // gin's default=10 when the parameter is absent or empty
	if v, ok := q["page_size"]; ok && len(v) > 0 && v[0] != "" {
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			writeError(w, errInvalidRequest)
			return
		}
		// The service takes int32(page_size) and replaces 0 or less by 50; there is no upper bound.
		pageSize = int(int32(n))
		if pageSize <= 0 {
			pageSize = 50
		}
	}
	var f customerFilter
	f.name, f.email, f.currency = strings.TrimSpace(q.Get("name")), strings.TrimSpace(q.Get("email")), strings.TrimSpace(q.Get("currency"))
	var err error
	if f.from, err = parseOptionalTime(q.Get("created_from"), false); err != nil {
		writeError(w, errValidation("created_from", "invalid_created_from", "invalid created_from"))
		return
	}
	if f.to, err = parseOptionalTime(q.Get("created_to"), true); err != nil {
		writeError(w, errValidation("created_to", "invalid_created_to", "invalid created_to"))
		return
	}

	hasCursor, curID, curTime, ok := decodePageToken(q.Get("page_token"))
	if !ok {
		writeError(w, errInternal)
		return
	}

	repeat := hasCursor && s.faults.has(FaultPageRepeat)
	drop := hasCursor && s.faults.has(FaultPageDrop)
	stuck := s.faults.has(FaultPageTokenStuck)

	s.st.mu.RLock()
	list := s.st.customersByOrg[rc.orgID]
	firstToken := ""
	if stuck {
		// FaultPageTokenStuck: the token the first page of this listing (same filters and size) returned.
		n := 0
		for i := len(list) - 1; i >= 0 && n < pageSize; i-- {
			if c := list[i]; f.match(c) {
				firstToken = c.token
				n++
			}
		}
	}
	rows := make([]*customer, 0, min(pageSize+1, len(list)+1))
	dropped := false
	for i := len(list) - 1; i >= 0 && len(rows) <= pageSize; i-- {
		c := list[i]
		if !f.match(c) {
			continue
		}
		if hasCursor {
			// Valora: id < cursor.id AND created_at < cursor.created_at, both strict, against a cursor time cut
			// to whole seconds. So every row created in the same second as the page's last row (its created_at
			// is that second plus a fraction, never before it) is lost, as in Valora; the fixture gives every
			// row its own second so that walking it loses nothing.
			after := c.ID < curID && c.CreatedAt.Before(curTime)
			if repeat && c.ID == curID {
				after = true
			}
			if !after {
				continue
			}
			if drop && !dropped {
				dropped = true
				continue
			}
		}
		rows = append(rows, c)
	}
	s.st.mu.RUnlock()

	hasMore := len(rows) > pageSize
	if hasMore {
		rows = rows[:pageSize]
	}
	// The token is the last row's cursor, set even when has_more is false (empty only for an empty page).
	token := ""
	if len(rows) > 0 {
		token = rows[len(rows)-1].token
	}
	if stuck {
		token = firstToken
	}
	if s.faults.has(FaultPageOrder) {
		slices.Reverse(rows) // the page's own rows, oldest first; the token above still points at the oldest
	}
	writeCustomerPage(w, rows, token, hasMore, s.faults.has(FaultPageShape), s.fl.pageInfo)
}

// writeCustomerPage writes Valora's {"data":{next_page_token, previous_page_token, has_more, customers}}, or with
// pageInfo Railzway's {"data":[…],"page_info":{next_page_token, previous_page_token, has_more}}, from the rows'
// pre-rendered JSON. hasMoreString is FaultPageShape: has_more as the JSON string "true" or "false".
func writeCustomerPage(w http.ResponseWriter, rows []*customer, token string, hasMore, hasMoreString, pageInfo bool) {
	size := 128 + len(token)
	for _, c := range rows {
		size += len(c.json) + 1
	}
	b := make([]byte, 0, size)
	appendInfo := func(b []byte) []byte {
		b = append(b, `"next_page_token":"`...)
		b = append(b, token...) // base64: nothing to escape
		b = append(b, `","previous_page_token":"","has_more":`...)
		if hasMoreString {
			b = append(b, '"')
			b = strconv.AppendBool(b, hasMore)
			return append(b, '"')
		}
		return strconv.AppendBool(b, hasMore)
	}
	appendRows := func(b []byte) []byte {
		b = append(b, '[')
		for i, c := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, c.json...)
		}
		return append(b, ']')
	}
	if pageInfo {
		b = append(b, `{"data":`...)
		b = appendRows(b)
		b = append(b, `,"page_info":{`...)
		b = appendInfo(b)
		b = append(b, "}}"...)
	} else {
		b = append(b, `{"data":{`...)
		b = appendInfo(b)
		b = append(b, `,"customers":`...)
		b = appendRows(b)
		b = append(b, "}}"...)
	}
	writeRaw(w, http.StatusOK, b)
}

type createCustomerRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// createCustomer is POST /api/customers and /admin/customers (contract 3.2): no uniqueness, no idempotency.
func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createCustomerRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	name, email := strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	if name == "" {
		writeError(w, errInvalid("invalid_name"))
		return
	}
	if !strings.Contains(email, "@") {
		writeError(w, errInvalid("invalid_email"))
		return
	}
	// Postgres keeps timestamps to the microsecond: rows created within one second keep distinct, sub-second
	// created_at values, which the whole-second page token cannot tell apart.
	now := time.Now().UTC().Truncate(time.Microsecond)
	c := &customer{ID: s.gen.Next(), OrgID: rc.orgID, Name: name, Email: email, CreatedAt: now, UpdatedAt: now}
	s.st.mu.Lock()
	if s.fl.quotas && s.cfg.CustomerQuota > 0 && len(s.st.customersByOrg[rc.orgID]) >= s.cfg.CustomerQuota {
		s.st.mu.Unlock()
		writeError(w, errQuotaExceeded)
		return
	}
	s.st.insertCustomer(c)
	s.st.mu.Unlock()
	writeCustomer(w, c)
}

// getCustomer is GET /api/customers/:id and /admin/customers/:id (contract 3.3).
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	id, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil {
		writeError(w, errInvalid("invalid_id"))
		return
	}
	s.st.mu.RLock()
	c := s.st.customers[id]
	s.st.mu.RUnlock()
	if c == nil || (c.OrgID != rc.orgID && !s.faults.has(FaultTenantRead)) {
		writeError(w, errNotFound)
		return
	}
	writeCustomer(w, c)
}

func writeCustomer(w http.ResponseWriter, c *customer) {
	b := make([]byte, 0, len(c.json)+10)
	b = append(b, `{"data":`...)
	b = append(b, c.json...)
	writeRaw(w, http.StatusOK, append(b, '}'))
}
