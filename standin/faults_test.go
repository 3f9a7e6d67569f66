package standin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// invariant checks one property the suite guards against the running server; nil means it holds.
type invariant struct {
	name  string
	check func(h *harness) error
}

var eventSeq int

func freshEvent(t testing.TB, h *harness, amount int64) []byte {
	eventSeq++
	return stripeEvent(t, "charge.succeeded", "evt_inv"+strconv.Itoa(eventSeq), h.fx.CustomerID, amount)
}

// walk is what following next_page_token showed, read as leniently as the suite reads it, so that each page
// fault shows only in its own invariant.
type walk struct {
	ids      []string
	created  []time.Time
	complete bool   // reached a page with has_more false
	stuck    bool   // a page with has_more came with an empty token or one seen before (the walk stops there)
	shape    string // the first page whose has_more was not a JSON boolean
}

func walkLenient(h *harness, prefix string, headers hdr, pageSize int) (walk, error) {
	var w walk
	tokens := map[string]bool{}
	token := ""
	for i := 0; i < 500; i++ {
		path := prefix + "?page_size=" + strconv.Itoa(pageSize)
		if token != "" {
			path += "&page_token=" + url.QueryEscape(token)
		}
		r := h.do("GET", path, "", headers)
		if r.status != 200 {
			return w, fmt.Errorf("status %d", r.status)
		}
		var body struct {
			Data struct {
				Next      string          `json:"next_page_token"`
				HasMore   json.RawMessage `json:"has_more"`
				Customers []struct {
					ID        string
					CreatedAt time.Time `json:"created_at"`
				}
			}
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			return w, err
		}
		hasMore := false
		switch raw := string(body.Data.HasMore); raw {
		case "true", "false":
			hasMore = raw == "true"
		default:
			hasMore = raw == `"true"`
			if w.shape == "" {
				w.shape = fmt.Sprintf("page %d: has_more is %s", i+1, raw)
			}
		}
		for _, c := range body.Data.Customers {
			w.ids = append(w.ids, c.ID)
			w.created = append(w.created, c.CreatedAt)
		}
		if !hasMore {
			w.complete = true
			return w, nil
		}
		if body.Data.Next == "" || tokens[body.Data.Next] {
			w.stuck = true
			return w, nil
		}
		tokens[body.Data.Next] = true
		token = body.Data.Next
	}
	return w, fmt.Errorf("pagination does not end")
}

func walkIDs(h *harness, pageSize int) (walk, error) {
	return walkLenient(h, "/admin/customers", h.admin(), pageSize)
}

// onePage is the whole list in one page, which no boundary fault can touch.
func onePage(h *harness) (int, error) {
	r := h.do("GET", "/admin/customers?page_size=100000", "", h.admin())
	var body struct {
		Data struct{ Customers []json.RawMessage }
	}
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != 200 {
		return 0, fmt.Errorf("one page: %d %v", r.status, err)
	}
	return len(body.Data.Customers), nil
}

// activationSeq names the customers the activation invariant creates.
var activationSeq int

