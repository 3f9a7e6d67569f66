package standin

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// newSessionToken is Valora's cookie value: 32 random bytes, unpadded base64url (43 characters).
func newSessionToken(rand io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// createSession stores a session for the user with no active org and every org the user belongs to, which is
// the state Valora leaves a session in right after login.
func (s *Server) createSession(userID valoraid.ID, rand io.Reader) (string, *session, error) {
	token, err := newSessionToken(rand)
	if err != nil {
		return "", nil, err
	}
	now := time.Now().UTC()
	sess := &session{
		ID:         s.gen.Next(),
		UserID:     userID,
		OrgIDs:     s.st.userOrgIDs(userID),
		ExpiresAt:  now.Add(sessionTTL),
		LastSeenAt: now,
	}
	s.st.sessions.add(sha256.Sum256([]byte(token)), sess)
	return token, sess, nil
}

func setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(time.Until(expires).Seconds()),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

func idStrings(list []valoraid.ID) []string {
	out := make([]string, len(list))
	for i, id := range list {
		out[i] = id.String()
	}
	return out
}

// userMetadata is the "metadata" object of login and /auth/me.
func userMetadata(u *user, orgIDs []valoraid.ID) map[string]any {
	mustChange := u.IsDefault || u.LastPasswordChanged == nil
	state := "rotated"
	if mustChange {
		state = "default"
	}
	return map[string]any{
		"user_id":               u.ID.String(),
		"external_id":           u.Email,
		"provider":              "local",
		"display_name":          u.DisplayName,
		"email":                 u.Email,
		"is_default":            u.IsDefault,
		"last_password_changed": u.LastPasswordChanged,
		"must_change_password":  mustChange,
		"password_state":        state,
		"auth_provider":         "local",
		"org_ids":               idStrings(orgIDs),
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ reqCtx) {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(req.Email))
	if err != nil || strings.TrimSpace(req.Password) == "" {
		writeError(w, errUnauthorized)
		return
	}
	email := strings.ToLower(strings.TrimSpace(addr.Address))
	s.st.mu.RLock()
	u := s.st.usersByEmail[email]
	s.st.mu.RUnlock()
	if u == nil {
		writeError(w, errUnauthorized)
		return
	}
	if ok, err := verifyPassword(req.Password, u.PasswordHash); err != nil || !ok {
		writeError(w, errUnauthorized)
		return
	}
	token, sess, err := s.createSession(u.ID, s.rand)
	if err != nil {
		writeError(w, errInternal)
		return
	}
	setSessionCookie(w, token, sess.ExpiresAt)
	writeJSON(w, http.StatusOK, map[string]any{"metadata": userMetadata(u, sess.OrgIDs)})
}

// logout revokes the session; Valora answers 401 when there is no cookie or no such session, 204 otherwise
// (even for a session already revoked or expired).
func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ reqCtx) {
	token, ok := sessionToken(r)
	if !ok {
		writeError(w, errUnauthorized)
		return
	}
	sess := s.st.sessions.get(sha256.Sum256([]byte(token)))
	if sess == nil {
		writeError(w, errUnauthorized)
		return
	}
	sess.mu.Lock()
	sess.Revoked = true
	sess.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// me is not behind WebAuthRequired: a missing or dead session is a 401 JSON, not a redirect.
func (s *Server) me(w http.ResponseWriter, r *http.Request, _ reqCtx) {
	token, ok := sessionToken(r)
	if !ok {
		writeError(w, errUnauthorized)
		return
	}
	sess, ok := s.authenticate(token)
	if !ok {
		writeError(w, errUnauthorized)
		return
	}
	s.st.mu.RLock()
	u := s.st.users[sess.UserID]
	s.st.mu.RUnlock()
	if u == nil {
		writeError(w, errUnauthorized)
		return
	}
	orgIDs := s.st.userOrgIDs(u.ID)
	sess.mu.Lock()
	sess.OrgIDs = orgIDs
	active := sess.ActiveOrgID
	sess.mu.Unlock()
	md := userMetadata(u, orgIDs)
	if active != 0 {
		md["active_org_id"] = active.String()
	}
	writeJSON(w, http.StatusOK, map[string]any{"metadata": md})
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
	if !containsID(orgIDs, id) {
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

// loginPage is GET /login: a logged-in user is sent to /orgs; otherwise Valora serves the SPA, which the
// stand-in does not have, so the answer is the text 404 Valora gives without STATIC_DIR.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, _ reqCtx) {
	if token, ok := sessionToken(r); ok {
		if _, live := s.authenticate(token); live {
			http.Redirect(w, r, "/orgs", http.StatusFound)
			return
		}
	}
	notFound(w)
}
