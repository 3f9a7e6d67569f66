package standin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type subscriptionItem struct {
	ID          valoraid.ID
	PriceID     valoraid.ID
	PriceCode   string
	MeterID     valoraid.ID // 0: none
	MeterCode   string
	Quantity    int8
	BillingMode string
}

type subscription struct {
	ID               valoraid.ID
	OrgID            valoraid.ID
	CustomerID       valoraid.ID
	Status           string
	CollectionMode   string
	BillingCycleType string
	StartAt          time.Time
	ActivatedAt      *time.Time
	Items            []subscriptionItem
	// EntitledMeters (Railzway) are the meters of the metered features snapshotted at activation.
	EntitledMeters []valoraid.ID
	Metadata       map[string]any
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

type subscriptionItemView struct {
	ID          string  `json:"id"`
	PriceID     string  `json:"price_id"`
	PriceCode   *string `json:"price_code,omitempty"`
	MeterID     *string `json:"meter_id,omitempty"`
	MeterCode   *string `json:"meter_code,omitempty"`
	Quantity    int8    `json:"quantity"`
	BillingMode string  `json:"billing_mode"`
}

type subscriptionView struct {
	ID             string                 `json:"id"`
	OrganizationID string                 `json:"organization_id"`
	CustomerID     string                 `json:"customer_id"`
	Status         string                 `json:"status"`
	CollectionMode string                 `json:"collection_mode"`
	StartAt        time.Time              `json:"start_at"`
	Items          []subscriptionItemView `json:"items"`
	Metadata       map[string]any         `json:"metadata,omitempty"`
}

// subscriptionModel is how GET /api/subscriptions/:id (and the list) writes a subscription: Valora's domain struct,
// which has no json tags, so its keys are the Go field names, and no items. The create answers the snake_case
// CreateSubscriptionResponse (subscriptionView) instead.
type subscriptionModel struct {
	ID                     string
	OrgID                  string
	CustomerID             string
	Status                 string
	CollectionMode         string
	StartAt                time.Time
	EndAt                  *time.Time
	TrialStartsAt          *time.Time
	TrialEndsAt            *time.Time
	CancelAt               *time.Time
	CancelAtPeriodEnd      bool
	CanceledAt             *time.Time
	ActivatedAt            *time.Time
	PausedAt               *time.Time
	ResumedAt              *time.Time
	EndedAt                *time.Time
	PlanChangedAt          *time.Time
	BillingAnchorDay       *int16
	BillingCycleType       string
	DefaultPaymentTermDays *int
	DefaultCurrency        *string
	DefaultTaxBehavior     *string
	Metadata               map[string]any
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

func modelSubscription(sub *subscription) subscriptionModel {
	return subscriptionModel{ID: sub.ID.String(), OrgID: sub.OrgID.String(), CustomerID: sub.CustomerID.String(),
		Status: sub.Status, CollectionMode: sub.CollectionMode, StartAt: sub.StartAt, ActivatedAt: sub.ActivatedAt,
		BillingCycleType: sub.BillingCycleType, Metadata: sub.Metadata, CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt}
}

func viewSubscription(sub *subscription) subscriptionView {
	v := subscriptionView{ID: sub.ID.String(), OrganizationID: sub.OrgID.String(), CustomerID: sub.CustomerID.String(),
		Status: sub.Status, CollectionMode: sub.CollectionMode, StartAt: sub.StartAt, Metadata: sub.Metadata,
		Items: make([]subscriptionItemView, 0, len(sub.Items))}
	for _, it := range sub.Items {
		iv := subscriptionItemView{ID: it.ID.String(), PriceID: it.PriceID.String(), Quantity: it.Quantity, BillingMode: it.BillingMode}
		if it.PriceCode != "" {
			code := it.PriceCode
			iv.PriceCode = &code
		}
		if it.MeterID != 0 {
			id, code := it.MeterID.String(), it.MeterCode
			iv.MeterID, iv.MeterCode = &id, &code
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

type createSubscriptionRequest struct {
	CustomerID       string `json:"customer_id"`
	CollectionMode   string `json:"collection_mode"`
	BillingCycleType string `json:"billing_cycle_type"`
	Items            []struct {
		PriceID  string `json:"price_id"`
		MeterID  string `json:"meter_id"`
		Quantity int8   `json:"quantity"`
	} `json:"items"`
	Metadata map[string]any `json:"metadata"`
}

var cycleForInterval = map[string]string{"DAY": "daily", "WEEK": "weekly", "MONTH": "monthly"}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createSubscriptionRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	customerID, err := valoraid.ParseString(strings.TrimSpace(req.CustomerID))
	if err != nil || customerID == 0 {
		writeError(w, errInvalid("invalid_customer"))
		return
	}
	cycle := strings.ToLower(strings.TrimSpace(req.BillingCycleType))
	if cycle != "monthly" && cycle != "weekly" && cycle != "daily" {
		writeError(w, errInvalid("invalid_billing_cycle_type"))
		return
	}
	if len(req.Items) == 0 {
		writeError(w, errInvalid("invalid_items"))
		return
	}
	mode := strings.TrimSpace(req.CollectionMode)
	if mode != "SEND_INVOICE" && mode != "CHARGE_AUTOMATICALLY" {
		writeError(w, errInvalid("invalid_collection_mode"))
		return
	}
	now := time.Now().UTC()
	sub := &subscription{OrgID: rc.orgID, CustomerID: customerID, Status: "DRAFT", CollectionMode: mode,
		BillingCycleType: cycle, StartAt: now, Metadata: req.Metadata, CreatedAt: now, UpdatedAt: now}

	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	flat := 0
	for _, item := range req.Items {
		if s.fl.entitlements && strings.TrimSpace(item.MeterID) != "" {
			// Railzway takes the meter from the product's metered feature, not from the item.
			writeError(w, errValidation("meter_id", "unsupported", "unsupported"))
			return
		}
		rawPrice := strings.TrimSpace(item.PriceID)
		if rawPrice == "" {
			writeError(w, errInvalid("invalid_price"))
			return
		}
		priceID, err := valoraid.ParseString(rawPrice)
		if err != nil {
			writeError(w, errInvalid("invalid_id"))
			return
		}
		p := s.st.prices[priceID]
		if p == nil || p.OrgID != rc.orgID {
			writeError(w, errNotFound)
			return
		}
		if !p.Active {
			writeError(w, errInvalid("invalid_price"))
			return
		}
		if p.PricingModel == "FLAT" {
			if flat++; flat > 1 {
				writeError(w, errInvalid("multiple_flat_prices_not_allowed"))
				return
			}
		}
		if cycleForInterval[p.BillingInterval] != cycle {
			writeError(w, errInvalid("invalid_billing_cycle_type"))
			return
		}
		it := subscriptionItem{ID: s.gen.Next(), PriceID: p.ID, PriceCode: p.Code, Quantity: max(item.Quantity, 1), BillingMode: p.BillingMode}
		if p.PricingModel != "FLAT" {
			amount := s.st.currentPriceAmount(p.ID, now)
			if amount == nil {
				// Valora indexes the first price amount without checking there is one: the panic is recovered
				// by gin as a 500 with an empty body.
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			// The item's meter comes from the price amount, not from the request.
			if amount.MeterID != 0 {
				m := s.st.meters[amount.MeterID]
				if m == nil || m.OrgID != rc.orgID {
					writeError(w, errInvalid("invalid_meter_id"))
					return
				}
				it.MeterID, it.MeterCode = m.ID, m.Code
			}
		}
		sub.Items = append(sub.Items, it)
	}
	sub.ID = s.gen.Next()
	s.st.subscriptions[sub.ID] = sub
	writeJSON(w, http.StatusOK, map[string]any{"data": viewSubscription(sub)})
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	id, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil {
		writeError(w, errValidation("id", "invalid_id", "invalid id"))
		return
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	sub := s.st.subscriptions[id]
	if sub == nil || (sub.OrgID != rc.orgID && !s.faults.has(FaultTenantRead)) {
		writeError(w, errNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": modelSubscription(sub)})
}

// activateSubscription is POST …/subscriptions/:id/activate: DRAFT → ACTIVE with Valora's activation checks, 204.
// Activating an ACTIVE subscription is a no-op; other states cannot be activated here.
func (s *Server) activateSubscription(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	id, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil {
		writeError(w, errValidation("id", "invalid_id", "invalid id"))
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	sub := s.st.subscriptions[id]
	if sub == nil || sub.OrgID != rc.orgID {
		writeError(w, errNotFound)
		return
	}
	switch sub.Status {
	case "ACTIVE":
		w.WriteHeader(http.StatusNoContent)
		return
	case "DRAFT", "PAUSED":
	default:
		writeError(w, errInvalid("invalid_transition"))
		return
	}
	if sub.Status == "DRAFT" {
		if len(sub.Items) == 0 {
			writeError(w, errInvalid("missing_subscription_items"))
			return
		}
		for _, it := range sub.Items {
			if s.st.prices[it.PriceID] == nil {
				writeError(w, errInvalid("missing_pricing"))
				return
			}
		}
		if c := s.st.customers[sub.CustomerID]; c == nil || c.OrgID != rc.orgID {
			writeError(w, errInvalid("missing_customer"))
			return
		}
	}
	if s.faults.has(FaultActivationIgnored) {
		w.WriteHeader(http.StatusNoContent) // answered as activated; the subscription keeps its status
		return
	}
	now := time.Now().UTC()
	if sub.Status == "DRAFT" {
		sub.ActivatedAt = &now
		if s.fl.entitlements {
			sub.EntitledMeters = s.entitledMeters(sub)
		}
	}
	sub.Status = "ACTIVE"
	sub.UpdatedAt = now
	s.st.activeSub[orgCustomer{sub.OrgID, sub.CustomerID}] = sub.ID
	w.WriteHeader(http.StatusNoContent)
}

// listSubscriptions is GET /api/subscriptions and /admin/subscriptions: {"data":[Subscription…],"page_info":{…}},
// newest first, the org's rows only. Filters status (an unknown one is 400) and customer_id; page_size absent →
// 10, no upper bound; the cursor keeps whole seconds and compares strictly, as the customers' does.
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	pageSize := 10
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, errInvalidRequest)
			return
		}
		if pageSize = n; n <= 0 {
			pageSize = 10
		}
	}
	status := strings.ToUpper(strings.TrimSpace(q.Get("status")))
	switch status {
	case "", "DRAFT", "ACTIVE", "PAUSED", "CANCELED", "ENDED":
	default:
		writeError(w, errInvalid("invalid_status"))
		return
	}
	var customer valoraid.ID
	if raw := strings.TrimSpace(q.Get("customer_id")); raw != "" {
		id, err := valoraid.ParseString(raw)
		if err != nil {
			writeError(w, errInvalid("invalid_customer"))
			return
		}
		customer = id
	}
	var cur *cursor
	if token := q.Get("page_token"); token != "" {
		if raw, err := base64.StdEncoding.DecodeString(token); err == nil {
			var c cursor
			if json.Unmarshal(raw, &c) == nil {
				cur = &c
			}
		}
	}
	var curID valoraid.ID
	var curTime time.Time
	if cur != nil {
		id, idErr := strconv.ParseInt(strings.TrimSpace(cur.ID), 10, 64)
		t, tOK := parseCursorTime(cur.CreatedAt)
		if idErr != nil || !tOK {
			writeError(w, errInternal)
			return
		}
		curID, curTime = valoraid.ID(id), t
	}
	s.st.mu.RLock()
	var rows []*subscription
	for _, sub := range s.st.subscriptions {
		if sub.OrgID != rc.orgID || status != "" && sub.Status != status || customer != 0 && sub.CustomerID != customer {
			continue
		}
		if cur != nil && !(sub.ID < curID && sub.CreatedAt.Before(curTime)) {
			continue
		}
		rows = append(rows, sub)
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].CreatedAt.Equal(rows[j].CreatedAt) {
			return rows[i].CreatedAt.After(rows[j].CreatedAt)
		}
		return rows[i].ID > rows[j].ID
	})
	hasMore := len(rows) > pageSize
	if hasMore {
		rows = rows[:pageSize]
	}
	out := make([]subscriptionModel, 0, len(rows))
	for _, sub := range rows {
		out = append(out, modelSubscription(sub))
	}
	token := ""
	if len(rows) > 0 {
		last := rows[len(rows)-1]
		b, _ := json.Marshal(cursor{ID: last.ID.String(), CreatedAt: last.CreatedAt.UTC().Format(time.RFC3339)})
		token = base64.StdEncoding.EncodeToString(b)
	}
	s.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "page_info": map[string]any{
		"next_page_token": token, "previous_page_token": "", "has_more": hasMore}})
}
