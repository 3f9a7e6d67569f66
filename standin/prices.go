package standin

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type price struct {
	ID                   valoraid.ID
	OrgID                valoraid.ID
	ProductID            valoraid.ID
	Code                 string
	Name                 string
	Description          string
	PricingModel         string
	BillingMode          string
	BillingInterval      string
	BillingIntervalCount int32
	AggregateUsage       *string
	BillingUnit          *string
	BillingThreshold     *float64
	TaxBehavior          string
	TaxCode              *string
	Version              int32
	IsDefault            bool
	Active               bool
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

type priceAmount struct {
	ID              valoraid.ID
	OrgID           valoraid.ID
	PriceID         valoraid.ID
	MeterID         valoraid.ID // 0: none
	Currency        string
	UnitAmountCents int64
	MinimumCents    *int64
	MaximumCents    *int64
	EffectiveFrom   time.Time
	EffectiveTo     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
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
	if slices.Contains(allowed, v) {
		return v, true
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
