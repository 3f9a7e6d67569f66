package standin

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// ---- API keys (contract 6.4) ----

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
func normalizeScopes(in []string) ([]string, bool) {
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
		known := strings.HasSuffix(v, ":*")
		for _, k := range knownScopes {
			known = known || v == k
		}
		if !known {
			return nil, false
		}
	}
	return out, true
}

// mintAPIKey creates an active key in Valora's format, vk_live_key_<BASE36 id>_<64 hex>, and stores only its
// SHA-256. rand supplies the 32 secret bytes.
func (s *Server) mintAPIKey(orgID valoraid.ID, name string, scopes []string, id valoraid.ID, rand io.Reader, now time.Time) (*apiKey, string, error) {
	secret := make([]byte, 32)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, "", err
	}
	keyID := valoraid.KeyID(id)
	plain := "vk_live_" + keyID + "_" + hex.EncodeToString(secret) // vk_live_key_<BASE36>_<hex>
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
	scopes, ok := normalizeScopes(req.Scopes)
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
	writeJSON(w, http.StatusOK, knownScopes)
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

// ---- payment providers (contract 5.6) ----

type providerCatalogEntry struct {
	Provider        string `json:"provider"`
	DisplayName     string `json:"display_name"`
	SupportsWebhook bool   `json:"supports_webhook"`
	SupportsRefund  bool   `json:"supports_refund"`
}

// providerCatalog is payment_provider_catalog after migrations 0017 and 0036.
var providerCatalog = []providerCatalogEntry{
	{"stripe", "Stripe", true, true},
	{"midtrans", "Midtrans", true, false},
	{"xendit", "Xendit", true, false},
	{"manual", "Manual", false, false},
	{"adyen", "Adyen", true, true},
	{"braintree", "Braintree", true, true},
}

func inCatalog(provider string) bool {
	for _, p := range providerCatalog {
		if p.Provider == provider {
			return true
		}
	}
	return false
}

type providerConfigSummary struct {
	Provider   string `json:"provider"`
	IsActive   bool   `json:"is_active"`
	Configured bool   `json:"configured"`
}

type upsertProviderRequest struct {
	Provider string         `json:"provider"`
	Config   map[string]any `json:"config"`
}

// normalizeProviderConfig trims keys and string values and drops blanks and nulls.
func normalizeProviderConfig(in map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range in {
		k = strings.TrimSpace(k)
		if k == "" || v == nil {
			continue
		}
		if str, ok := v.(string); ok {
			str = strings.TrimSpace(str)
			if str == "" {
				continue
			}
			v = str
		}
		out[k] = v
	}
	return out
}

// upsertPaymentProvider is POST /admin/payment-providers: upsert on (org, provider); an existing row keeps its
// is_active, a new one is active.
func (s *Server) upsertPaymentProvider(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req upsertProviderRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	provider := strings.ToLower(strings.TrimSpace(req.Provider))
	if provider == "" || !inCatalog(provider) {
		writeError(w, errInvalid("invalid_provider"))
		return
	}
	cfg := normalizeProviderConfig(req.Config)
	if len(cfg) == 0 {
		writeError(w, errInvalid("invalid_config"))
		return
	}
	active := true
	if s.faults.has(FaultProviderConfigIgnored) {
		// Answered as stored, with the is_active the upsert would have kept; nothing changes.
		if pc := s.providerConfig(rc.orgID, provider); pc != nil {
			active = pc.Active
		}
	} else {
		active = s.upsertProviderConfig(rc.orgID, provider, cfg, time.Now().UTC()).Active
	}
	writeJSON(w, http.StatusOK, map[string]any{"config": providerConfigSummary{Provider: provider, IsActive: active, Configured: true}})
}

// providerConfig is the org's config of a provider, nil when there is none.
func (s *Server) providerConfig(orgID valoraid.ID, provider string) *providerConfig {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	for _, c := range s.st.providerConfigs {
		if c.OrgID == orgID && c.Provider == provider {
			return c
		}
	}
	return nil
}

func (s *Server) upsertProviderConfig(orgID valoraid.ID, provider string, cfg map[string]any, now time.Time) *providerConfig {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for i, c := range s.st.providerConfigs {
		if c.OrgID == orgID && c.Provider == provider {
			updated := *c
			updated.Config, updated.UpdatedAt = cfg, now
			s.st.providerConfigs[i] = &updated
			return &updated
		}
	}
	c := &providerConfig{ID: s.gen.Next(), OrgID: orgID, Provider: provider, Config: cfg, Active: true, CreatedAt: now, UpdatedAt: now}
	s.st.providerConfigs = append(s.st.providerConfigs, c)
	return c
}

func (s *Server) listPaymentProviders(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	s.st.mu.RLock()
	out := []providerConfigSummary{}
	for _, c := range s.st.providerConfigs {
		if c.OrgID == rc.orgID {
			out = append(out, providerConfigSummary{Provider: c.Provider, IsActive: c.Active, Configured: len(c.Config) > 0})
		}
	}
	s.st.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"configs": out})
}

func (s *Server) paymentProviderCatalog(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	writeJSON(w, http.StatusOK, map[string]any{"providers": providerCatalog})
}

// setPaymentProviderActive is PATCH /admin/payment-providers/:provider {"is_active": bool}.
func (s *Server) setPaymentProviderActive(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	var req struct {
		IsActive *bool `json:"is_active"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, errInvalidRequest)
		return
	}
	if req.IsActive == nil {
		writeError(w, errValidation("is_active", "invalid_is_active", "invalid is_active"))
		return
	}
	provider := strings.ToLower(strings.TrimSpace(rc.param))
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for i, c := range s.st.providerConfigs {
		if c.OrgID == rc.orgID && c.Provider == provider {
			updated := *c
			updated.Active, updated.UpdatedAt = *req.IsActive, time.Now().UTC()
			s.st.providerConfigs[i] = &updated
			writeJSON(w, http.StatusOK, map[string]any{"config": providerConfigSummary{Provider: provider, IsActive: updated.Active, Configured: true}})
			return
		}
	}
	writeError(w, errNotFound)
}
