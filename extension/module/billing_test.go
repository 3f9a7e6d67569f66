package module

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valora-k6/valora-k6/internal/pgtest"
)

// TestMoveBillingThroughTheModule moves a run's subscription and cycle from JavaScript against a real PostgreSQL
// holding Valora's billing tables, as billing_reconciliation does: the state it returns, the move, and the error
// the scenario waits on while the scheduler has not opened the cycle yet.
func TestMoveBillingThroughTheModule(t *testing.T) {
	url := pgtest.StartShared(t).NewDatabase(t)
	pgtest.ApplyValoraBillingSchema(t, url)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
		INSERT INTO subscriptions (id, org_id, customer_id, status, collection_mode, start_at, billing_cycle_type, metadata, activated_at)
		VALUES (2008111837777760900, 2008111837777760256, 2008111837777760800, 'ACTIVE', 'SEND_INVOICE', now(), 'monthly',
		        '{"valora_k6_run":"k6-bill-run"}', now());
		INSERT INTO usage_events (id, org_id, customer_id, meter_code, value, recorded_at)
		VALUES (1, 2008111837777760256, 2008111837777760800, 'm', 1, now());`)
	require.NoError(t, err)

	v := newVU(t, New(), "")
	v.rt.VU.Runtime().Set("dsn", url)
	v.run(`var target = {databaseUrl: dsn, orgId: "2008111837777760256", subscriptionId: "2008111837777760900",
	                     customerId: "2008111837777760800", runTag: "k6-bill-run"};`)
	assert.Equal(t, `{"status":"ACTIVE","accepted":1,"cycles":0}`,
		v.run(`var s = valora.billingState(target); JSON.stringify({status: s.status, accepted: s.accepted, cycles: s.cycles.length})`).String())

	// No OPEN cycle yet: the start moves, the cycle move is an Error the scenario recognises.
	msg := v.throws(`valora.moveBilling(Object.assign({}, target, {startAt: "2026-01-01T00:00:00Z",
	                 periodStart: "2026-01-01T01:00:00Z", periodEnd: "2026-01-01T02:00:00Z"}))`)
	assert.Contains(t, msg, "no OPEN billing cycle")
	assert.Equal(t, "2026-01-01T00:00:00Z", v.run(`valora.billingState(target).startAt`).String())

	_, err = conn.Exec(ctx, `INSERT INTO billing_cycles (id, org_id, subscription_id, period_start, period_end)
		VALUES (2008111837777761000, 2008111837777760256, 2008111837777760900, now(), now() + interval '1 month')`)
	require.NoError(t, err)
	got := v.run(`var m = valora.moveBilling(Object.assign({}, target, {periodStart: "2026-01-01T01:00:00.5Z",
	               periodEnd: "2026-01-01T02:00:00Z"})); JSON.stringify(m.cycles)`).String()
	assert.Equal(t, `[{"id":"2008111837777761000","status":"OPEN","periodStart":"2026-01-01T01:00:00.5Z",`+
		`"periodEnd":"2026-01-01T02:00:00Z","invoicedAt":null,"lastError":""}]`, got)

	// Another run's tag: refused, nothing read.
	msg = v.throws(`valora.billingState(Object.assign({}, target, {runTag: "k6-bill-other"}))`)
	assert.Contains(t, msg, "not one this run created")
	assert.NotContains(t, msg, pgtest.StartShared(t).Password)
	msg = v.throws(`valora.moveBilling(Object.assign({}, target, {periodStart: "yesterday", periodEnd: "2026-01-01T02:00:00Z"}))`)
	assert.Contains(t, msg, "TypeError")
}
