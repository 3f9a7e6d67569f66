package standin

import (
	"net/http"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Payment provider configs (contract 5.6): the catalogue and the /admin/payment-providers routes. A config's secret
// is what the webhook route verifies deliveries with (webhooks.go).

type providerConfig struct {
	ID        valoraid.ID
	OrgID     valoraid.ID
	Provider  string
	Config    map[string]any
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

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
