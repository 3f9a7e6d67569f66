package standin

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Provisioning routes (contract 8.4), served under /api with a key and under /admin with a session. Every create
// answers 200 {"data": …}; validation follows Valora's services closely enough that provisioning code written
// against the stand-in works against a real Valora.

type meterView struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	Code           string    `json:"code"`
	Name           string    `json:"name"`
	Aggregation    string    `json:"aggregation"`
	Unit           string    `json:"unit"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func viewMeter(m *meter) meterView {
	return meterView{ID: m.ID.String(), OrganizationID: m.OrgID.String(), Code: m.Code, Name: m.Name,
		Aggregation: m.Aggregation, Unit: m.Unit, Active: m.Active, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

type createMeterRequest struct {
	Code            string `json:"code"`
	Name            string `json:"name"`
	AggregationType string `json:"aggregation_type"`
	Unit            string `json:"unit"`
	Active          *bool  `json:"active"`
}

func (s *Server) createMeter(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createMeterRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	m := &meter{OrgID: rc.orgID, Code: strings.TrimSpace(req.Code), Name: strings.TrimSpace(req.Name),
		Aggregation: strings.TrimSpace(req.AggregationType), Unit: strings.TrimSpace(req.Unit), Active: true}
	switch {
	case m.Code == "":
		writeError(w, errInvalid("invalid_code"))
		return
	case m.Name == "":
		writeError(w, errInvalid("invalid_name"))
		return
	case m.Aggregation == "":
		writeError(w, errInvalid("invalid_aggregation_type"))
		return
	case m.Unit == "":
		writeError(w, errInvalid("invalid_unit"))
		return
	}
	if req.Active != nil {
		m.Active = *req.Active
	}
	m.CreatedAt = time.Now().UTC()
	m.UpdatedAt = m.CreatedAt
	s.st.mu.Lock()
	if s.st.metersByCode[orgCode{rc.orgID, m.Code}] != nil {
		s.st.mu.Unlock()
		// A unique-key violation is a raw DB error in Valora: 500, not 409.
		writeError(w, errInternal)
		return
	}
	m.ID = s.gen.Next()
	s.st.meters[m.ID] = m
	s.st.metersByCode[orgCode{rc.orgID, m.Code}] = m
	s.st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": viewMeter(m)})
}

func (s *Server) listMeters(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	s.st.mu.RLock()
	out := []meterView{}
	for _, m := range s.st.meters {
		if m.OrgID == rc.orgID {
			out = append(out, viewMeter(m))
		}
	}
	s.st.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

type productView struct {
	ID             string         `json:"id"`
	OrganizationID string         `json:"organization_id"`
	Code           string         `json:"code"`
	Name           string         `json:"name"`
	Description    *string        `json:"description,omitempty"`
	Active         bool           `json:"active"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

type createProductRequest struct {
	Code        string         `json:"code"`
	Name        string         `json:"name"`
	Description *string        `json:"description"`
	Active      *bool          `json:"active"`
	Metadata    map[string]any `json:"metadata"`
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createProductRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	p := &product{OrgID: rc.orgID, Code: strings.TrimSpace(req.Code), Name: strings.TrimSpace(req.Name), Active: true, Metadata: req.Metadata}
	if p.Code == "" {
		writeError(w, errInvalid("invalid_code"))
		return
	}
	if p.Name == "" {
		writeError(w, errInvalid("invalid_name"))
		return
	}
	if req.Description != nil {
		if d := strings.TrimSpace(*req.Description); d != "" {
			p.Description = &d
		}
	}
	if req.Active != nil {
		p.Active = *req.Active
	}
	p.CreatedAt = time.Now().UTC()
	p.UpdatedAt = p.CreatedAt
	s.st.mu.Lock()
	if _, dup := s.st.productCodes[orgCode{rc.orgID, p.Code}]; dup {
		s.st.mu.Unlock()
		writeError(w, errInternal)
		return
	}
	p.ID = s.gen.Next()
	s.st.products[p.ID] = p
	s.st.productCodes[orgCode{rc.orgID, p.Code}] = struct{}{}
	s.st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": productView{ID: p.ID.String(), OrganizationID: p.OrgID.String(),
		Code: p.Code, Name: p.Name, Description: p.Description, Active: p.Active, Metadata: p.Metadata,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}})
}

