// Package standin is an in-memory stand-in for the Valora billing engine: the routes the load suite touches,
// answered as the real Valora answers them (see the contract in valora-api.md), including its odd parts, plus
// switchable faults that each break one invariant the suite guards, so a scenario can be shown to catch it.
//
// In a Go test:
//
//	s, err := standin.New(standin.Config{Argon2Memory: 1024}) // cheap password hashing for tests
//	base, err := s.Start("127.0.0.1:0")
//	defer s.Close(context.Background())
//	env := s.Fixture().Env(base) // BASE_URL, API_KEY, ORG_ID, … for k6
//	s.SetFaults(standin.FaultIngestDuplicate) // now ingest_idempotency must fail
//
// Config.Flavor chooses the server played: Valora (the default) or the newer Railzway, whose differences
// flavor.go lists in one place.
//
// Dashboard balances move as in Valora: not in the request, but when the rollup job, which Start runs on its own
// ticker (Config.RollupInterval), applies the pending billing events (rollup.go).
//
// The command cmd/valora-standin runs the same server from a shell.
package standin

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Config configures a Server. The zero value is a healthy server with Valora's defaults.
type Config struct {
	Customers int  // fixture customers for pagination, default 120
	RateLimit bool // Valora's usage limiter (contract 2.5) on; default false (as in the usual USAGE_INGEST_RATE_LIMIT_ENABLED=false deployment)
	Faults    []Fault

	// Capacity, when positive, serves POST /api/usage at no more than this many requests a second, queueing up to
	// a second of them and refusing the rest with 503 (capacity.go); 0 (the default, as Valora) means no limit.
	Capacity int
	// Flavor is the server played: FlavorValora (the default) or FlavorRailzway, whose differences flavor.go
	// lists in one place.
	Flavor Flavor
	// KeyLimit and KeyWindow size Railzway's per-key limiter (FlavorRailzway only): at most KeyLimit /api
	// requests per raw key in each fixed KeyWindow. Default 1000 per 10 minutes, as Railzway; tests shrink them.
	KeyLimit  int
	KeyWindow time.Duration
	// UsageQuota is Railzway's org usage quota (FlavorRailzway only): an org that has stored this many usage
	// events gets 402 quota_exceeded for new ones. 0 (the default) means no quota.
	UsageQuota int64
	// CustomerQuota is Railzway's customer quota (FlavorRailzway only): an org with this many customers gets 402
	// quota_exceeded from POST /api/customers and /admin/customers. 0 (the default) means no quota.
	CustomerQuota int

	SlowDelay time.Duration // FaultSlow's delay, default 600ms
	// ErrorRate sets how often FaultErrors5xx fails a request: every N-th one, N = round(1/ErrorRate) and at
	// least 1, so the failures a run meets never depend on luck. Default 0.1 (every 10th); above 1 counts as 1.
	ErrorRate float64

	AdminEmail, AdminPassword string // default "admin@railzway.com" / "admin" as Valora seeds
	Argon2Memory              uint32 // KiB, default 65536 as Valora (m=64MiB,t=1,p=4); tests may lower it

	// RollupInterval is the scheduler tick: every tick the rollup applies the oldest 50 pending billing events
	// (of all orgs) to the dashboard balances. Default 1 minute, fixed in Valora; tests shorten it. It is kept
	// in whole milliseconds.
	RollupInterval time.Duration
	// SnapshotInterval is how often the usage snapshot enriches the 50 oldest accepted events (2 s in Valora);
	// BillingInterval is the scheduler tick of the billing jobs: cycles, rating, invoices (1 minute in Valora).
	// Both default to Valora's and are kept in whole milliseconds (billing.go).
	SnapshotInterval, BillingInterval time.Duration

	// Limits that protect the suite's own runs; Valora has neither (contract 1.1).
	MaxBodyBytes      int64         // a request body larger than this is answered 413; 0 (the default, as Valora) means no cap
	ReadHeaderTimeout time.Duration // a client must send its request headers within this, default 10s
	IdleTimeout       time.Duration // an idle keep-alive connection is closed after this, default 2m

	Logger *slog.Logger // nil → discard
	Seed   int64        // 0 → random; otherwise fixture secrets and ids derive deterministically from it
}

