package standin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Flavor is which server the stand-in plays: Valora (smallbiznis/valora at 079d353, the contract's sections 1–9)
// or the newer Railzway (railzwaylabs/railzway at 4ff8772, section 10, with the one-line fix to its scope table
// that lets a key ingest usage; FaultRailzwayIngestScope puts the unfixed table back).
type Flavor string

const (
	FlavorValora   Flavor = "valora"
	FlavorRailzway Flavor = "railzway"
)

// ParseFlavor reads a flavour name; "" is Valora.
func ParseFlavor(s string) (Flavor, error) {
	switch f := Flavor(strings.ToLower(strings.TrimSpace(s))); f {
	case "", FlavorValora:
		return FlavorValora, nil
	case FlavorRailzway:
		return f, nil
	default:
		return "", fmt.Errorf("unknown flavor %q (accepted: valora, railzway)", s)
	}
}

// flavorTraits is the one place that says what differs between the flavours. Handlers ask s.fl.<trait>; nothing
// else in the stand-in compares flavour names.
type flavorTraits struct {
	// wrapUsage: POST /api/usage answers {"data":{…event…}} instead of the bare event.
	wrapUsage bool
	// pageInfo: customer lists are {"data":[…],"page_info":{…}} instead of {"data":{…,"customers":[…]}}.
	pageInfo bool
	// scopes: every /api route requires a scope of the key (routeScopes); a key without scopes gets 403.
	scopes bool
	// keyLimiter: a fixed window of Config.KeyLimit requests per Config.KeyWindow per raw key on every /api
	// route, checked before the key is looked up; beyond it 429 rate_limited without Retry-After.
	keyLimiter bool
	// ownOrgHint: X-Org-Id equal to the key's org is allowed (another org → 401); ?org_id=/?orgId= of the key's
	// own org → 428, of another → 401. Valora refuses every hint with 401 before looking at the key.
	ownOrgHint bool
	// entitlements: ingest needs the subscription to be entitled to a metered feature on the meter (features
	// attached to the product before activation); items[].meter_id is refused with 400 unsupported.
	entitlements bool
	// strictUsageBody: a body that does not decode → 400 invalid_request (Valora: 500); a negative value → 400
	// invalid_value; recorded_at more than 5 minutes ahead → 400 invalid_recorded_at.
	strictUsageBody bool
	// quotas: Config.UsageQuota (events per org) → 402 quota_exceeded.
	quotas bool
	// usageRead: GET /api/usage is routed (Valora has no such route: its fallback answers).
	usageRead bool
	// providerRoutes: /admin/payment-providers is routed (Railzway 4ff8772 has the handlers but does not route them).
	providerRoutes bool
	// featureRoutes: POST/GET /api/features and PUT /api/products/:id/features.
	featureRoutes bool
}

var flavors = map[Flavor]flavorTraits{
	FlavorValora: {providerRoutes: true},
	FlavorRailzway: {wrapUsage: true, pageInfo: true, scopes: true, keyLimiter: true, ownOrgHint: true,
		entitlements: true, strictUsageBody: true, quotas: true, usageRead: true, featureRoutes: true},
}

// Railzway's per-key limiter defaults: 1000 requests per 10 minutes per raw key, fixed window.
const (
	defaultKeyLimit  = 1000
	defaultKeyWindow = 10 * time.Minute
)

// railzwayScopes extends Valora's scope list with the scopes of Railzway's feature and usage-read routes.
var railzwayScopes = append(slices.Clip(knownScopes), "feature:view", "feature:create", "feature:update", "usage:view")

// scopeUsageIngest is the scope POST /api/usage requires in a Railzway with the scope-table fix. Railzway 4ff8772
// maps (usage, usage.ingest) to no scope at all, so the required scope is empty and every key is refused
// (FaultRailzwayIngestScope).
const scopeUsageIngest = "usage:ingest"

// scopesOf is the list /admin/api-keys/scopes answers and key creation accepts.
func (s *Server) scopesOf() []string {
	if s.fl.scopes {
		return railzwayScopes
	}
	return knownScopes
}

// hasScope: the key holds the scope itself or its resource's wildcard ("usage:*").
func hasScope(held []string, want string) bool {
	if want == "" {
		return false
	}
	resource, _, _ := strings.Cut(want, ":")
	for _, h := range held {
		if h == want || h == resource+":*" {
			return true
		}
	}
	return false
}

// keyWindow is Railzway's in-memory per-key limiter: a fixed window per raw key.
type keyWindow struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	windows map[string]*keyCount
}

type keyCount struct {
	start time.Time
	n     int
}

func newKeyWindow(limit int, window time.Duration) *keyWindow {
	return &keyWindow{limit: limit, window: window, windows: map[string]*keyCount{}}
}

// allow counts one request of this raw key; false once the key has used its window.
func (kw *keyWindow) allow(raw string, now time.Time) bool {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	c := kw.windows[raw]
	if c == nil || now.Sub(c.start) >= kw.window {
		if c == nil && len(kw.windows) >= 100000 {
			// Bounded memory: drop the windows that have ended.
			for k, v := range kw.windows {
				if now.Sub(v.start) >= kw.window {
					delete(kw.windows, k)
				}
			}
		}
		c = &keyCount{start: now}
		kw.windows[raw] = c
	}
	c.n++
	return c.n <= kw.limit
}

// railzwayOrgHint applies Railzway's org-hint rule once the key's org is known; it reports whether the request
// goes on, and the org it acts in (another org's id only under FaultOrgHeader).
func (s *Server) railzwayOrgHint(w http.ResponseWriter, r *http.Request, keyOrg valoraid.ID) (valoraid.ID, bool) {
	header := strings.TrimSpace(r.Header.Get("X-Org-Id"))
	query := ""
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		query = strings.TrimSpace(q.Get("org_id"))
		if query == "" {
			query = strings.TrimSpace(q.Get("orgId"))
		}
	}
	if header == "" && query == "" {
		return keyOrg, true
	}
	if s.faults.has(FaultOrgHeader) {
		for _, hint := range []string{header, query} {
			if id, err := valoraid.ParseString(hint); err == nil && s.orgExists(id) {
				return id, true
			}
		}
		return keyOrg, true
	}
	own := keyOrg.String()
	if (header != "" && header != own) || (query != "" && query != own) {
		writeError(w, errUnauthorized)
		return 0, false
	}
	if query != "" {
		writeError(w, errOrgRequired) // seen on a running 4ff8772: the key's own org in the query is 428
		return 0, false
	}
	return keyOrg, true
}

// errQuotaExceeded is Railzway's 402 quota mapping.
var errQuotaExceeded = &apiError{status: http.StatusPaymentRequired, typ: "quota_exceeded", msg: "quota exceeded"}

// errFeatureNotEntitled: the subscription has no metered feature on the meter.
var errFeatureNotEntitled = errValidation("feature", "feature_not_entitled", "feature not entitled")