func invariants(t testing.TB) map[Fault]invariant {
	return map[Fault]invariant{
		FaultIngestDuplicate: {"one record per idempotency key", func(h *harness) error {
			key := uniqueKey("inv")
			ids := map[string]bool{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := h.ingest(key)
					mu.Lock()
					defer mu.Unlock()
					if r.status == 200 {
						var ev struct{ ID string }
						_ = json.Unmarshal(r.body, &ev)
						ids[ev.ID] = true
					}
				}()
			}
			wg.Wait()
			ids[str(t, h.ingest(key).json(t)["id"])] = true
			if len(ids) != 1 {
				return fmt.Errorf("%d ids for one key", len(ids))
			}
			return nil
		}},
		FaultIngestSharedID: {"distinct events, distinct ids", func(h *harness) error {
			ids := map[any]bool{}
			for i := 0; i < 10; i++ {
				ids[h.ingest(uniqueKey("inv")).json(t)["id"]] = true
			}
			if len(ids) != 10 {
				return fmt.Errorf("%d ids for 10 events", len(ids))
			}
			return nil
		}},
		FaultIngestEcho: {"an accepted event echoes what was sent", func(h *harness) error {
			key := uniqueKey("echo")
			body := fmt.Sprintf(`{"customer_id":%q,"meter_code":%q,"value":2.5,"recorded_at":"2026-01-02T03:04:05Z","idempotency_key":%q}`,
				h.fx.CustomerID, h.fx.MeterCode, key)
			for i := 0; i < 2; i++ { // the first answer and a replay
				r := h.do("POST", "/api/usage", body, h.key())
				var ev struct {
					CustomerID string    `json:"customer_id"`
					MeterCode  string    `json:"meter_code"`
					Value      float64   `json:"value"`
					Key        string    `json:"idempotency_key"`
					RecordedAt time.Time `json:"recorded_at"`
				}
				if err := json.Unmarshal(r.body, &ev); err != nil || r.status != 200 {
					return fmt.Errorf("answer %d: %d %v", i+1, r.status, err)
				}
				if ev.CustomerID != h.fx.CustomerID || ev.MeterCode != h.fx.MeterCode || ev.Value != 2.5 || ev.Key != key ||
					!ev.RecordedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
					return fmt.Errorf("answer %d says %s", i+1, r.body)
				}
			}
			return nil
		}},
		FaultLimiterNoRetryAfter: {"a limiter 429 carries Retry-After", func(h *harness) error {
			// Hold one ingest in flight and post another for the same (customer, meter): with the limiter on,
			// its lock refuses the second (healthy here has the limiter off, so both pass).
			entered, release := make(chan struct{}), make(chan struct{})
			var first atomic.Bool
			h.s.ingestHook = func() {
				if first.CompareAndSwap(false, true) {
					close(entered)
					<-release
				}
			}
			defer func() { h.s.ingestHook = nil }()
			held := make(chan resp, 1)
			go func() { held <- h.ingest(uniqueKey("held")) }()
			select {
			case <-entered:
			case r := <-held:
				return retryAfterOn(r)
			}
			r := h.ingest(uniqueKey("second"))
			close(release)
			if err := retryAfterOn(r); err != nil {
				return err
			}
			return retryAfterOn(<-held)
		}},
		FaultWebhookReplay: {"a payment event changes the balance once", func(h *harness) error {
			before := h.s.Balance(h.fx.CustomerID)
			ev := freshEvent(t, h, 100)
			for i := 0; i < 3; i++ {
				h.postStripe(ev, h.fx.WebhookSecret) // the answers are webhook-duplicate-refused's invariant
			}
			if d := before - h.settle(h.fx.CustomerID, before-100); d != 100 {
				return fmt.Errorf("balance moved by %d for one payment of 100", d)
			}
			return nil
		}},
		FaultWebhookDuplicateRefused: {"a redelivered webhook is answered 200", func(h *harness) error {
			// A failed payment is stored (so it has an idempotency record) but moves no balance.
			eventSeq++
			ev := stripeEvent(t, "payment_intent.payment_failed", "evt_dup"+strconv.Itoa(eventSeq), h.fx.CustomerID, 100)
			statuses := map[int]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := 0; i < 5; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := h.postStripe(ev, h.fx.WebhookSecret)
					mu.Lock()
					statuses[r.status]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			statuses[h.postStripe(ev, h.fx.WebhookSecret).status]++
			if statuses[200] != 6 {
				return fmt.Errorf("six deliveries of one event answered %v", statuses)
			}
			return nil
		}},
		FaultWebhookUnsigned: {"a badly signed webhook is refused", func(h *harness) error {
			before := h.s.Balance(h.fx.CustomerID)
			r := h.postStripe(freshEvent(t, h, 100), "whsec_wrong")
			after := h.settle(h.fx.CustomerID, before) // apply any effect before the next check reads the balance
			if r.status != 400 || after != before {
				return fmt.Errorf("bad signature answered %d and moved the balance by %d", r.status, before-after)
			}
			return nil
		}},
		FaultAPIKeyAny: {"/api needs a valid key", func(h *harness) error {
			if r := h.do("GET", "/api/customers?page_size=1", "", hdr{"Authorization": "Bearer wrong"}); r.status != 401 {
				return fmt.Errorf("wrong key answered %d", r.status)
			}
			return nil
		}},
		FaultOrgHeader: {"/api refuses org hints", func(h *harness) error {
			hd := hdr{"Authorization": "Bearer " + h.fx.APIKey, "X-Org-Id": h.fx.OrgID}
			if r := h.do("GET", "/api/customers?page_size=1", "", hd); r.status != 401 {
				return fmt.Errorf("X-Org-Id answered %d", r.status)
			}
			return nil
		}},
		FaultPageRepeat: {"no customer on two pages", func(h *harness) error {
			w, err := walkIDs(h, 7)
			seen := map[string]bool{}
			for _, id := range w.ids {
				if seen[id] {
					return fmt.Errorf("%s repeated", id)
				}
				seen[id] = true
			}
			return err
		}},
		FaultPageDrop: {"every customer on some page", func(h *harness) error {
			w, err := walkIDs(h, 7)
			if err != nil || !w.complete {
				return err // a walk that cannot reach the last page is page-token-stuck's invariant
			}
			seen := map[string]bool{}
			for _, id := range w.ids {
				seen[id] = true
			}
			if all, err := onePage(h); err != nil || len(seen) != all {
				return fmt.Errorf("walk saw %d of %d customers (%v)", len(seen), all, err)
			}
			return nil
		}},
		FaultPageShape: {"has_more is a JSON boolean", func(h *harness) error {
			for _, route := range []struct {
				prefix string
				header hdr
			}{{"/admin/customers", h.admin()}, {"/api/customers", h.key()}} {
				w, err := walkLenient(h, route.prefix, route.header, 7)
				if err != nil {
					return err
				}
				if w.shape != "" {
					return fmt.Errorf("%s %s", route.prefix, w.shape)
				}
			}
			return nil
		}},
		FaultPageOrder: {"rows in created_at DESC, id DESC order", func(h *harness) error {
			w, err := walkIDs(h, 7)
			seen := map[string]bool{}
			last := -1
			for i, id := range w.ids {
				if seen[id] {
					continue // a repeat is page-repeat's invariant
				}
				seen[id] = true
				if last >= 0 {
					prev, _ := strconv.ParseInt(w.ids[last], 10, 64)
					cur, _ := strconv.ParseInt(id, 10, 64)
					if c := w.created[i].Compare(w.created[last]); c > 0 || (c == 0 && cur >= prev) {
						return fmt.Errorf("%s (%v) follows %s (%v)", id, w.created[i], w.ids[last], w.created[last])
					}
				}
				last = i
			}
			return err
		}},
		FaultPageTokenStuck: {"tokens advance to the last page", func(h *harness) error {
			w, err := walkIDs(h, 7)
			if err == nil && (w.stuck || !w.complete) {
				err = fmt.Errorf("a page with has_more repeated a token after %d rows", len(w.ids))
			}
			return err
		}},
		FaultSessionSkip: {"/admin needs a session", func(h *harness) error {
			if r := h.do("GET", "/admin/billing/customers", "", hdr{"X-Org-Id": h.fx.OrgID}); r.status != 302 {
				return fmt.Errorf("no cookie answered %d", r.status)
			}
			return nil
		}},
		FaultDashboardShape: {"the dashboard has the documented shape", func(h *harness) error {
			var customers struct {
				Customers []struct {
					Balance       int64  `json:"balance"`
					PaymentStatus string `json:"payment_status"`
				}
			}
			var cycles struct{ Cycles []struct{ Period string } }
			if err := json.Unmarshal(h.do("GET", "/admin/billing/customers", "", h.admin()).body, &customers); err != nil {
				return err
			}
			if err := json.Unmarshal(h.do("GET", "/admin/billing/cycles", "", h.admin()).body, &cycles); err != nil {
				return err
			}
			if len(customers.Customers) == 0 || len(cycles.Cycles) == 0 {
				return fmt.Errorf("empty dashboard: %d customers, %d cycles", len(customers.Customers), len(cycles.Cycles))
			}
			for _, c := range customers.Customers {
				if want := paymentStatus(c.Balance); c.PaymentStatus != want {
					return fmt.Errorf("payment_status %q for balance %d, want %q", c.PaymentStatus, c.Balance, want)
				}
			}
			for _, c := range cycles.Cycles {
				if !periodRE.MatchString(c.Period) {
					return fmt.Errorf("period %q is not YYYY-MM", c.Period)
				}
			}
			return nil
		}},
		FaultProviderConfigIgnored: {"a posted provider config is stored", func(h *harness) error {
			// A fresh Adyen key each time (nothing else here uses Adyen), proven by a notification of a type
			// Valora ignores: 200 once its signature verifies, and nothing is stored or moved.
			key := fmt.Sprintf("%064X", time.Now().UnixNano())
			body := fmt.Sprintf(`{"provider":"adyen","config":{"hmac_key":%q}}`, key)
			if r := h.do("POST", "/admin/payment-providers", body, h.admin()); r.status != 200 {
				return fmt.Errorf("upsert answered %d", r.status)
			}
			item := adyenAuthorisation(h.fx.CustomerID, "PSP-CFG", 1)
			item.EventCode = "REPORT_AVAILABLE"
			if r := h.do("POST", "/api/payments/webhooks/adyen", string(adyenBody(t, key, true, item)), nil); r.status != 200 {
				return fmt.Errorf("a notification signed with the new key answered %d %s", r.status, r.body)
			}
			return nil
		}},
		FaultActivationIgnored: {"an activated subscription takes usage", func(h *harness) error {
			// In tenant B, so that org Main's customer list (walked above) does not change.
			activationSeq++
			b := hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey, "Content-Type": "application/json"}
			c := h.do("POST", "/api/customers", fmt.Sprintf(`{"name":"act-%d","email":"act-%d@example.com"}`, activationSeq, activationSeq), b)
			var cust struct{ Data struct{ ID string } }
			if err := json.Unmarshal(c.body, &cust); err != nil || c.status != 200 {
				return fmt.Errorf("customer: %d %v", c.status, err)
			}
			sub := h.do("POST", "/api/subscriptions", fmt.Sprintf(`{"customer_id":%q,"collection_mode":"SEND_INVOICE","billing_cycle_type":"monthly","items":[{"price_id":%q}]}`,
				cust.Data.ID, otherPriceID(t, h)), b)
			var sb struct{ Data struct{ ID string } }
			if err := json.Unmarshal(sub.body, &sb); err != nil || sub.status != 200 {
				return fmt.Errorf("subscription: %d %v", sub.status, err)
			}
			if r := h.do("POST", "/api/subscriptions/"+sb.Data.ID+"/activate", "", b); r.status != 204 {
				return fmt.Errorf("activate answered %d", r.status)
			}
			if r := h.do("POST", "/api/usage", usageBody(cust.Data.ID, h.fx.OtherMeterCode, uniqueKey("act")), b); r.status != 200 {
				return fmt.Errorf("ingest after activation answered %d %s", r.status, r.body)
			}
			return nil
		}},
		FaultTenantRead: {"a key reads only its own org's data", func(h *harness) error {
			for _, path := range []string{"/api/customers/" + h.fx.OtherCustomerID, "/api/subscriptions/" + h.fx.OtherSubscriptionID,
				"/api/meters/" + h.fx.OtherMeterID, "/api/invoices/" + h.fx.OtherInvoiceID} {
				if r := h.do("GET", path, "", h.key()); r.status != 404 {
					return fmt.Errorf("GET %s with Main's key answered %d", path, r.status)
				}
			}
			if r := h.do("GET", "/api/meters", "", h.key()); strings.Contains(string(r.body), h.fx.OtherMeterID) {
				return fmt.Errorf("Main's meter list holds Other's meter: %s", r.body)
			}
			return nil
		}},
		FaultTenantUsage: {"a key cannot write usage into another org", func(h *harness) error {
			key := uniqueKey("cross")
			if r := h.do("POST", "/api/usage", usageBody(h.fx.OtherCustomerID, h.fx.OtherMeterCode, key), h.key()); r.status != 400 {
				return fmt.Errorf("usage for Other's customer with Main's key answered %d", r.status)
			}
			other := hdr{"Authorization": "Bearer " + h.fx.OtherAPIKey, "Content-Type": "application/json"}
			body := strings.Replace(usageBody(h.fx.OtherCustomerID, h.fx.OtherMeterCode, key), "2026-01-02", "2026-01-03", 1)
			if r := h.do("POST", "/api/usage", body, other); r.status != 200 || !strings.Contains(string(r.body), `"recorded_at":"2026-01-03`) {
				return fmt.Errorf("Other's own post under that key answered %d %s: Main's reached Other", r.status, r.body)
			}
			return nil
		}},
		FaultTenantOrgSwitch: {"X-Org-Id of a foreign org is 403 and does not stick", func(h *harness) error {
			foreign := hdr{"Cookie": "_sid=" + h.fx.AdminSession, "X-Org-Id": h.fx.OtherOrgID}
			if r := h.do("GET", "/admin/billing/customers", "", foreign); r.status != 403 {
				return fmt.Errorf("X-Org-Id of Other answered %d for Main's owner", r.status)
			}
			if r := h.do("GET", "/auth/me", "", hdr{"Cookie": "_sid=" + h.fx.AdminSession}); strings.Contains(string(r.body), `"active_org_id":"`+h.fx.OtherOrgID+`"`) {
				return fmt.Errorf("the session's active org became Other: %s", r.body)
			}
			return nil
		}},
		FaultTenantWebhook: {"a webhook never moves another org's balance", func(h *harness) error {
			before := h.s.OrgBalance(h.fx.OtherOrgID, h.fx.OtherCustomerID)
			eventSeq++
			h.postStripe(stripeEvent(t, "charge.succeeded", "evt_tenant"+strconv.Itoa(eventSeq), h.fx.OtherCustomerID, 100), h.fx.WebhookSecret)
			h.settle(h.fx.CustomerID, 0)
			if got := h.s.OrgBalance(h.fx.OtherOrgID, h.fx.OtherCustomerID); got != before {
				return fmt.Errorf("Other's balance moved from %d to %d on an event signed with Main's secret", before, got)
			}
			return nil
		}},
		FaultRoleIgnored: {"a MEMBER is refused on the billing dashboard", func(h *harness) error {
			tok, _, err := h.s.createSession(h.s.st.usersByEmail[h.fx.MemberEmail].ID, h.s.rand)
			if err != nil {
				return err
			}
			if r := h.do("GET", "/admin/billing/customers", "", hdr{"Cookie": "_sid=" + tok, "X-Org-Id": h.fx.OrgID}); r.status != 403 {
				return fmt.Errorf("a MEMBER got %d", r.status)
			}
			return nil
		}},
		FaultRatingDouble: {"a retried event is billed once", func(h *harness) error {
			if qty, _, err := billedOnce(t, h); err != nil || int(qty)%10000 != 101 {
				return fmt.Errorf("billed %v, want 101 inside the window (%v)", qty, err)
			}
			return nil
		}},
		FaultInvoiceTwice: {"one invoice per cycle", func(h *harness) error {
			if _, n, err := billedOnce(t, h); err != nil || n != 1 {
				return fmt.Errorf("%d invoices for one cycle (%v)", n, err)
			}
			return nil
		}},
		FaultRatingWindow: {"only the window is billed", func(h *harness) error {
			if qty, _, err := billedOnce(t, h); err != nil || qty >= 10000 {
				return fmt.Errorf("billed %v: the event at period_end was counted (%v)", qty, err)
			}
			return nil
		}},
		FaultRatingAmount: {"amount = quantity × unit price", func(h *harness) error {
			if qty, amount, _, err := billedAmounts(t, h); err != nil || amount != qty {
				return fmt.Errorf("billed %v for %v units at 1 cent (%v)", amount, qty, err)
			}
			return nil
		}},
		FaultSlow: {"fast answers", func(h *harness) error {
			t0 := time.Now()
			h.do("GET", "/admin/billing/customers", "", h.admin())
			if d := time.Since(t0); d > 200*time.Millisecond {
				return fmt.Errorf("took %v", d)
			}
			return nil
		}},
		FaultErrors5xx: {"no 5xx", func(h *harness) error {
			for i := 0; i < 20; i++ {
				if r := h.ingest(uniqueKey("inv")); r.status >= 500 {
					return fmt.Errorf("status %d", r.status)
				}
			}
			return nil
		}},
		FaultLimiterStrict: {"ingest not throttled at the suite's rates", func(h *harness) error {
			for i := 0; i < 10; i++ {
				if r := h.ingest(uniqueKey("inv")); r.status != 200 {
					return fmt.Errorf("status %d", r.status)
				}
			}
			return nil
		}},
	}
}