const (
	defaultCustomers    = 120
	defaultSlowDelay    = 600 * time.Millisecond
	defaultErrorRate    = 0.1
	defaultAdminEmail   = "admin@railzway.com"
	defaultAdminPass    = "admin"
	defaultArgon2Memory = 64 * 1024
	defaultRollupEvery  = time.Minute
	defaultSnapshot     = 2 * time.Second
	defaultBillingEvery = time.Minute
	defaultHeaderWait   = 10 * time.Second
	defaultIdleTimeout  = 2 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.Customers <= 0 {
		c.Customers = defaultCustomers
	}
	if c.SlowDelay <= 0 {
		c.SlowDelay = defaultSlowDelay
	}
	if c.ErrorRate <= 0 {
		c.ErrorRate = defaultErrorRate
	}
	if c.ErrorRate > 1 {
		c.ErrorRate = 1
	}
	if c.AdminEmail == "" {
		c.AdminEmail = defaultAdminEmail
	}
	if c.AdminPassword == "" {
		c.AdminPassword = defaultAdminPass
	}
	if c.Argon2Memory == 0 {
		c.Argon2Memory = defaultArgon2Memory
	}
	if c.RollupInterval <= 0 {
		c.RollupInterval = defaultRollupEvery
	}
	c.RollupInterval = max(c.RollupInterval.Round(time.Millisecond), time.Millisecond)
	if c.SnapshotInterval <= 0 {
		c.SnapshotInterval = defaultSnapshot
	}
	if c.BillingInterval <= 0 {
		c.BillingInterval = defaultBillingEvery
	}
	c.SnapshotInterval = max(c.SnapshotInterval.Round(time.Millisecond), time.Millisecond)
	c.BillingInterval = max(c.BillingInterval.Round(time.Millisecond), time.Millisecond)
	if c.MaxBodyBytes < 0 {
		c.MaxBodyBytes = 0
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = defaultHeaderWait
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Flavor == "" {
		c.Flavor = FlavorValora
	}
	if c.KeyLimit <= 0 {
		c.KeyLimit = defaultKeyLimit
	}
	if c.KeyWindow <= 0 {
		c.KeyWindow = defaultKeyWindow
	}
	if c.UsageQuota < 0 {
		c.UsageQuota = 0
	}
	if c.CustomerQuota < 0 {
		c.CustomerQuota = 0
	}
	return c
}

// Server is the stand-in. It is an http.Handler; Start serves it on a listener of its own.
type Server struct {
	cfg     Config
	fl      flavorTraits // what the flavour changes (flavor.go)
	log     *slog.Logger
	st      *state
	gen     *valoraid.Generator
	faults  faultSet
	fixture Fixture
	rand    io.Reader // crypto randomness for runtime secrets (keys, session tokens)

	routes  router
	limiter *usageLimiter // Valora's limits, used when cfg.RateLimit
	strict  *usageLimiter // FaultLimiterStrict's limits
	keyLim  *keyWindow    // Railzway's per-key limiter, used when fl.keyLimiter

	capacity *serviceQueue // Config.Capacity's queue, nil without it

	reqIDBase [16]byte
	reqIDSeq  atomic.Uint64
	errSeq    atomic.Uint64 // requests FaultErrors5xx has seen since the faults were last set
	errEvery  uint64        // FaultErrors5xx fails every errEvery-th of them

	billing billingQueue // billing events waiting for the rollup
	pipe    pipeline     // usage snapshot, billing cycles, rating and invoices (billing.go)

	// ingestHook, when set by a test, runs inside POST /api/usage after the limiter has let the request in, so a
	// test can hold a request in flight.
	ingestHook func()

	mu         sync.Mutex
	httpSrv    *http.Server
	serveCh    chan error
	rollupStop chan struct{} // closed by Close to stop the rollup goroutine
	rollupDone chan struct{} // closed by the rollup goroutine when it has stopped
	pipeDone   chan struct{} // closed by the snapshot and billing goroutine when it has stopped
}

// New builds a server with its fixture. It does not listen; use Start or Handler.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Customers > 100000 {
		return nil, fmt.Errorf("standin: Customers %d is more than 100000", cfg.Customers)
	}
	if cfg.Capacity < 0 || cfg.Capacity > maxCapacity {
		return nil, fmt.Errorf("standin: Capacity %d is not in 0..%d requests/s", cfg.Capacity, maxCapacity)
	}
	fl, ok := flavors[cfg.Flavor]
	if !ok {
		return nil, fmt.Errorf("standin: unknown flavor %q (accepted: valora, railzway)", cfg.Flavor)
	}
	gen, err := valoraid.NewGenerator(1, time.Now)
	if err != nil {
		return nil, fmt.Errorf("standin: id generator: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		fl:       fl,
		keyLim:   newKeyWindow(cfg.KeyLimit, cfg.KeyWindow),
		log:      cfg.Logger,
		st:       newState(),
		gen:      gen,
		rand:     crand.Reader,
		limiter:  newUsageLimiter(valoraLimits),
		strict:   newUsageLimiter(strictLimits),
		errEvery: errorEvery(cfg.ErrorRate),
	}
	s.pipe.init()
	if _, err := io.ReadFull(crand.Reader, s.reqIDBase[:]); err != nil {
		return nil, fmt.Errorf("standin: request id seed: %w", err)
	}
	if cfg.Capacity > 0 {
		s.capacity = newServiceQueue(cfg.Capacity)
	}
	if err := s.faults.set(cfg.Faults); err != nil {
		return nil, fmt.Errorf("standin: %w", err)
	}
	if err := s.buildFixture(); err != nil {
		return nil, fmt.Errorf("standin: fixture: %w", err)
	}
	s.routes = s.buildRoutes()
	return s, nil
}

