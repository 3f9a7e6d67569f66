package standin

import (
	"crypto/sha256"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// API keys (contract 6.4): keys minted in Valora's format, the /admin/api-keys routes, and the index by hash that
// /api authentication looks keys up in.

type apiKey struct {
	ID        valoraid.ID
	OrgID     valoraid.ID
	KeyID     string
	Name      string
	Scopes    []string
	Hash      [32]byte
	Active    bool
	ExpiresAt *time.Time
	CreatedAt time.Time
}

// apiKeyStore is indexed by the SHA-256 of the plaintext, unlike Valora (which scans api_keys without an index):
// the stand-in must never be the bottleneck a benchmark measures.
type apiKeyStore struct {
	mu      sync.RWMutex
	byHash  map[[32]byte]*apiKey
	byKeyID map[string]*apiKey
}

func (ks *apiKeyStore) add(k *apiKey) {
	ks.mu.Lock()
	ks.byHash[k.Hash] = k
	ks.byKeyID[k.KeyID] = k
	ks.mu.Unlock()
}

// lookup returns the org of an active, unexpired key with this plaintext.
func (ks *apiKeyStore) lookup(plaintext string, now time.Time) (valoraid.ID, bool) {
	k := ks.find(plaintext, now)
	if k == nil {
		return 0, false
	}
	return k.OrgID, true
}

// find returns the active, unexpired key with this plaintext, or nil. Keys are replaced, never mutated, so the
// key returned can be read without the lock.
func (ks *apiKeyStore) find(plaintext string, now time.Time) *apiKey {
	var buf [128]byte // keys are 89 bytes: hash them without a heap copy
	h := sha256.Sum256(append(buf[:0], plaintext...))
	ks.mu.RLock()
	k := ks.byHash[h]
	ks.mu.RUnlock()
	if k == nil || !k.Active || (k.ExpiresAt != nil && !k.ExpiresAt.After(now)) {
		return nil
	}
	return k
}

// knownScopes is Valora's scope list (internal/auth/scope).
var knownScopes = []string{
	"subscription:view", "subscription:create", "subscription:activate", "subscription:pause", "subscription:resume",
	"subscription:cancel", "subscription:end",
	"billing_cycle:open", "billing_cycle:start_closing", "billing_cycle:close", "billing_cycle:rate",
	"invoice:view", "invoice:generate", "invoice:finalize", "invoice:void",
	"api_key:view", "api_key:create", "api_key:rotate", "api_key:revoke",
	"audit_log:view",
	"usage:ingest", "usage:write",
	"product:view", "product:create", "product:update", "product:delete",
	"price:view", "price:create", "price:update", "price:delete",
	"meter:view", "meter:create", "meter:update", "meter:delete",
	"customer:view", "customer:create", "customer:update", "customer:delete",
	"payment_provider:manage",
}

// normalizeScopes lowercases, turns '.' into ':' and removes blanks and duplicates; a scope must be known or a
// wildcard.
func normalizeScopes(in, known []string) ([]string, bool) {
	out := []string{}
	seen := map[string]bool{}
	for _, raw := range in {
		v := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(raw)), ".", ":")
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	for _, v := range out {
		if !strings.HasSuffix(v, ":*") && !slices.Contains(known, v) {
			return nil, false
		}
	}
	return out, true
}

// mintAPIKey creates an active key in Valora's format, vk_live_key_<BASE36 id>_<64 hex>, and stores only its
// SHA-256. rand supplies the 32 secret bytes.
func (s *Server) mintAPIKey(orgID valoraid.ID, name string, scopes []string, id valoraid.ID, rand io.Reader, now time.Time) (*apiKey, string, error) {
	secret, err := randomHex(rand, 32)
	if err != nil {
		return nil, "", err
	}
	keyID := valoraid.KeyID(id)
	plain := "vk_live_" + keyID + "_" + secret // vk_live_key_<BASE36>_<64 hex>
	k := &apiKey{ID: id, OrgID: orgID, KeyID: keyID, Name: name, Scopes: scopes,
		Hash: sha256.Sum256([]byte(plain)), Active: true, CreatedAt: now}
	s.st.keys.add(k)
	return k, plain, nil
}

type createAPIKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req createAPIKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		writeError(w, errInvalid("invalid_name"))
		return
	}
	scopes, ok := normalizeScopes(req.Scopes, s.scopesOf())
	if !ok {
		writeError(w, errInvalid("invalid_scope"))
		return
	}
	k, plain, err := s.mintAPIKey(rc.orgID, name, scopes, s.gen.Next(), s.rand, time.Now().UTC())
	if err != nil {
		writeError(w, errInternal)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key_id": k.KeyID, "api_key": plain})
}

type apiKeyView struct {
	KeyID            string     `json:"key_id"`
	Name             string     `json:"name"`
	Scopes           []string   `json:"scopes"`
	IsActive         bool       `json:"is_active"`
	CreatedAt        time.Time  `json:"created_at"`
	LastUsedAt       *time.Time `json:"last_used_at"`
	ExpiresAt        *time.Time `json:"expires_at"`
	RotatedFromKeyID *string    `json:"rotated_from_key_id"`
}

// listAPIKeys answers a bare JSON array, as Valora does.
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	ks := &s.st.keys
	ks.mu.RLock()
	out := []apiKeyView{}
	for _, k := range ks.byKeyID {
		if k.OrgID == rc.orgID {
			out = append(out, apiKeyView{KeyID: k.KeyID, Name: k.Name, Scopes: k.Scopes, IsActive: k.Active,
				CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt})
		}
	}
	ks.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listAPIKeyScopes(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	writeJSON(w, http.StatusOK, s.scopesOf())
}

// revokeAPIKey is POST /admin/api-keys/:key_id/revoke (OWNER only): inactive and expired now, 204.
func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	ks := &s.st.keys
	ks.mu.Lock()
	defer ks.mu.Unlock()
	k := ks.byKeyID[strings.TrimSpace(rc.param)]
	if k == nil || k.OrgID != rc.orgID {
		writeError(w, errNotFound)
		return
	}
	now := time.Now().UTC()
	// Replace rather than mutate: lookups read key fields under the read lock only.
	revoked := *k
	revoked.Active = false
	revoked.ExpiresAt = &now
	ks.byKeyID[k.KeyID] = &revoked
	ks.byHash[k.Hash] = &revoked
	w.WriteHeader(http.StatusNoContent)
}