// global faults degrade every route (or all ingest) by design, so only their own invariant is checked.
var globalFaults = map[Fault]bool{FaultSlow: true, FaultErrors5xx: true, FaultLimiterStrict: true}

// downstream lists, per fault, the invariants further down the same path that it breaks too, as in Valora: a
// duplicated usage record is billed twice, and usage refused for an inactive subscription is never billed.
var downstream = map[Fault]map[Fault]bool{
	FaultIngestDuplicate:   {FaultRatingDouble: true},
	FaultActivationIgnored: {FaultRatingDouble: true, FaultInvoiceTwice: true, FaultRatingWindow: true, FaultRatingAmount: true},
}

// retryAfterOn checks rate_limit_retry_after on one answer: a 429 must carry Retry-After.
func retryAfterOn(r resp) error {
	if r.status == 429 && r.header.Get("Retry-After") == "" {
		return fmt.Errorf("429 (%s) without Retry-After", r.header.Get("X-Rate-Limited-Reason"))
	}
	return nil
}

func paymentStatus(balance int64) string {
	switch {
	case balance > 0:
		return "due"
	case balance < 0:
		return "credit"
	}
	return "settled"
}

var periodRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// otherPriceID is the price of tenant B's fixture subscription.
func otherPriceID(t testing.TB, h *harness) string {
	t.Helper()
	h.s.st.mu.RLock()
	defer h.s.st.mu.RUnlock()
	for _, sub := range h.s.st.subscriptions {
		if sub.CustomerID.String() == h.fx.OtherCustomerID {
			return sub.Items[0].PriceID.String()
		}
	}
	t.Fatal("tenant B has no subscription")
	return ""
}