type priceView struct {
	ID                   string    `json:"id"`
	OrganizationID       string    `json:"organization_id"`
	ProductID            string    `json:"product_id"`
	Code                 string    `json:"code"`
	Name                 string    `json:"name,omitempty"`
	Description          string    `json:"description,omitempty"`
	PricingModel         string    `json:"pricing_model"`
	BillingMode          string    `json:"billing_mode"`
	BillingInterval      string    `json:"billing_interval"`
	BillingIntervalCount int32     `json:"billing_interval_count"`
	AggregateUsage       *string   `json:"aggregate_usage,omitempty"`
	BillingUnit          *string   `json:"billing_unit,omitempty"`
	BillingThreshold     *float64  `json:"billing_threshold,omitempty"`
	TaxBehavior          string    `json:"tax_behavior"`
	TaxCode              *string   `json:"tax_code,omitempty"`
	Version              int32     `json:"version"`
	IsDefault            bool      `json:"is_default"`
	Active               bool      `json:"active"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

func viewPrice(p *price) priceView {
	return priceView{ID: p.ID.String(), OrganizationID: p.OrgID.String(), ProductID: p.ProductID.String(), Code: p.Code,
		Name: p.Name, Description: p.Description, PricingModel: p.PricingModel, BillingMode: p.BillingMode,
		BillingInterval: p.BillingInterval, BillingIntervalCount: p.BillingIntervalCount, AggregateUsage: p.AggregateUsage,
		BillingUnit: p.BillingUnit, BillingThreshold: p.BillingThreshold, TaxBehavior: p.TaxBehavior, TaxCode: p.TaxCode,
		Version: p.Version, IsDefault: p.IsDefault, Active: p.Active, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type createPriceRequest struct {
	ProductID            string   `json:"product_id"`
	Code                 string   `json:"code"`
	Name                 string   `json:"name"`
	Description          string   `json:"description"`
	PricingModel         string   `json:"pricing_model"`
	BillingMode          string   `json:"billing_mode"`
	BillingInterval      string   `json:"billing_interval"`
	BillingIntervalCount int32    `json:"billing_interval_count"`
	AggregateUsage       *string  `json:"aggregate_usage"`
	BillingUnit          *string  `json:"billing_unit"`
	BillingThreshold     *float64 `json:"billing_threshold"`
	TaxBehavior          string   `json:"tax_behavior"`
	TaxCode              *string  `json:"tax_code"`
	Version              *int32   `json:"version"`
	IsDefault            *bool    `json:"is_default"`
	Active               *bool    `json:"active"`
}

// oneOf uppercases and trims v and returns it if it is one of allowed.
func oneOf(v string, allowed ...string) (string, bool) {
	v = strings.ToUpper(strings.TrimSpace(v))
	for _, a := range allowed {
		if v == a {
			return v, true
		}
	}
	return "", false
}

var billingUnits = []string{"API_CALL", "GB", "GIB", "MB", "MIB", "SECOND", "MINUTE", "HOUR", "SEAT"}

func (s *Server) createPrice(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createPriceRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	p, apiErr := s.validatePrice(rc.orgID, &req)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.st.mu.Lock()
	if _, dup := s.st.priceCodes[orgCode{rc.orgID, p.Code}]; dup {
		s.st.mu.Unlock()
		writeError(w, errInternal)
		return
	}
	p.ID = s.gen.Next()
	s.st.prices[p.ID] = p
	s.st.priceCodes[orgCode{rc.orgID, p.Code}] = struct{}{}
	s.st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": viewPrice(p)})
}

// validatePrice follows Valora's price service: identifiers, then enums, then the model/mode/unit combination.
func (s *Server) validatePrice(orgID valoraid.ID, req *createPriceRequest) (*price, *apiError) {
	productID, err := valoraid.ParseString(strings.TrimSpace(req.ProductID))
	if err != nil {
		return nil, errInvalid("invalid_product")
	}
	code := strings.TrimSpace(req.Code)
	if code == "" {
		return nil, errInvalid("invalid_code")
	}
	s.st.mu.RLock()
	prod := s.st.products[productID]
	s.st.mu.RUnlock()
	if prod == nil || prod.OrgID != orgID {
		return nil, errInvalid("invalid_product")
	}
	model, ok := oneOf(req.PricingModel, "FLAT", "PER_UNIT", "TIERED_VOLUME", "TIERED_GRADUATED")
	if !ok {
		return nil, errInvalid("invalid_pricing_model")
	}
	mode, ok := oneOf(req.BillingMode, "LICENSED", "METERED")
	if !ok {
		return nil, errInvalid("invalid_billing_mode")
	}
	interval, ok := oneOf(req.BillingInterval, "DAY", "WEEK", "MONTH", "YEAR")
	if !ok {
		return nil, errInvalid("invalid_billing_interval")
	}
	tax, ok := oneOf(req.TaxBehavior, "INCLUSIVE", "EXCLUSIVE", "INLINE")
	if !ok {
		return nil, errInvalid("invalid_tax_behavior")
	}
	if req.BillingIntervalCount <= 0 {
		return nil, errInvalid("invalid_billing_interval_count")
	}
	var aggregate, unit *string
	if req.AggregateUsage != nil {
		v, ok := oneOf(*req.AggregateUsage, "SUM", "MAX", "LAST")
		if !ok {
			return nil, errInvalid("invalid_aggregate_usage")
		}
		aggregate = &v
	}
	if req.BillingUnit != nil {
		v, ok := oneOf(*req.BillingUnit, billingUnits...)
		if !ok {
			return nil, errInvalid("invalid_billing_unit")
		}
		unit = &v
	}
	if model == "FLAT" {
		switch {
		case mode != "LICENSED":
			return nil, errInvalid("invalid_billing_mode")
		case aggregate != nil:
			return nil, errInvalid("invalid_aggregate_usage")
		case unit != nil:
			return nil, errInvalid("invalid_billing_unit")
		case req.BillingThreshold != nil:
			return nil, errInvalid("invalid_billing_threshold")
		}
	} else {
		switch {
		case mode != "METERED":
			return nil, errInvalid("invalid_billing_mode")
		case unit == nil:
			return nil, errInvalid("invalid_billing_unit")
		case aggregate == nil || *aggregate != "SUM":
			return nil, errInvalid("invalid_aggregate_usage")
		}
	}
	version := int32(1)
	if req.Version != nil {
		if *req.Version <= 0 {
			return nil, errInvalid("invalid_version")
		}
		version = *req.Version
	}
	now := time.Now().UTC()
	p := &price{OrgID: orgID, ProductID: productID, Code: code, Name: req.Name, Description: req.Description,
		PricingModel: model, BillingMode: mode, BillingInterval: interval, BillingIntervalCount: req.BillingIntervalCount,
		AggregateUsage: aggregate, BillingUnit: unit, BillingThreshold: req.BillingThreshold, TaxBehavior: tax,
		Version: version, Active: true, CreatedAt: now, UpdatedAt: now}
	if req.TaxCode != nil {
		if t := strings.TrimSpace(*req.TaxCode); t != "" {
			p.TaxCode = &t
		}
	}
	if req.IsDefault != nil {
		p.IsDefault = *req.IsDefault
	}
	if req.Active != nil {
		p.Active = *req.Active
	}
	return p, nil
}

type priceAmountView struct {
	ID                 string     `json:"id"`
	OrganizationID     string     `json:"organization_id"`
	PriceID            string     `json:"price_id"`
	MeterID            *string    `json:"meter_id,omitempty"`
	Currency           string     `json:"currency"`
	UnitAmountCents    int64      `json:"unit_amount_cents"`
	MinimumAmountCents *int64     `json:"minimum_amount_cents,omitempty"`
	MaximumAmountCents *int64     `json:"maximum_amount_cents,omitempty"`
	EffectiveFrom      time.Time  `json:"effective_from"`
	EffectiveTo        *time.Time `json:"effective_to,omitempty"`
	RevokedAt          *time.Time `json:"revoked_at"`
	RevokedReason      *string    `json:"revoked_reason"`
	Status             string     `json:"status"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

func viewPriceAmount(a *priceAmount, now time.Time) priceAmountView {
	v := priceAmountView{ID: a.ID.String(), OrganizationID: a.OrgID.String(), PriceID: a.PriceID.String(),
		Currency: a.Currency, UnitAmountCents: a.UnitAmountCents, MinimumAmountCents: a.MinimumCents,
		MaximumAmountCents: a.MaximumCents, EffectiveFrom: a.EffectiveFrom, EffectiveTo: a.EffectiveTo,
		Status: "active", CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.MeterID != 0 {
		id := a.MeterID.String()
		v.MeterID = &id
	}
	switch {
	case a.EffectiveFrom.After(now):
		v.Status = "upcoming"
	case a.EffectiveTo != nil && !a.EffectiveTo.After(now):
		v.Status = "expired"
	}
	return v
}

type createPriceAmountRequest struct {
	PriceID            string     `json:"price_id"`
	MeterID            *string    `json:"meter_id"`
	Currency           string     `json:"currency"`
	UnitAmountCents    int64      `json:"unit_amount_cents"`
	MinimumAmountCents *int64     `json:"minimum_amount_cents"`
	MaximumAmountCents *int64     `json:"maximum_amount_cents"`
	EffectiveFrom      *time.Time `json:"effective_from"`
	EffectiveTo        *time.Time `json:"effective_to"`
}

func (s *Server) createPriceAmount(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createPriceAmountRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	priceID, err := valoraid.ParseString(strings.TrimSpace(req.PriceID))
	if err != nil {
		writeError(w, errInvalid("invalid_price"))
		return
	}
	var meterID valoraid.ID
	if req.MeterID != nil && strings.TrimSpace(*req.MeterID) != "" {
		if meterID, err = valoraid.ParseString(strings.TrimSpace(*req.MeterID)); err != nil {
			writeError(w, errInvalid("invalid_meter_id"))
			return
		}
	}
	currency := strings.TrimSpace(req.Currency)
	switch {
	case currency == "":
		writeError(w, errInvalid("invalid_currency"))
		return
	case req.UnitAmountCents < 0:
		writeError(w, errInvalid("invalid_unit_amount"))
		return
	case req.MinimumAmountCents != nil && *req.MinimumAmountCents < 0:
		writeError(w, errInvalid("invalid_minimum_amount"))
		return
	case req.MaximumAmountCents != nil && *req.MaximumAmountCents < 0,
		req.MinimumAmountCents != nil && req.MaximumAmountCents != nil && *req.MaximumAmountCents < *req.MinimumAmountCents:
		writeError(w, errInvalid("invalid_maximum_amount"))
		return
	}
	now := time.Now().UTC()
	from := now.Truncate(time.Minute)
	if req.EffectiveFrom != nil {
		from = req.EffectiveFrom.UTC().Truncate(time.Minute)
	}
	if from.IsZero() {
		writeError(w, errInvalid("invalid_effective_from"))
		return
	}
	var to *time.Time
	if req.EffectiveTo != nil {
		t := req.EffectiveTo.UTC().Truncate(time.Minute)
		if !t.After(from) {
			writeError(w, errInvalid("invalid_effective_to"))
			return
		}
		to = &t
	}
	s.st.mu.Lock()
	p := s.st.prices[priceID]
	if p == nil || p.OrgID != rc.orgID {
		s.st.mu.Unlock()
		writeError(w, errInvalid("invalid_price"))
		return
	}
	if meterID != 0 {
		if m := s.st.meters[meterID]; m == nil || m.OrgID != rc.orgID {
			s.st.mu.Unlock()
			writeError(w, errInvalid("invalid_meter_id"))
			return
		}
	}
	a := &priceAmount{ID: s.gen.Next(), OrgID: rc.orgID, PriceID: priceID, MeterID: meterID, Currency: currency,
		UnitAmountCents: req.UnitAmountCents, MinimumCents: req.MinimumAmountCents, MaximumCents: req.MaximumAmountCents,
		EffectiveFrom: from, EffectiveTo: to, CreatedAt: now, UpdatedAt: now}
	s.st.priceAmounts[a.ID] = a
	s.st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": viewPriceAmount(a, now)})
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

// currentPriceAmount is the price amount in effect at now. Caller holds st.mu.
func (st *state) currentPriceAmount(priceID valoraid.ID, now time.Time) *priceAmount {
	var best *priceAmount
	for _, a := range st.priceAmounts {
		if a.PriceID != priceID || a.EffectiveFrom.After(now) || (a.EffectiveTo != nil && !a.EffectiveTo.After(now)) {
			continue
		}
		if best == nil || a.EffectiveFrom.After(best.EffectiveFrom) {
			best = a
		}
	}
	return best
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
