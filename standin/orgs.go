package standin

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Organisations and their users, as Valora's seeder and membership tables hold them, and the /auth/user routes
// that list a user's orgs and choose the session's active one.

type org struct {
	ID        valoraid.ID
	Name      string
	Slug      string
	CreatedAt time.Time
}

type user struct {
	ID                  valoraid.ID
	Email               string
	DisplayName         string
	PasswordHash        string
	IsDefault           bool
	LastPasswordChanged *time.Time
	CreatedAt           time.Time
}

// Valora's organization roles (internal/organization/domain). DEVELOPER and MEMBER are refused by every route the
// stand-in serves under /admin.
const (
	roleOwner     = "OWNER"
	roleAdmin     = "ADMIN"
	roleFinOps    = "FINOPS"
	roleDeveloper = "DEVELOPER"
	roleMember    = "MEMBER"
)

// orgIDsOf lists the orgs a user belongs to, in a stable order. Caller holds st.mu.
func (st *state) orgIDsOf(userID valoraid.ID) []valoraid.ID {
	var out []valoraid.ID
	for orgID, m := range st.members {
		if _, ok := m[userID]; ok {
			out = append(out, orgID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (st *state) userOrgIDs(userID valoraid.ID) []valoraid.ID {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.orgIDsOf(userID)
}

// role returns the user's role in the org, "" when not a member.
func (st *state) role(orgID, userID valoraid.ID) string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.members[orgID][userID]
}

func (s *Server) orgExists(id valoraid.ID) bool {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	return s.st.orgs[id] != nil
}

// useOrg is POST /auth/user/using/:orgId (behind WebAuthRequired only).
func (s *Server) useOrg(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	raw := strings.TrimSpace(rc.param)
	id, err := valoraid.ParseString(raw)
	if raw == "" || err != nil {
		writeError(w, errValidation("org_id", "invalid_org_id", "invalid org id"))
		return
	}
	orgIDs := s.st.userOrgIDs(rc.userID)
	if !slices.Contains(orgIDs, id) {
		writeError(w, errForbidden)
		return
	}
	rc.sess.mu.Lock()
	rc.sess.ActiveOrgID = id
	rc.sess.OrgIDs = orgIDs
	rc.sess.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"metadata": map[string]any{
		"user_id":       rc.userID.String(),
		"org_ids":       idStrings(orgIDs),
		"active_org_id": id.String(),
	}})
}

type orgView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) listUserOrgs(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	s.st.mu.RLock()
	orgIDs := s.st.orgIDsOf(rc.userID)
	out := make([]orgView, 0, len(orgIDs))
	for _, id := range orgIDs {
		o := s.st.orgs[id]
		if o == nil {
			continue
		}
		out = append(out, orgView{ID: id.String(), Name: o.Name, Role: s.st.members[id][rc.userID], CreatedAt: o.CreatedAt})
	}
	s.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"orgs": out})
}
