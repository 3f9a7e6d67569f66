package standin

import (
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// A second tenant and a second user, the only ways Valora has them (docs/valora-source.md 1): any logged-in user
// creates an org and becomes its OWNER, and users exist only through an invite, whose id Valora never returns:
// it goes out by email. The stand-in keeps the "sent" invites for Invites, as a mail catcher would.

type invite struct {
	ID        valoraid.ID
	OrgID     valoraid.ID
	Email     string
	Role      string
	Status    string // pending, accepted
	InvitedBy valoraid.ID
	CreatedAt time.Time
}

// SentInvite is an invite as its email carries it: the link's id, and to whom.
type SentInvite struct {
	ID, OrgID, Email, Role string
}

// Invites lists the invites sent so far, oldest first: what Valora's email (or its organization_invites table)
// holds, and no route returns.
func (s *Server) Invites() []SentInvite {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	out := make([]SentInvite, 0, len(s.st.invites))
	for _, inv := range s.st.invites {
		out = append(out, SentInvite{ID: inv.ID.String(), OrgID: inv.OrgID.String(), Email: inv.Email, Role: inv.Role})
	}
	slices.SortFunc(out, func(a, b SentInvite) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// timezones are the rows of Valora's seeded country_timezones the stand-in knows (a subset).
var timezones = map[string][]string{
	"US": {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"},
	"GB": {"Europe/London"},
	"DE": {"Europe/Berlin"},
	"ID": {"Asia/Jakarta"},
	"SG": {"Asia/Singapore"},
}

type createOrgRequest struct {
	Name         string `json:"name"`
	CountryCode  string `json:"country_code"`
	TimezoneName string `json:"timezone_name"`
}

// slugOf is slug.Make for the names a test uses: lower case, runs of anything but letters and digits as one "-".
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// createOrg is POST /auth/user/orgs (WebAuthRequired only): 200 with the bare org, the creator its OWNER. The
// session is not touched. A slug already taken is a raw unique violation: 500.
func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createOrgRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	name, country, tz := strings.TrimSpace(req.Name), strings.TrimSpace(req.CountryCode), strings.TrimSpace(req.TimezoneName)
	switch {
	case name == "":
		writeError(w, errInvalid("invalid_name"))
		return
	case country == "" || timezones[country] == nil:
		writeError(w, errInvalid("invalid_country"))
		return
	case !slices.Contains(timezones[country], tz):
		writeError(w, errInvalid("invalid_timezone"))
		return
	}
	o := &org{Name: name, Slug: slugOf(name), CreatedAt: time.Now().UTC()}
	s.st.mu.Lock()
	for _, other := range s.st.orgs {
		if other.Slug == o.Slug {
			s.st.mu.Unlock()
			writeError(w, errInternal)
			return
		}
	}
	o.ID = s.gen.Next()
	s.st.orgs[o.ID] = o
	s.st.members[o.ID] = map[valoraid.ID]string{rc.userID: roleOwner}
	s.st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": o.ID.String(), "name": o.Name, "slug": o.Slug,
		"country_code": country, "timezone_name": tz})
}

type inviteRequest struct {
	Invites []struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"invites"`
}

var inviteRoles = []string{roleOwner, roleAdmin, roleFinOps, roleDeveloper, roleMember}

// inviteMembers is POST /auth/user/orgs/:id/invites: any member of the org, in any role, invites; 204 with no
// body, the ids going out only by email.
func (s *Server) inviteMembers(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	orgID, err := valoraid.ParseString(strings.TrimSpace(rc.param))
	if err != nil {
		writeError(w, errValidation("org_id", "invalid_org_id", "invalid org id"))
		return
	}
	var req inviteRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	if s.st.role(orgID, rc.userID) == "" {
		writeError(w, errForbidden)
		return
	}
	var out []*invite
	for _, in := range req.Invites {
		addr, err := mail.ParseAddress(strings.TrimSpace(in.Email))
		if err != nil {
			writeError(w, errInvalid("invalid_email"))
			return
		}
		role := strings.ToUpper(strings.TrimSpace(in.Role))
		if !slices.Contains(inviteRoles, role) {
			writeError(w, errInvalid("invalid_role"))
			return
		}
		out = append(out, &invite{OrgID: orgID, Email: strings.ToLower(addr.Address), Role: role, Status: "pending",
			InvitedBy: rc.userID, CreatedAt: time.Now().UTC()})
	}
	s.st.mu.Lock()
	for _, inv := range out {
		inv.ID = s.gen.Next()
		s.st.invites[inv.ID] = inv
	}
	s.st.mu.Unlock()
	for _, inv := range out {
		// What Valora's email says, as a mail catcher on the default SMTP port would show it.
		s.log.Info("invite email", "to", inv.Email, "role", inv.Role, "link", "/invite/"+inv.ID.String())
	}
	w.WriteHeader(http.StatusNoContent)
}

// pendingInvite finds the invite of the path, or writes the error.
func (s *Server) pendingInvite(w http.ResponseWriter, raw string) *invite {
	id, err := valoraid.ParseString(strings.TrimSpace(raw))
	if err != nil {
		writeError(w, errInvalid("invalid_id"))
		return nil
	}
	s.st.mu.RLock()
	inv := s.st.invites[id]
	s.st.mu.RUnlock()
	if inv == nil {
		writeError(w, errNotFound)
		return nil
	}
	return inv
}

// getInvite is GET /auth/invites/:id, unauthenticated.
func (s *Server) getInvite(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	inv := s.pendingInvite(w, rc.param)
	if inv == nil {
		return
	}
	s.st.mu.RLock()
	orgName := ""
	if o := s.st.orgs[inv.OrgID]; o != nil {
		orgName = o.Name
	}
	s.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": inv.ID.String(), "org_id": inv.OrgID.String(), "org_name": orgName,
		"email": inv.Email, "role": inv.Role, "status": inv.Status, "invited_by": inv.InvitedBy.String()})
}

type completeInviteRequest struct {
	Password string `json:"password"`
	Name     string `json:"name"`
}

// completeInvite is POST /auth/invites/:id/complete, unauthenticated: a new local user with the invite's email
// (409 if the email exists), its membership with the invite's role, and a login (_sid, 200 {"metadata":…}).
func (s *Server) completeInvite(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	inv := s.pendingInvite(w, rc.param)
	if inv == nil {
		return
	}
	var req completeInviteRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	if len(req.Password) < 8 {
		writeError(w, errInvalid("invalid_password"))
		return
	}
	hash, err := hashPassword(req.Password, s.cfg.Argon2Memory, s.rand)
	if err != nil {
		writeError(w, errInternal)
		return
	}
	now := time.Now().UTC()
	s.st.mu.Lock()
	if inv.Status != "pending" {
		s.st.mu.Unlock()
		writeError(w, errInternal)
		return
	}
	if s.st.usersByEmail[inv.Email] != nil {
		s.st.mu.Unlock()
		writeError(w, errConflict)
		return
	}
	u := &user{ID: s.gen.Next(), Email: inv.Email, DisplayName: strings.TrimSpace(req.Name), PasswordHash: hash,
		LastPasswordChanged: &now, CreatedAt: now}
	s.st.users[u.ID] = u
	s.st.usersByEmail[u.Email] = u
	if s.st.members[inv.OrgID] == nil {
		s.st.members[inv.OrgID] = map[valoraid.ID]string{}
	}
	s.st.members[inv.OrgID][u.ID] = inv.Role
	inv.Status = "accepted"
	s.st.mu.Unlock()
	token, sess, err := s.createSession(u.ID, s.rand)
	if err != nil {
		writeError(w, errInternal)
		return
	}
	setSessionCookie(w, token, sess.ExpiresAt)
	writeJSON(w, http.StatusOK, map[string]any{"metadata": userMetadata(u, sess.OrgIDs)})
}