// reset empties the limiter's buckets and locks: as if the checks were run seconds apart.
func (l *usageLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.org, l.endpoint, l.locks = map[valoraid.ID]*bucket{}, map[valoraid.ID]*bucket{}, map[lockKey]lockEntry{}
}

// TestEachFaultBreaksOnlyItsInvariant: on a healthy server every invariant holds; each fault breaks its own,
// and the targeted faults leave every other invariant intact, so a failing scenario points at one defect. Both
// with the usage limiter off (the usual deployment) and on (Config.RateLimit).
func TestEachFaultBreaksOnlyItsInvariant(t *testing.T) {
	for _, rateLimit := range []bool{false, true} {
		t.Run(map[bool]string{false: "limiter-off", true: "limiter-on"}[rateLimit], func(t *testing.T) {
			eachFaultBreaksOnlyItsInvariant(t, rateLimit)
		})
	}
}

func eachFaultBreaksOnlyItsInvariant(t *testing.T, rateLimit bool) {
	invs := invariants(t)
	faults := valoraFaults()
	if len(invs) != len(faults) {
		t.Fatalf("%d invariants for %d faults", len(invs), len(faults))
	}
	h := start(t, Config{Customers: 23, SlowDelay: 250 * time.Millisecond, ErrorRate: 0.2, RateLimit: rateLimit})
	// With Valora's limiter on (Config.RateLimit, or limiter-no-retry-after), every check starts with full
	// buckets and no lock held, as checks spaced out in time would.
	check := func(inv invariant) error {
		h.s.limiter.reset()
		return inv.check(h)
	}
	for _, f := range faults {
		if err := check(invs[f.Name]); err != nil {
			t.Fatalf("healthy server breaks %q: %v", invs[f.Name].name, err)
		}
	}
	for _, f := range faults {
		t.Run(string(f.Name), func(t *testing.T) {
			h.s.SetFaults(f.Name)
			defer h.s.SetFaults()
			if err := check(invs[f.Name]); err == nil {
				t.Fatalf("%s leaves %q intact", f.Name, invs[f.Name].name)
			}
			if globalFaults[f.Name] {
				return
			}
			for other, inv := range invs {
				if other == f.Name || globalFaults[other] || downstream[f.Name][other] {
					continue
				}
				if err := check(inv); err != nil {
					t.Errorf("%s also breaks %q: %v", f.Name, inv.name, err)
				}
			}
		})
	}
}

