package standin

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/valora-k6/valora-k6/valoraid"
)

// The authentication middleware, in Valora's order: APIKeyRequired in front of /api; WebAuthRequired,
// OrgContext and RequireRole in front of /admin.

// ---- /api: API keys (contract 1.3) ----

// orgHint is a non-empty X-Org-Id header, org_id or orgId query value: Valora refuses them all on /api.
func orgHint(r *http.Request) string {
	if v := strings.TrimSpace(r.Header.Get("X-Org-Id")); v != "" {
		return v
	}
	// Only a query mentioning "org" or holding an escape can carry org_id or orgId; most carry neither, so
	// skip parsing them.
	raw := r.URL.RawQuery
	if raw == "" || (!strings.Contains(raw, "org") && !strings.Contains(raw, "%")) {
		return ""
	}
	q := r.URL.Query()
	if v := strings.TrimSpace(q.Get("org_id")); v != "" {
		return v
	}
	return strings.TrimSpace(q.Get("orgId"))
}

// bearerToken applies Valora's parsing: trimmed header, exactly two whitespace-separated fields, the first exactly
// "Bearer". It does what strings.Fields would without allocating.
func bearerToken(header string) (string, bool) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", false
	}
	i := strings.IndexFunc(header, unicode.IsSpace)
	if i < 0 || header[:i] != "Bearer" {
		return "", false
	}
	token := strings.TrimLeftFunc(header[i:], unicode.IsSpace)
	if token == "" || strings.IndexFunc(token, unicode.IsSpace) >= 0 {
		return "", false
	}
	return token, true
}

// withAPIKey is APIKeyRequired on a route that needs no scope (every /api route of Valora; the stand-in's own routes).
func (s *Server) withAPIKey(h hfunc) hfunc { return s.withAPIKeyScope("", h) }

// withAPIKeyScope is APIKeyRequired; in the Railzway flavour it also runs the per-key limiter, Railzway's org-hint
// rule and the route's scope check (authorizeOrgAction).
func (s *Server) withAPIKeyScope(scope string, h hfunc) hfunc {
	return func(w http.ResponseWriter, r *http.Request, rc reqCtx) {
		orgHonoured := s.faults.has(FaultOrgHeader)
		var hint string
		if !s.fl.ownOrgHint {
			hint = orgHint(r)
			if hint != "" && !orgHonoured {
				writeError(w, errUnauthorized)
				return
			}
		}
		var k *apiKey
		token, valid := bearerToken(r.Header.Get("Authorization"))
		if valid && s.fl.keyLimiter && !s.keyLim.allow(token, time.Now()) {
			writeError(w, errRateLimited) // no Retry-After, no X-Rate-Limited-Reason
			return
		}
		if valid {
			k = s.st.keys.find(token, time.Now().UTC())
		}
		orgID := valoraid.ID(0)
		if k != nil {
			orgID = k.OrgID
		} else {
			if !s.faults.has(FaultAPIKeyAny) {
				writeError(w, errUnauthorized)
				return
			}
			orgID = s.fixture.orgID
		}
		if s.fl.ownOrgHint {
			var ok bool
			if orgID, ok = s.railzwayOrgHint(w, r, orgID); !ok {
				return
			}
		} else if hint != "" && orgHonoured {
			if id, err := valoraid.ParseString(hint); err == nil && s.orgExists(id) {
				orgID = id
			}
		}
		if s.fl.scopes && !s.scopeAllowed(k, scope) {
			writeError(w, errForbidden)
			return
		}
		rc.orgID = orgID
		h(w, r, rc)
	}
}

// scopeAllowed is Railzway's authorizeOrgAction for an API key: the key must hold the route's scope. A key that
// FaultAPIKeyAny let in without being known holds every scope.
func (s *Server) scopeAllowed(k *apiKey, scope string) bool {
	if scope == scopeUsageIngest && s.faults.has(FaultRailzwayIngestScope) {
		return false // 4ff8772's scope table maps usage ingest to no scope: nothing satisfies an empty requirement
	}
	if k == nil || scope == "" {
		return true // FaultAPIKeyAny's unknown key, or a route that requires no scope
	}
	return hasScope(k.Scopes, scope)
}

// ---- sessions (contract 1.4, 6.1) ----

