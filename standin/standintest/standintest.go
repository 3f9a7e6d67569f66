// Package standintest starts the stand-in Valora server for tests outside the standin package.
package standintest

import (
	"context"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
)

// DefaultRollupInterval is the rollup tick Start uses when cfg leaves it zero: short, so that a run waiting for a
// balance to move stays fast (a real Valora ticks once a minute).
const DefaultRollupInterval = time.Second

// DefaultSnapshotInterval and DefaultBillingInterval are the usage snapshot's and the billing jobs' ticks Start
// uses when cfg leaves them zero: short, so that a run waiting for an invoice stays fast (Valora: 2 s and 1 min).
const (
	DefaultSnapshotInterval = 100 * time.Millisecond
	DefaultBillingInterval  = 500 * time.Millisecond
)

// Start runs a stand-in with cfg on a free loopback port until the test ends, and returns it with the environment
// a scenario needs (BASE_URL, API_KEY, …, VALORA_ROLLUP_INTERVAL).
func Start(t testing.TB, cfg standin.Config) (*standin.Server, map[string]string) {
	t.Helper()
	if cfg.RollupInterval == 0 {
		cfg.RollupInterval = DefaultRollupInterval
	}
	if cfg.SnapshotInterval == 0 {
		cfg.SnapshotInterval = DefaultSnapshotInterval
	}
	if cfg.BillingInterval == 0 {
		cfg.BillingInterval = DefaultBillingInterval
	}
	srv, err := standin.New(cfg)
	if err != nil {
		t.Fatalf("stand-in: %v", err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("stand-in: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return srv, srv.Fixture().Env(base)
}