// valoraFaults are the faults that apply to the Valora flavour (railzway_test.go covers the Railzway-only one).
func valoraFaults() []FaultInfo {
	var out []FaultInfo
	for _, f := range Faults() {
		if f.AppliesTo(FlavorValora) {
			out = append(out, f)
		}
	}
	return out
}

func TestFaultCatalogue(t *testing.T) {
	all := Faults()
	if len(all) != 31 {
		t.Fatalf("%d faults, want 31", len(all))
	}
	if len(all) > maxFaults {
		t.Fatalf("%d faults do not fit a faultSet of %d bits", len(all), maxFaults)
	}
	var names []string
	bits := map[uint64]Fault{}
	for _, f := range all {
		names = append(names, string(f.Name))
		if !strings.HasSuffix(f.Invariant, ".") || len(f.Invariant) < 20 {
			t.Errorf("%s: invariant %q is not a sentence", f.Name, f.Invariant)
		}
		b := faultBit(f.Name)
		if b == 0 || b&(b-1) != 0 {
			t.Errorf("%s: bit %#x is not one bit", f.Name, b)
		}
		if other, dup := bits[b]; dup {
			t.Errorf("%s and %s share bit %#x", f.Name, other, b)
		}
		bits[b] = f.Name
	}
	got, err := ParseFaults(" " + strings.Join(names, " , ") + ",")
	if err != nil || len(got) != len(names) {
		t.Fatalf("ParseFaults(all) = %v, %v", got, err)
	}
	// Every fault at once fits one faultSet and lists back in table order.
	var fs faultSet
	if err := fs.set(got); err != nil {
		t.Fatal(err)
	}
	if listed := fs.list(); fmt.Sprint(listed) != fmt.Sprint(got) {
		t.Fatalf("faultSet lists %v, want %v", listed, got)
	}
	for _, f := range got {
		if !fs.has(f) {
			t.Fatalf("faultSet with every fault lacks %s", f)
		}
	}
	if got, err := ParseFaults(""); err != nil || len(got) != 0 {
		t.Fatalf("ParseFaults(\"\") = %v, %v", got, err)
	}
	_, err = ParseFaults("slow,nope")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "ingest-duplicate") ||
		!strings.Contains(err.Error(), "activation-ignored") {
		t.Fatalf("ParseFaults(unknown) error %v, want one naming it and listing the accepted names", err)
	}
	if _, err := New(Config{Faults: []Fault{"nope"}, Argon2Memory: testArgon2Memory}); err == nil {
		t.Fatal("New accepted an unknown fault")
	}
	// Faults() hands out a copy.
	all[0].Invariant = "changed"
	if Faults()[0].Invariant == "changed" {
		t.Fatal("Faults() exposes the package table")
	}
}

