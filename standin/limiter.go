package standin

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// limits are the usage limiter's parameters (contract 2.5).
type limits struct {
	orgRate, orgBurst float64
	epRate, epBurst   float64
	lockTTL           time.Duration
	holdLock          bool // keep the lock until it expires instead of releasing it after the request
	// lockedWork is how long the ingest handler holds the per-(customer, meter) lock at least. Valora's handler
	// does its database round trips (idempotency lookup, subscription, insert) under the lock, so identical posts
	// sent together meet it held and get 429; the in-memory handler alone answers too fast for any to overlap.
	lockedWork time.Duration
}

var (
	// Valora's defaults: USAGE_INGEST_ORG_RATE/BURST 25/50, ENDPOINT 15/30, concurrency TTL 3 s.
	valoraLimits = limits{orgRate: 25, orgBurst: 50, epRate: 15, epBurst: 30, lockTTL: 3 * time.Second,
		lockedWork: 5 * time.Millisecond}
	// FaultLimiterStrict: far below any rate the suite sends, and the per-(customer, meter) lock outlives the request.
	strictLimits = limits{orgRate: 1, orgBurst: 1, epRate: 1, epBurst: 1, lockTTL: time.Second, holdLock: true,
		lockedWork: 5 * time.Millisecond}
)

// usageLimiter is the in-memory equivalent of Valora's Redis token buckets and SET NX lock.
type usageLimiter struct {
	lim      limits
	mu       sync.Mutex
	org      map[valoraid.ID]*bucket
	endpoint map[valoraid.ID]*bucket
	locks    map[lockKey]lockEntry
	seq      uint64
}

type bucket struct {
	tokens float64
	ts     time.Time
}

type lockKey struct {
	org             valoraid.ID
	customer, meter string
}

type lockEntry struct {
	token   uint64
	expires time.Time
}

type bucketResult struct {
	limit     int
	remaining int
	reset     time.Time
}

func newUsageLimiter(l limits) *usageLimiter {
	return &usageLimiter{lim: l, org: map[valoraid.ID]*bucket{}, endpoint: map[valoraid.ID]*bucket{}, locks: map[lockKey]lockEntry{}}
}

// take refills continuously at rate, capped at burst, and spends one token if one is there. remaining is
// truncated to an integer as the Redis script's reply is.
func take(m map[valoraid.ID]*bucket, org valoraid.ID, rate, burst float64, now time.Time) (bool, bucketResult) {
	b := m[org]
	if b == nil {
		b = &bucket{tokens: burst, ts: now}
		m[org] = b
	}
	if elapsed := now.Sub(b.ts).Seconds(); elapsed > 0 {
		b.tokens = math.Min(burst, b.tokens+elapsed*rate)
	}
	b.ts = now
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	return allowed, bucketResult{
		limit:     int(burst),
		remaining: int(b.tokens),
		reset:     now.Add(time.Duration(float64(time.Second) / rate)),
	}
}

// allow checks the org bucket, then the "endpoint" bucket (also keyed by org only); a refusal by the second has
// already spent a token of the first, as in Valora.
func (l *usageLimiter) allow(org valoraid.ID, now time.Time) (reason string, res bucketResult, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok, res := take(l.org, org, l.lim.orgRate, l.lim.orgBurst, now); !ok {
		return "org-rate", res, false
	}
	if ok, res := take(l.endpoint, org, l.lim.epRate, l.lim.epBurst, now); !ok {
		return "endpoint-rate", res, false
	}
	return "", bucketResult{}, true
}

func (l *usageLimiter) tryLock(k lockKey, now time.Time) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, held := l.locks[k]; held && now.Before(e.expires) {
		return 0, false
	}
	l.seq++
	l.locks[k] = lockEntry{token: l.seq, expires: now.Add(l.lim.lockTTL)}
	if len(l.locks) > 4096 {
		for key, e := range l.locks {
			if !now.Before(e.expires) {
				delete(l.locks, key)
			}
		}
	}
	return l.seq, true
}

// release is the compare-and-delete: only the holder's token frees the lock.
func (l *usageLimiter) release(k lockKey, token uint64) {
	l.mu.Lock()
	if e, ok := l.locks[k]; ok && e.token == token {
		delete(l.locks, k)
	}
	l.mu.Unlock()
}

type usageLimitBody struct {
	Error           string `json:"error"`
	Resource        string `json:"resource"`
	Current         int    `json:"current"`
	Limit           int    `json:"limit"`
	Period          string `json:"period"`
	NextReset       string `json:"next_reset"`
	UpgradeRequired bool   `json:"upgrade_required"`
}

// denyRate writes a limiter refusal: a bucket's (res set) or the lock's (res nil). retryAfter is false only under
// FaultLimiterNoRetryAfter.
func denyRate(w http.ResponseWriter, reason string, res *bucketResult, retryAfter bool) {
	h := w.Header()
	if retryAfter {
		h["Retry-After"] = []string{"1"}
	}
	h["X-Rate-Limited-Reason"] = []string{reason}
	if res == nil {
		writeError(w, errRateLimited)
		return
	}
	writeJSON(w, http.StatusTooManyRequests, usageLimitBody{
		Error:    "usage_limit_reached",
		Resource: "usage_ingest",
		Current:  res.limit - res.remaining,
		Limit:    res.limit,
		Period:   "monthly",
		// Valora formats with the layout "2006-01-01" (year-month-month), in the server's local zone.
		NextReset:       res.reset.Local().Format("2006-01-01"),
		UpgradeRequired: true,
	})
}

// withUsageLimiter is UsageIngestRateLimit: a no-op unless the limiter is on (Config.RateLimit, or
// FaultLimiterNoRetryAfter, which switches Valora's limiter on and drops Retry-After from its refusals) or made
// strict by FaultLimiterStrict.
func (s *Server) withUsageLimiter(h hfunc) hfunc {
	return func(w http.ResponseWriter, r *http.Request, rc reqCtx) {
		noRetryAfter := s.faults.has(FaultLimiterNoRetryAfter)
		var lim *usageLimiter
		switch {
		case s.faults.has(FaultLimiterStrict):
			lim = s.strict
		case s.cfg.RateLimit || noRetryAfter:
			lim = s.limiter
		default:
			h(w, r, rc)
			return
		}
		now := time.Now()
		if reason, res, ok := lim.allow(rc.orgID, now); !ok {
			denyRate(w, reason, &res, !noRetryAfter)
			return
		}
		var body []byte
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				writeError(w, errInvalidRequest)
				return
			}
			body = b
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var key struct {
			CustomerID string `json:"customer_id"`
			MeterCode  string `json:"meter_code"`
		}
		if len(body) > 0 && json.Unmarshal(body, &key) != nil {
			key.CustomerID, key.MeterCode = "", ""
		}
		customer, meterCode := strings.TrimSpace(key.CustomerID), strings.TrimSpace(key.MeterCode)
		if customer != "" && meterCode != "" {
			k := lockKey{org: rc.orgID, customer: customer, meter: meterCode}
			token, ok := lim.tryLock(k, now)
			if !ok {
				denyRate(w, "customer-meter-concurrency", nil, !noRetryAfter)
				return
			}
			if !lim.lim.holdLock {
				defer lim.release(k, token)
			}
			if d := lim.lim.lockedWork; d > 0 {
				defer time.Sleep(time.Until(now.Add(d)))
			}
		}
		h(w, r, rc)
	}
}