// Handler serves the stand-in's routes; Start uses the same handler. Only Start runs the rollup, so balances never
// move for a server driven through Handler alone.
func (s *Server) Handler() http.Handler { return s }

// Start listens on addr ("127.0.0.1:0" for a free port) and serves in the background, with the rollup job on its
// ticker. It returns the base URL.
func (s *Server) Start(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("standin: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("standin: listen %s: %w", addr, err)
	}
	// Valora's RunHTTP sets no timeouts at all. The stand-in bounds only the wait for request headers and for the
	// next request on an idle connection, so a trickling or silent client cannot hold a connection forever; it
	// sets no read or write timeout, so a slow body or the slow fault's delay are served as Valora would.
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.serveCh = make(chan error, 1)
	go func(srv *http.Server, ch chan<- error) { ch <- srv.Serve(ln) }(s.httpSrv, s.serveCh)
	s.rollupStop, s.rollupDone = make(chan struct{}), make(chan struct{})
	go s.runRollup(s.cfg.RollupInterval, s.rollupStop, s.rollupDone)
	s.pipeDone = make(chan struct{})
	go s.runPipeline(s.cfg.SnapshotInterval, s.cfg.BillingInterval, s.rollupStop, s.pipeDone)
	base := "http://" + ln.Addr().String()
	// A wildcard listener (":8080") is reached through loopback; print an address a client can dial.
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		base = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	s.log.Info("listening", "url", base)
	return base, nil
}

