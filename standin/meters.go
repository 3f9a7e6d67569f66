package standin

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type meter struct {
	ID          valoraid.ID
	OrgID       valoraid.ID
	Code        string
	Name        string
	Aggregation string
	Unit        string
	Active      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

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
		if m.OrgID == rc.orgID || s.faults.has(FaultTenantRead) {
			out = append(out, viewMeter(m))
		}
	}
	s.st.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	s.writeList(w, out)
}

// getMeter is GET /api/meters/:id and /admin/meters/:id: 400 invalid_id for an id that does not parse, 404
// meter_not_found for another org's meter.
func (s *Server) getMeter(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	id, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil || id == 0 {
		writeError(w, errInvalid("invalid_id"))
		return
	}
	s.st.mu.RLock()
	m := s.st.meters[id]
	var v meterView
	if m != nil {
		v = viewMeter(m)
	}
	s.st.mu.RUnlock()
	if m == nil || (m.OrgID != rc.orgID && !s.faults.has(FaultTenantRead)) {
		writeError(w, errNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": v})
}
