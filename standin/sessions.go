package standin

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Sessions (contract 1.4, 6.1): the _sid cookie and the sessions it names, and the /auth routes that log in,
// log out and describe the session's user.

type session struct {
	mu          sync.Mutex
	ID          valoraid.ID
	UserID      valoraid.ID
	ActiveOrgID valoraid.ID // 0: none
	OrgIDs      []valoraid.ID
	ExpiresAt   time.Time
	Revoked     bool
	LastSeenAt  time.Time
}

type sessionStore struct {
	mu     sync.RWMutex
	byHash map[[32]byte]*session
}

func (ss *sessionStore) add(hash [32]byte, s *session) {
	ss.mu.Lock()
	ss.byHash[hash] = s
	ss.mu.Unlock()
}

func (ss *sessionStore) get(hash [32]byte) *session {
	ss.mu.RLock()
	s := ss.byHash[hash]
	ss.mu.RUnlock()
	return s
}

const (
	sessionCookie = "_sid"
	// sessionTTL is Valora's fixed, non-sliding session lifetime.
	sessionTTL = 7 * 24 * time.Hour
)

func sessionToken(r *http.Request) (string, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	v := strings.TrimSpace(c.Value)
	return v, v != ""
}

// authenticate finds a live session for the raw cookie value and records last_seen_at, as Valora does.
func (s *Server) authenticate(token string) (*session, bool) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, false
	}
	sess := s.st.sessions.get(sha256.Sum256([]byte(token)))
	if sess == nil {
		return nil, false
	}
	now := time.Now().UTC()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.Revoked || now.After(sess.ExpiresAt) {
		return nil, false
	}
	sess.LastSeenAt = now
	return sess, true
}

// newSessionToken is Valora's cookie value: 32 random bytes, unpadded base64url (43 characters).
func newSessionToken(rand io.Reader) (string, error) {
	b, err := randomBytes(rand, 32)
	if err != nil {
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