// withSession is WebAuthRequired: without a live session, a 302 to /login rather than a 401.
func (s *Server) withSession(h hfunc) hfunc {
	return func(w http.ResponseWriter, r *http.Request, rc reqCtx) {
		var sess *session
		if token, ok := sessionToken(r); ok {
			sess, _ = s.authenticate(token)
		}
		if sess == nil {
			if !s.faults.has(FaultSessionSkip) {
				http.Redirect(w, r, "/login", http.StatusFound)
				return
			}
			sess = s.ownerSession()
		}
		rc.sess = sess
		rc.userID = sess.UserID
		h(w, r, rc)
	}
}

// ownerSession is the session FaultSessionSkip pretends a cookie-less request has: the fixture owner's, on the
// main org. It is not stored.
func (s *Server) ownerSession() *session {
	return &session{
		UserID:      s.fixture.ownerID,
		ActiveOrgID: s.fixture.orgID,
		OrgIDs:      s.st.userOrgIDs(s.fixture.ownerID),
		ExpiresAt:   time.Now().Add(sessionTTL),
	}
}

// withOrg is OrgContext: X-Org-Id (sticky) or the session's active org, then membership.
func (s *Server) withOrg(h hfunc) hfunc {
	return func(w http.ResponseWriter, r *http.Request, rc reqCtx) {
		sess := rc.sess
		header := strings.TrimSpace(r.Header.Get("X-Org-Id"))
		var resolved valoraid.ID
		sess.mu.Lock()
		active, cached := sess.ActiveOrgID, sess.OrgIDs
		sess.mu.Unlock()
		orgIDs := cached
		if header != "" {
			id, err := valoraid.ParseString(header)
			if err != nil {
				writeError(w, errValidation("org_id", "invalid_org_id", "invalid org id"))
				return
			}
			resolved = id
		} else if active != 0 {
			resolved = active
		} else {
			writeError(w, errOrgRequired)
			return
		}
		if !slices.Contains(orgIDs, resolved) {
			orgIDs = s.st.userOrgIDs(sess.UserID)
		}
		if !slices.Contains(orgIDs, resolved) {
			if !s.faults.has(FaultTenantOrgSwitch) || header == "" || !s.orgExists(resolved) {
				writeError(w, errForbidden)
				return
			}
			// The header org is taken as the session's although the user is not a member of it.
			rc.roleFrom = firstOrg(orgIDs)
		}
		if header != "" {
			sess.mu.Lock()
			sess.ActiveOrgID = resolved
			sess.OrgIDs = orgIDs
			sess.mu.Unlock()
		} else if len(cached) == 0 && len(orgIDs) > 0 {
			sess.mu.Lock()
			sess.OrgIDs = orgIDs
			sess.mu.Unlock()
		}
		rc.orgID = resolved
		h(w, r, rc)
	}
}

// normalizeRole is Valora's roleForOrg: uppercase, "ORG_" prefix stripped.
func normalizeRole(role string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(role)), "ORG_")
}

// withRole is RequireRole. The casbin capability checks Valora adds on some routes grant exactly these roles
// for the routes the stand-in serves, so the role gate is all there is to check.
func (s *Server) withRole(h hfunc, roles ...string) hfunc {
	return func(w http.ResponseWriter, r *http.Request, rc reqCtx) {
		roleOrg := rc.orgID
		if rc.roleFrom != 0 {
			roleOrg = rc.roleFrom
		}
		role := s.st.role(roleOrg, rc.userID)
		if role != "" && s.faults.has(FaultRoleIgnored) {
			h(w, r, rc)
			return
		}
		if role == "" {
			writeError(w, errForbidden)
			return
		}
		role = normalizeRole(role)
		for _, allowed := range roles {
			if role == allowed {
				h(w, r, rc)
				return
			}
		}
		writeError(w, errForbidden)
	}
}

// admin chains WebAuthRequired, OrgContext and RequireRole, as Valora's /admin group does.
func (s *Server) admin(h hfunc, roles ...string) hfunc {
	return s.withSession(s.withOrg(s.withRole(h, roles...)))
}

// firstOrg is the first of a user's orgs, 0 for none.
func firstOrg(ids []valoraid.ID) valoraid.ID {
	if len(ids) == 0 {
		return 0
	}
	return ids[0]
}
