package standin

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Railzway's features and entitlements (FlavorRailzway): a metered feature names a meter; a product's features are
// replaced as a set; activating a subscription snapshots the metered features of its items' products, and ingest
// then needs one on the meter (400 feature_not_entitled otherwise). A feature attached after activation does not
// reach an active subscription, as seen on a running 4ff8772.

type feature struct {
	ID          valoraid.ID
	OrgID       valoraid.ID
	Code        string
	Name        string
	FeatureType string // "metered" or "boolean"
	MeterID     valoraid.ID
	Active      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

type featureView struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organization_id"`
	Code           string    `json:"code"`
	Name           string    `json:"name"`
	FeatureType    string    `json:"feature_type"`
	MeterID        *string   `json:"meter_id,omitempty"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func viewFeature(f *feature) featureView {
	v := featureView{ID: f.ID.String(), OrganizationID: f.OrgID.String(), Code: f.Code, Name: f.Name,
		FeatureType: f.FeatureType, Active: f.Active, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
	if f.MeterID != 0 {
		id := f.MeterID.String()
		v.MeterID = &id
	}
	return v
}

type createFeatureRequest struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	FeatureType string  `json:"feature_type"`
	MeterID     *string `json:"meter_id"`
	Active      *bool   `json:"active"`
}

// createFeature is POST /api/features.
func (s *Server) createFeature(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createFeatureRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	f := &feature{OrgID: rc.orgID, Code: strings.TrimSpace(req.Code), Name: strings.TrimSpace(req.Name),
		FeatureType: strings.ToLower(strings.TrimSpace(req.FeatureType)), Active: true}
	switch {
	case f.Code == "":
		writeError(w, errInvalid("invalid_code"))
		return
	case f.Name == "":
		writeError(w, errInvalid("invalid_name"))
		return
	case f.FeatureType != "metered" && f.FeatureType != "boolean":
		writeError(w, errInvalid("invalid_feature_type"))
		return
	}
	if req.Active != nil {
		f.Active = *req.Active
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if f.FeatureType == "metered" {
		raw := ""
		if req.MeterID != nil {
			raw = strings.TrimSpace(*req.MeterID)
		}
		id, err := valoraid.ParseString(raw)
		if m := s.st.meters[id]; err != nil || m == nil || m.OrgID != rc.orgID {
			writeError(w, errInvalid("invalid_meter_id"))
			return
		}
		f.MeterID = id
	}
	if _, dup := s.st.featureCodes[orgCode{rc.orgID, f.Code}]; dup {
		writeError(w, errInternal) // a unique-key violation: a raw DB error
		return
	}
	f.ID = s.gen.Next()
	f.CreatedAt = time.Now().UTC()
	f.UpdatedAt = f.CreatedAt
	s.st.features[f.ID] = f
	s.st.featureCodes[orgCode{rc.orgID, f.Code}] = struct{}{}
	writeJSON(w, http.StatusOK, map[string]any{"data": viewFeature(f)})
}

// listFeatures is GET /api/features[?code=…].
func (s *Server) listFeatures(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	s.st.mu.RLock()
	out := []featureView{}
	for _, f := range s.st.features {
		if f.OrgID == rc.orgID && (code == "" || f.Code == code) {
			out = append(out, viewFeature(f))
		}
	}
	s.st.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	s.writeList(w, out)
}

type replaceProductFeaturesRequest struct {
	FeatureIDs []string `json:"feature_ids"`
}

// replaceProductFeatures is PUT /api/products/:id/features: the product's features become exactly these.
func (s *Server) replaceProductFeatures(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req replaceProductFeaturesRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	productID, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil {
		writeError(w, errInvalid("invalid_id"))
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if p := s.st.products[productID]; p == nil || p.OrgID != rc.orgID {
		writeError(w, errNotFound)
		return
	}
	ids := []valoraid.ID{}
	out := []featureView{}
	for _, raw := range req.FeatureIDs {
		id, err := valoraid.ParseString(strings.TrimSpace(raw))
		f := s.st.features[id]
		if err != nil || f == nil || f.OrgID != rc.orgID {
			writeError(w, errInvalid("invalid_feature"))
			return
		}
		ids = append(ids, id)
		out = append(out, viewFeature(f))
	}
	s.st.productFeatures[productID] = ids
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// entitledMeters is what activation snapshots: the meters of the active metered features of the products the
// subscription's prices belong to. The caller holds s.st.mu.
func (s *Server) entitledMeters(sub *subscription) []valoraid.ID {
	var out []valoraid.ID
	for _, it := range sub.Items {
		p := s.st.prices[it.PriceID]
		if p == nil {
			continue
		}
		for _, fid := range s.st.productFeatures[p.ProductID] {
			if f := s.st.features[fid]; f != nil && f.Active && f.FeatureType == "metered" && f.MeterID != 0 {
				out = append(out, f.MeterID)
			}
		}
	}
	return out
}

// writeList answers a list as the flavour shapes it: Valora's {"data":[…]}, or Railzway's respondList with an
// empty page_info (these lists fit one page).
func (s *Server) writeList(w http.ResponseWriter, items any) {
	if !s.fl.pageInfo {
		writeJSON(w, http.StatusOK, map[string]any{"data": items})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": items,
		"page_info": map[string]any{"next_page_token": "", "previous_page_token": "", "has_more": false}})
}
