package standin

import (
	"net/http"
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
	Metadata         map[string]any
	CreatedAt        time.Time
	UpdatedAt        time.Time
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
	if sub == nil || sub.OrgID != rc.orgID {
		writeError(w, errNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": viewSubscription(sub)})
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
	}
	sub.Status = "ACTIVE"
	sub.UpdatedAt = now
	s.st.activeSub[orgCustomer{sub.OrgID, sub.CustomerID}] = sub.ID
	w.WriteHeader(http.StatusNoContent)
}
