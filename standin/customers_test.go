package standin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type pageResult struct {
	ids     []string
	created []string
	tokens  []string
	lastHas bool
}

// walkPages follows next_page_token until has_more is false, as pagination.js does.
func walkPages(t *testing.T, h *harness, prefix string, pageSize int, headers hdr) pageResult {
	t.Helper()
	var out pageResult
	token := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		path := prefix + "?page_size=" + strconv.Itoa(pageSize)
		if token != "" {
			path += "&page_token=" + url.QueryEscape(token)
		}
		r := h.do("GET", path, "", headers)
		wantStatus(t, r, 200)
		var body struct {
			Data struct {
				Next      string `json:"next_page_token"`
				Prev      string `json:"previous_page_token"`
				HasMore   bool   `json:"has_more"`
				Customers []struct {
					ID        string `json:"id"`
					OrgID     string `json:"organization_id"`
					CreatedAt string `json:"created_at"`
				} `json:"customers"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.Prev != "" {
			t.Fatalf("previous_page_token %q, want always empty", body.Data.Prev)
		}
		for _, c := range body.Data.Customers {
			out.ids = append(out.ids, c.ID)
			out.created = append(out.created, c.CreatedAt)
		}
		out.tokens = append(out.tokens, body.Data.Next)
		if len(body.Data.Customers) > 0 && body.Data.Next == "" {
			t.Fatal("a non-empty page without next_page_token")
		}
		if !body.Data.HasMore {
			out.lastHas = body.Data.Next != ""
			return out
		}
		token = body.Data.Next
	}
}

func TestPaginationHealthy(t *testing.T) {
	h := start(t, Config{Customers: 53})
	for _, route := range []struct {
		prefix string
		header hdr
	}{{"/admin/customers", h.admin()}, {"/api/customers", h.key()}} {
		for _, size := range []int{1, 7, 10, 54, 500} {
			res := walkPages(t, h, route.prefix, size, route.header)
			if len(res.ids) != h.fx.Customers {
				t.Fatalf("%s page_size %d: saw %d customers, want %d", route.prefix, size, len(res.ids), h.fx.Customers)
			}
			seen := map[string]bool{}
			for i, id := range res.ids {
				if seen[id] {
					t.Fatalf("%s page_size %d: %s seen twice", route.prefix, size, id)
				}
				seen[id] = true
				if i > 0 {
					prev, _ := strconv.ParseInt(res.ids[i-1], 10, 64)
					cur, _ := strconv.ParseInt(id, 10, 64)
					pt, _ := time.Parse(time.RFC3339Nano, res.created[i-1])
					ct, _ := time.Parse(time.RFC3339Nano, res.created[i])
					if ct.After(pt) || (ct.Equal(pt) && cur > prev) {
						t.Fatalf("order broken at %d", i)
					}
				}
			}
			tokens := map[string]bool{}
			for _, tok := range res.tokens {
				if tokens[tok] {
					t.Fatalf("token repeats: %s", tok)
				}
				tokens[tok] = true
			}
			if !res.lastHas {
				t.Fatalf("%s page_size %d: the last page has no next_page_token; Valora sets it", route.prefix, size)
			}
		}
	}

	// The token is std base64 of {"id","created_at"} with created_at in whole seconds.
	r := h.do("GET", "/admin/customers?page_size=2", "", h.admin())
	data := r.json(t)["data"].(map[string]any)
	raw, err := base64.StdEncoding.DecodeString(str(t, data["next_page_token"]))
	if err != nil {
		t.Fatal(err)
	}
	var cur map[string]string
	if err := json.Unmarshal(raw, &cur); err != nil || len(cur) != 2 || cur["id"] == "" {
		t.Fatalf("cursor %s", raw)
	}
	if _, err := time.Parse(time.RFC3339, cur["created_at"]); err != nil || len(cur["created_at"]) != len("2006-01-02T15:04:05Z") {
		t.Fatalf("cursor created_at %q", cur["created_at"])
	}
}

func TestPaginationParameters(t *testing.T) {
	h := start(t, Config{Customers: 60})
	count := func(query string) (int, bool) {
		r := h.do("GET", "/admin/customers"+query, "", h.admin())
		wantStatus(t, r, 200)
		data := r.json(t)["data"].(map[string]any)
		return len(data["customers"].([]any)), data["has_more"].(bool)
	}
	for _, tc := range []struct {
		query string
		n     int
	}{
		{"", 10}, {"?page_size=", 10}, {"?page_size=0", 50}, {"?page_size=-4", 50}, {"?page_size=3", 3},
		{"?page_size=1000", 61}, {"?page_size=4294967296", 50}, // int32 wrap to 0, as the service converts
		{"?page_size=2&page_token=%25%25notbase64", 2}, {"?page_size=2&page_token=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("[1]"))), 2},
		{"?page_size=100&name=k6", 1}, {"?page_size=100&email=page-00003@example.com", 1}, {"?page_size=100&currency=EUR", 0},
		{"?page_size=100&created_from=2999-01-01", 0}, {"?page_size=100&created_to=2000-01-01", 0},
	} {
		if n, _ := count(tc.query); n != tc.n {
			t.Errorf("%q: %d customers, want %d", tc.query, n, tc.n)
		}
	}
	wantEnvelope(t, h.do("GET", "/admin/customers?page_size=ten", "", h.admin()), 400, "validation_error", "request", "invalid_request")
	wantEnvelope(t, h.do("GET", "/admin/customers?created_from=yesterday", "", h.admin()), 400, "validation_error", "created_from", "invalid_created_from")
	wantEnvelope(t, h.do("GET", "/admin/customers?created_to=soon", "", h.admin()), 400, "validation_error", "created_to", "invalid_created_to")
	// A token that decodes to an unusable cursor is an SQL cast error in Valora: 500.
	for _, c := range []string{`{"id":"x","created_at":"2026-01-01T00:00:00Z"}`, `{"id":"1"}`, `{}`} {
		tok := url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(c)))
		wantEnvelope(t, h.do("GET", "/admin/customers?page_token="+tok, "", h.admin()), 500, "internal_error", "", "")
	}
	// An empty page has an empty token.
	r := h.do("GET", "/admin/customers?name=nobody", "", h.admin())
	if d := r.json(t)["data"].(map[string]any); d["next_page_token"] != "" || len(d["customers"].([]any)) != 0 || d["has_more"] != false {
		t.Fatalf("empty page %s", r.body)
	}
}

func TestPaginationFaults(t *testing.T) {
	h := start(t, Config{Customers: 30})
	h.s.SetFaults(FaultPageRepeat)
	res := walkPages(t, h, "/admin/customers", 5, h.admin())
	seen, dup := map[string]bool{}, 0
	for _, id := range res.ids {
		if seen[id] {
			dup++
		}
		seen[id] = true
	}
	if dup == 0 || len(seen) != h.fx.Customers {
		t.Fatalf("page-repeat: %d duplicates, %d distinct: want duplicates and nothing lost", dup, len(seen))
	}

	h.s.SetFaults(FaultPageDrop)
	res = walkPages(t, h, "/admin/customers", 5, h.admin())
	if len(res.ids) >= h.fx.Customers {
		t.Fatalf("page-drop: saw %d of %d customers, want some dropped", len(res.ids), h.fx.Customers)
	}
	// One page with no boundary hides the fault: that is what a scenario compares against.
	if r := h.do("GET", "/admin/customers?page_size=1000", "", h.admin()); len(r.json(t)["data"].(map[string]any)["customers"].([]any)) != h.fx.Customers {
		t.Fatal("page-drop changed a single page")
	}

	// page_size=1 under page-repeat: the same token comes back forever, which pagination.js detects.
	h.s.SetFaults(FaultPageRepeat)
	first := h.do("GET", "/admin/customers?page_size=1", "", h.admin()).json(t)["data"].(map[string]any)["next_page_token"].(string)
	second := h.do("GET", "/admin/customers?page_size=1&page_token="+url.QueryEscape(first), "", h.admin()).json(t)["data"].(map[string]any)["next_page_token"].(string)
	if first != second {
		t.Fatal("page-repeat with page_size=1 should repeat the token")
	}
}

func TestCustomersCreateGetAndTenants(t *testing.T) {
	h := start(t, Config{Customers: 3})
	r := h.do("POST", "/api/customers", `{"name":"  Ada  ","email":" ada@example.com "}`, h.key())
	wantStatus(t, r, 200)
	c := r.json(t)["data"].(map[string]any)
	if c["name"] != "Ada" || c["email"] != "ada@example.com" || c["organization_id"] != h.fx.OrgID {
		t.Fatalf("created %v", c)
	}
	if _, ok := c["currency"]; ok {
		t.Fatal("currency should be omitted")
	}
	if _, ok := c["metadata"]; ok {
		t.Fatal("metadata should be omitted")
	}
	id := str(t, c["id"])
	g := h.do("GET", "/api/customers/"+id, "", h.key())
	wantStatus(t, g, 200)
	if g.json(t)["data"].(map[string]any)["id"] != id {
		t.Fatalf("get %s", g.body)
	}
	// The same data through /admin.
	wantStatus(t, h.do("GET", "/admin/customers/"+id, "", h.admin()), 200)
	wantStatus(t, h.do("POST", "/admin/customers", `{"name":"Bob","email":"bob@example.com"}`, h.admin()), 200)

	for _, tc := range []struct {
		body, field, code string
	}{
		{`{"name":"","email":"a@b"}`, "name", "invalid_name"},
		{`{"name":"x","email":"nope"}`, "email", "invalid_email"},
		{`{"name":1}`, "request", "invalid_request"},
		{`not json`, "request", "invalid_request"},
		{``, "request", "invalid_request"},
	} {
		wantEnvelope(t, h.do("POST", "/api/customers", tc.body, h.key()), 400, "validation_error", tc.field, tc.code)
	}
	wantEnvelope(t, h.do("GET", "/api/customers/abc", "", h.key()), 400, "validation_error", "id", "invalid_id")
	wantEnvelope(t, h.do("GET", "/api/customers/123", "", h.key()), 404, "not_found", "", "")

	// Tenant separation: the other org's key sees its own customer only, and not Main's.
	other := hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey}
	lr := h.do("GET", "/api/customers?page_size=100", "", other)
	list := lr.json(t)["data"].(map[string]any)["customers"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != h.fx.OtherCustomerID {
		t.Fatalf("other org lists %s", lr.body)
	}
	wantEnvelope(t, h.do("GET", "/api/customers/"+h.fx.CustomerID, "", other), 404, "not_found", "", "")
	wantEnvelope(t, h.do("GET", "/api/customers/"+h.fx.OtherCustomerID, "", h.key()), 404, "not_found", "", "")
}

// TestPaginationLosesSameSecondRows is contract 3.1 as Valora behaves: created_at is kept to the microsecond, the
// page token keeps whole seconds, and the next page asks for id < cursor.id AND created_at < cursor.created_at. So
// the rows created in the same second as a page's last row, but not on that page, are never seen.
func TestPaginationLosesSameSecondRows(t *testing.T) {
	h := start(t, Config{Customers: 1})
	var created []customerView
	for attempt := 0; ; attempt++ {
		// Start just after a second boundary, so that ten creations fit in one second.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
		created = created[:0]
		for i := 0; i < 10; i++ {
			r := h.do("POST", "/api/customers", fmt.Sprintf(`{"name":"same-second-%d","email":"s%d@example.com"}`, i, i), h.key())
			wantStatus(t, r, 200)
			var body struct{ Data customerView }
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			created = append(created, body.Data)
		}
		if created[0].CreatedAt.Truncate(time.Second).Equal(created[9].CreatedAt.Truncate(time.Second)) {
			break
		}
		if attempt == 3 {
			t.Fatal("could not create ten customers within one second")
		}
	}
	// Stored at microsecond precision, as Postgres keeps them: distinct, sub-second, no nanoseconds.
	fractional := 0
	for i, c := range created {
		if c.CreatedAt.Nanosecond()%1000 != 0 {
			t.Fatalf("created_at %v has sub-microsecond digits", c.CreatedAt)
		}
		if c.CreatedAt.Nanosecond() != 0 {
			fractional++
		}
		if i > 0 && !c.CreatedAt.After(created[i-1].CreatedAt) {
			t.Fatalf("created_at does not increase: %v then %v", created[i-1].CreatedAt, c.CreatedAt)
		}
	}
	if fractional == 0 {
		t.Fatal("no created_at has a sub-second part")
	}

	res := walkPages(t, h, "/api/customers", 3, h.key())
	seen := map[string]bool{}
	for _, id := range res.ids {
		seen[id] = true
	}
	// Page 1 is the three newest; the seven older rows of that second are skipped; the fixture's two customers,
	// each in an earlier second, follow.
	for i, c := range created {
		if want := i >= 7; seen[c.ID] != want {
			t.Errorf("customer %d of the second: seen %v, want %v", i, seen[c.ID], want)
		}
	}
	if len(res.ids) != 3+2 || !seen[h.fx.CustomerID] {
		t.Fatalf("walk saw %d customers %v, want the 3 newest and the 2 fixture customers", len(res.ids), res.ids)
	}
	// The first token carries the second of the page's last row, without its fraction.
	raw, err := base64.StdEncoding.DecodeString(res.tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	var cur map[string]string
	if err := json.Unmarshal(raw, &cur); err != nil {
		t.Fatal(err)
	}
	if want := created[7].CreatedAt.Truncate(time.Second).Format(time.RFC3339); cur["id"] != created[7].ID || cur["created_at"] != want {
		t.Fatalf("token %s, want id %s created_at %s", raw, created[7].ID, want)
	}
	// One page large enough holds them all: nothing is missing from the store.
	if all := walkPages(t, h, "/api/customers", 100, h.key()); len(all.ids) != 12 {
		t.Fatalf("one page of 100 holds %d customers, want 12", len(all.ids))
	}
}

// listPage is one customer list page, raw and decoded.
type listPage struct {
	raw  []byte
	next string
	more json.RawMessage
	rows []json.RawMessage
}

func getPage(t *testing.T, h *harness, prefix string, headers hdr, query string) listPage {
	t.Helper()
	r := h.do("GET", prefix+"?"+query, "", headers)
	wantStatus(t, r, 200)
	var body struct {
		Data struct {
			Next      string            `json:"next_page_token"`
			HasMore   json.RawMessage   `json:"has_more"`
			Customers []json.RawMessage `json:"customers"`
		}
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	return listPage{raw: r.body, next: body.Data.Next, more: body.Data.HasMore, rows: body.Data.Customers}
}

// healthyPages walks the healthy listing at pageSize and returns every page with the query that fetched it.
func healthyPages(t *testing.T, h *harness, prefix string, headers hdr, pageSize int) (queries []string, pages []listPage) {
	t.Helper()
	q := "page_size=" + strconv.Itoa(pageSize)
	for {
		p := getPage(t, h, prefix, headers, q)
		queries, pages = append(queries, q), append(pages, p)
		if string(p.more) != "true" {
			return queries, pages
		}
		q = "page_size=" + strconv.Itoa(pageSize) + "&page_token=" + url.QueryEscape(p.next)
	}
}

// pageRoutes are the two routes that serve customer lists, with their credentials.
func pageRoutes(h *harness) []struct {
	prefix string
	header hdr
} {
	return []struct {
		prefix string
		header hdr
	}{{"/admin/customers", h.admin()}, {"/api/customers", h.key()}}
}

// TestPageShapeFault: page-shape writes has_more as the string "true" or "false"; every other byte of every page
// is the healthy page's.
func TestPageShapeFault(t *testing.T) {
	h := start(t, Config{Customers: 12})
	for _, route := range pageRoutes(h) {
		queries, healthy := healthyPages(t, h, route.prefix, route.header, 5)
		if len(healthy) != 3 {
			t.Fatalf("%s: %d pages of 13 customers at 5, want 3", route.prefix, len(healthy))
		}
		h.s.SetFaults(FaultPageShape)
		for i, q := range queries {
			got := getPage(t, h, route.prefix, route.header, q)
			b := string(healthy[i].more)
			want := strings.Replace(string(healthy[i].raw), `"has_more":`+b+`,`, `"has_more":"`+b+`",`, 1)
			if string(got.raw) != want || want == string(healthy[i].raw) {
				t.Fatalf("%s page %d:\n%s\nwant\n%s", route.prefix, i+1, got.raw, want)
			}
		}
		h.s.SetFaults()
		if got := getPage(t, h, route.prefix, route.header, queries[0]); string(got.raw) != string(healthy[0].raw) {
			t.Fatalf("%s: healthy again differs", route.prefix)
		}
	}
}

// TestPageOrderFault: page-order serves each page's own rows reversed (oldest first) with the healthy page's token
// and has_more, so a walk sees the same rows, in the wrong order.
func TestPageOrderFault(t *testing.T) {
	h := start(t, Config{Customers: 12})
	for _, route := range pageRoutes(h) {
		queries, healthy := healthyPages(t, h, route.prefix, route.header, 5)
		h.s.SetFaults(FaultPageOrder)
		for i, q := range queries {
			got := getPage(t, h, route.prefix, route.header, q)
			want := slices.Clone(healthy[i].rows)
			slices.Reverse(want)
			if got.next != healthy[i].next || string(got.more) != string(healthy[i].more) || fmt.Sprint(got.rows) != fmt.Sprint(want) {
				t.Fatalf("%s page %d: token %v, has_more %s, rows reversed %v", route.prefix, i+1,
					got.next == healthy[i].next, got.more, fmt.Sprint(got.rows) == fmt.Sprint(want))
			}
			if len(got.rows) > 1 && fmt.Sprint(got.rows) == fmt.Sprint(healthy[i].rows) {
				t.Fatalf("%s page %d is in the healthy order", route.prefix, i+1)
			}
		}
		// Following the faulty pages' own tokens walks the same pages.
		_, faulty := healthyPages(t, h, route.prefix, route.header, 5)
		if len(faulty) != len(healthy) {
			t.Fatalf("%s: %d pages under page-order, %d healthy", route.prefix, len(faulty), len(healthy))
		}
		h.s.SetFaults()
	}
}

// TestPageTokenStuckFault: under page-token-stuck every page's next_page_token is the one the first page of the
// same listing returned; the rows and has_more of the page asked for are the healthy ones, so a walk that follows
// the tokens gets page 2 again and again.
func TestPageTokenStuckFault(t *testing.T) {
	h := start(t, Config{Customers: 12})
	for _, route := range pageRoutes(h) {
		queries, healthy := healthyPages(t, h, route.prefix, route.header, 5)
		first := healthy[0].next
		h.s.SetFaults(FaultPageTokenStuck)
		for i, q := range queries { // including page 3, asked for with a token the fault never hands out
			got := getPage(t, h, route.prefix, route.header, q)
			if got.next != first || string(got.more) != string(healthy[i].more) || fmt.Sprint(got.rows) != fmt.Sprint(healthy[i].rows) {
				t.Fatalf("%s page %d: token is first page's %v, has_more %s (healthy %s)", route.prefix, i+1,
					got.next == first, got.more, healthy[i].more)
			}
		}
		// Following the tokens: page 2 comes back, with has_more true, forever.
		page2 := getPage(t, h, route.prefix, route.header, "page_size=5&page_token="+url.QueryEscape(first))
		again := getPage(t, h, route.prefix, route.header, "page_size=5&page_token="+url.QueryEscape(page2.next))
		if string(again.raw) != string(page2.raw) || string(again.more) != "true" {
			t.Fatalf("%s: following the stuck token gave another page", route.prefix)
		}
		// The first page's token is the first page of this listing: filters and page size count.
		one := getPage(t, h, route.prefix, route.header, "page_size=3&email=page-00004@example.com")
		if len(one.rows) != 1 || string(one.more) != "false" || one.next == "" || one.next == first {
			t.Fatalf("%s: filtered page %s", route.prefix, one.raw)
		}
		if none := getPage(t, h, route.prefix, route.header, "name=nobody"); none.next != "" {
			t.Fatalf("%s: an empty listing has token %q", route.prefix, none.next)
		}
		h.s.SetFaults()
		if got := getPage(t, h, route.prefix, route.header, queries[1]); got.next != healthy[1].next {
			t.Fatalf("%s: healthy again, page 2's token is not its own", route.prefix)
		}
	}
}