// TestFaultErrors5xx: errors-5xx fails exactly every N-th request, N = round(1/ErrorRate), counted over every
// route but /health (which is neither failed nor counted); SetFaults starts the count again.
func TestFaultErrors5xx(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		every int
	}{{0.25, 4}, {0.3, 3}, {0.6, 2}, {1, 1}, {0, 10}, {0.1, 10}, {0.07, 14}} {
		h := start(t, Config{Faults: []Fault{FaultErrors5xx}, ErrorRate: tc.rate, Customers: 2})
		for i := 1; i <= 3*tc.every; i++ {
			var r resp
			if i%2 == 0 { // one count over all routes
				r = h.ingest(uniqueKey("5xx"))
			} else {
				r = h.do("GET", "/api/customers?page_size=1", "", h.key())
			}
			if i%tc.every == 0 {
				wantEnvelope(t, r, 500, "internal_error", "", "")
			} else if r.status != 200 {
				t.Fatalf("rate %v: request %d answered %d, want only every %d-th to fail", tc.rate, i, r.status, tc.every)
			}
			wantStatus(t, h.do("GET", "/health", "", nil), 200) // probes are never failed
		}
		if tc.every < 3 {
			continue
		}
		// Switching the faults again restarts the count: N-1 pass, the N-th fails.
		h.do("GET", "/api/customers?page_size=1", "", h.key())
		h.s.SetFaults(FaultErrors5xx)
		for i := 1; i <= tc.every; i++ {
			if r := h.do("GET", "/api/customers?page_size=1", "", h.key()); (r.status == 500) != (i == tc.every) {
				t.Fatalf("rate %v after SetFaults: request %d answered %d", tc.rate, i, r.status)
			}
		}
		h.s.SetFaults()
		for i := 0; i < 2*tc.every; i++ {
			wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", h.key()), 200)
		}
	}
	if errorEvery(1e-30) != 1<<62 || errorEvery(5) != 1 {
		t.Fatalf("errorEvery(1e-30) = %d, errorEvery(5) = %d", errorEvery(1e-30), errorEvery(5))
	}
}

func TestFaultSlow(t *testing.T) {
	h := start(t, Config{SlowDelay: 150 * time.Millisecond})
	t0 := time.Now()
	wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", h.key()), 200)
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Fatalf("healthy request took %v", d)
	}
	h.s.SetFaults(FaultSlow)
	if got := h.s.ActiveFaults(); len(got) != 1 || got[0] != FaultSlow {
		t.Fatalf("ActiveFaults %v", got)
	}
	t0 = time.Now()
	wantStatus(t, h.do("GET", "/api/customers?page_size=1", "", h.key()), 200)
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Fatalf("slow request took only %v", d)
	}
	t0 = time.Now()
	wantStatus(t, h.do("GET", "/health", "", nil), 200)
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Fatalf("/health was slowed: %v", d)
	}
}