// Close shuts the listener down gracefully (in-flight requests finish within ctx), then stops the rollup
// goroutine. Billing events still pending stay unapplied, as they would in a Valora that stops.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	srv, ch := s.httpSrv, s.serveCh
	stop, stopped, pipeStopped := s.rollupStop, s.rollupDone, s.pipeDone
	s.serveCh, s.rollupStop = nil, nil // a second Close has nothing to wait for; the server stays closed (Start refuses)
	s.mu.Unlock()
	if s.capacity != nil {
		s.capacity.close()
	}
	var err error
	if srv != nil && ch != nil {
		err = srv.Shutdown(ctx)
		if serr := <-ch; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	if stop != nil {
		close(stop)
		for _, done := range []chan struct{}{stopped, pipeStopped} {
			select {
			case <-done:
			case <-ctx.Done():
				if err == nil {
					err = ctx.Err()
				}
			}
		}
	}
	return err
}

// SetFaults replaces the active faults; no arguments make the server healthy. Unknown names are ignored and
// logged (ParseFaults is the place to validate user input). The errors-5xx count starts again: the N-th request
// after the call is the first one it fails.
func (s *Server) SetFaults(f ...Fault) {
	known := f[:0:0]
	for _, x := range f {
		if faultBit(x) == 0 {
			s.log.Warn("unknown fault ignored", "fault", string(x))
			continue
		}
		known = append(known, x)
	}
	s.errSeq.Store(0)
	_ = s.faults.set(known)
}

// ActiveFaults reports the faults switched on now.
func (s *Server) ActiveFaults() []Fault { return s.faults.list() }

// Fixture describes the data the server was seeded with.
func (s *Server) Fixture() Fixture { return s.fixture }

// Stats counts what the server has stored, so tests can check invariants from the server's side.
type Stats struct {
	UsageEvents          int64 // usage records stored
	PaymentsApplied      int64 // payment billing events the rollup has applied to a balance
	BillingEventsPending int64 // payment billing events waiting for a rollup tick
	RollupRuns           int64 // rollup ticks run so far
}

func (s *Server) Stats() Stats {
	pending, runs := s.billingStats()
	return Stats{UsageEvents: s.st.usage.count.Load(), PaymentsApplied: s.st.payments.processed.Load(),
		BillingEventsPending: pending, RollupRuns: runs}
}

// ServeHTTP is Valora's global middleware (recovery, request id, then fault injection) in front of the router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer recoverLikeGin(w)
	h := w.Header()
	rid := strings.TrimSpace(r.Header.Get("X-Request-Id"))
	if rid == "" {
		rid = s.newRequestID()
	}
	h["X-Request-Id"] = []string{rid}

	if s.cfg.MaxBodyBytes > 0 && !s.capBody(w, r) {
		return
	}

	// /health stays truthful under every fault so readiness probes keep working.
	if r.URL.Path != "/health" {
		if s.faults.has(FaultSlow) {
			t := time.NewTimer(s.cfg.SlowDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if s.faults.has(FaultErrors5xx) && s.failThisOne() {
			writeError(w, errInternal)
			return
		}
	}
	s.routes.serve(w, r)
}

// recoverLikeGin answers a panic as gin.Recovery does: 500 with an empty body (if nothing was written yet).
func recoverLikeGin(w http.ResponseWriter) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// newRequestID makes a UUID-shaped id without a syscall per request: a random base mixed with a counter.
func (s *Server) newRequestID() string {
	var b [16]byte
	b = s.reqIDBase
	n := s.reqIDSeq.Add(1)
	for i := 0; i < 8; i++ {
		b[8+i] ^= byte(n >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return string(out[:])
}

// capBody enforces Config.MaxBodyBytes on every route, the unauthenticated webhook route included: a larger body
// is answered 413 with the error envelope, and a smaller one is read up front and handed on, so no handler ever
// sees a truncated body. It reports whether the request may go on.
func (s *Server) capBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close") // the rest of the body is not read
		writeError(w, errBodyTooLarge)
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeError(w, errInvalidRequest)
		return false
	}
	if int64(len(body)) > limit {
		w.Header().Set("Connection", "close")
		writeError(w, errBodyTooLarge)
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}
