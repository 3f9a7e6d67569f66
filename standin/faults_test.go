package standin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
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

func walkIDs(h *harness, pageSize int) ([]string, error) {
	var ids []string
	token := ""
	for i := 0; i < 500; i++ {
		path := "/admin/customers?page_size=" + strconv.Itoa(pageSize)
		if token != "" {
			path += "&page_token=" + url.QueryEscape(token)
		}
		r := h.do("GET", path, "", h.admin())
		if r.status != 200 {
			return nil, fmt.Errorf("status %d", r.status)
		}
		var body struct {
			Data struct {
				Next      string `json:"next_page_token"`
				HasMore   bool   `json:"has_more"`
				Customers []struct{ ID string }
			}
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			return nil, err
		}
		for _, c := range body.Data.Customers {
			ids = append(ids, c.ID)
		}
		if !body.Data.HasMore {
			return ids, nil
		}
		if body.Data.Next == token {
			return ids, fmt.Errorf("token repeats")
		}
		token = body.Data.Next
	}
	return ids, fmt.Errorf("pagination does not end")
}

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
		FaultWebhookReplay: {"a payment event changes the balance once", func(h *harness) error {
			before := h.s.Balance(h.fx.CustomerID)
			ev := freshEvent(t, h, 100)
			statuses := map[int]int{}
			for i := 0; i < 3; i++ {
				statuses[h.postStripe(ev, h.fx.WebhookSecret).status]++
			}
			if d := before - h.settle(h.fx.CustomerID, before-100); d != 100 || statuses[200] != 3 {
				return fmt.Errorf("statuses %v; balance moved by %d for one payment of 100", statuses, d)
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
			ids, err := walkIDs(h, 7)
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					return fmt.Errorf("%s repeated", id)
				}
				seen[id] = true
			}
			return err
		}},
		FaultPageDrop: {"every customer on some page", func(h *harness) error {
			ids, err := walkIDs(h, 7)
			seen := map[string]bool{}
			for _, id := range ids {
				seen[id] = true
			}
			if len(seen) != h.fx.Customers {
				return fmt.Errorf("saw %d of %d customers", len(seen), h.fx.Customers)
			}
			return err
		}},
		FaultSessionSkip: {"/admin needs a session", func(h *harness) error {
			if r := h.do("GET", "/admin/billing/customers", "", hdr{"X-Org-Id": h.fx.OrgID}); r.status != 302 {
				return fmt.Errorf("no cookie answered %d", r.status)
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

// TestEachFaultBreaksOnlyItsInvariant: on a healthy server every invariant holds; each fault breaks its own,
// and the targeted faults leave every other invariant intact, so a failing scenario points at one defect.
func TestEachFaultBreaksOnlyItsInvariant(t *testing.T) {
	invs := invariants(t)
	if len(invs) != len(Faults()) {
		t.Fatalf("%d invariants for %d faults", len(invs), len(Faults()))
	}
	h := start(t, Config{Customers: 23, SlowDelay: 250 * time.Millisecond, ErrorRate: 0.2})
	for _, f := range Faults() {
		if err := invs[f.Name].check(h); err != nil {
			t.Fatalf("healthy server breaks %q: %v", invs[f.Name].name, err)
		}
	}
	for _, f := range Faults() {
		t.Run(string(f.Name), func(t *testing.T) {
			h.s.SetFaults(f.Name)
			defer h.s.SetFaults()
			if err := invs[f.Name].check(h); err == nil {
				t.Fatalf("%s leaves %q intact", f.Name, invs[f.Name].name)
			}
			if globalFaults[f.Name] {
				return
			}
			for other, inv := range invs {
				if other == f.Name || globalFaults[other] {
					continue
				}
				if err := inv.check(h); err != nil {
					t.Errorf("%s also breaks %q: %v", f.Name, inv.name, err)
				}
			}
		})
	}
}
