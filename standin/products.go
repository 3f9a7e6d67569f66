package standin

import (
	"net/http"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type product struct {
	ID          valoraid.ID
	OrgID       valoraid.ID
	Code        string
	Name        string
	Description *string
	Active      bool
	Metadata    map[string]any
	CreatedAt   time.Time
	UpdatedAt   time.Time
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
