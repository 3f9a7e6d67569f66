package billing_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/valora-k6/valora-k6/extension/billing"
	"github.com/valora-k6/valora-k6/extension/session"
	"github.com/valora-k6/valora-k6/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const (
	org      int64 = 2008117908344934400
	otherOrg int64 = 2008117908344934401
	cust     int64 = 2008117908344935100
	sub      int64 = 2008117908344935200
	otherSub int64 = 2008117908344935201 // same org and customer, not this run's
	cycle    int64 = 2008117908344935300
	run            = "k6run-abc"
)

// seeded is a database holding this run's ACTIVE subscription with an OPEN cycle of a month from its activation,
// a second subscription of the customer that another run made, and two accepted and one enriched usage events.
func seeded(t *testing.T) (string, *pgx.Conn) {
	t.Helper()
	url := pgtest.StartShared(t).NewDatabase(t)
	pgtest.ApplyValoraBillingSchema(t, url)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	// Without arguments, Exec sends the statements as one simple query.
	_, err = conn.Exec(context.Background(), fmt.Sprintf(`
		INSERT INTO subscriptions (id, org_id, customer_id, status, collection_mode, start_at, billing_cycle_type, metadata, activated_at)
		VALUES (%[1]d, %[2]d, %[3]d, 'ACTIVE', 'SEND_INVOICE', now(), 'monthly', '{"valora_k6_run":"%[4]s"}', now()),
		       (%[5]d, %[2]d, %[3]d, 'ACTIVE', 'SEND_INVOICE', now(), 'monthly', '{"valora_k6_run":"another-run"}', now());
		INSERT INTO billing_cycles (id, org_id, subscription_id, period_start, period_end, status)
		VALUES (%[6]d, %[2]d, %[1]d, now(), now() + interval '1 month', 'OPEN'),
		       (%[6]d + 1, %[2]d, %[5]d, now(), now() + interval '1 month', 'OPEN');
		INSERT INTO usage_events (id, org_id, customer_id, meter_code, value, recorded_at, status) VALUES
		       (1, %[2]d, %[3]d, 'm', 1, now(), 'accepted'), (2, %[2]d, %[3]d, 'm', 1, now(), 'accepted'),
		       (3, %[2]d, %[3]d, 'm', 1, now(), 'enriched'), (4, %[7]d, %[3]d, 'm', 1, now(), 'accepted');`,
		sub, org, cust, run, otherSub, cycle, otherOrg))
	if err != nil {
		t.Fatal(err)
	}
	return url, conn
}

var target = billing.Target{OrgID: org, SubscriptionID: sub, CustomerID: cust, RunTag: run}

func TestMovesOnlyThisRunsSubscriptionAndCycle(t *testing.T) {
	url, conn := seeded(t)
	ctx := context.Background()
	st, err := billing.Inspect(ctx, url, target)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "ACTIVE" || st.Accepted != 2 || len(st.Cycles) != 1 || st.Cycles[0].ID != cycle || st.Cycles[0].Status != "OPEN" {
		t.Fatalf("state %+v", st)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	start, from, to := now.Add(-3*time.Hour), now.Add(-2*time.Hour), now.Add(-time.Hour)
	if err := billing.MoveStart(ctx, url, target, start); err != nil {
		t.Fatal(err)
	}
	id, err := billing.MoveOpenCycle(ctx, url, target, from, to)
	if err != nil || id != cycle {
		t.Fatalf("MoveOpenCycle = %d, %v", id, err)
	}
	var gotStart, gotFrom, gotTo time.Time
	if err := conn.QueryRow(ctx, `SELECT s.start_at, c.period_start, c.period_end FROM subscriptions s
		JOIN billing_cycles c ON c.subscription_id = s.id WHERE s.id = $1`, sub).Scan(&gotStart, &gotFrom, &gotTo); err != nil {
		t.Fatal(err)
	}
	if !gotStart.Equal(start) || !gotFrom.Equal(from) || !gotTo.Equal(to) {
		t.Fatalf("moved to %v %v %v, want %v %v %v", gotStart, gotFrom, gotTo, start, from, to)
	}
	// The other subscription of the same customer and org, and its cycle, are untouched.
	var untouched bool
	if err := conn.QueryRow(ctx, `SELECT s.start_at > now() - interval '1 minute' AND c.period_end > now()
		FROM subscriptions s JOIN billing_cycles c ON c.subscription_id = s.id WHERE s.id = $1`, otherSub).Scan(&untouched); err != nil || !untouched {
		t.Fatalf("the other run's subscription moved (%v)", err)
	}
	// A closed cycle is not moved again: once the scheduler took it, there is no OPEN cycle until the next tick.
	if _, err := conn.Exec(ctx, `UPDATE billing_cycles SET status = 'CLOSED' WHERE id = $1`, cycle); err != nil {
		t.Fatal(err)
	}
	if _, err := billing.MoveOpenCycle(ctx, url, target, from, to); !errors.Is(err, billing.ErrNoOpenCycle) {
		t.Fatalf("moving a closed cycle: %v", err)
	}
}

func TestRefusesWhatThisRunDidNotCreate(t *testing.T) {
	url, conn := seeded(t)
	ctx := context.Background()
	for name, tg := range map[string]billing.Target{
		"another org":      {OrgID: otherOrg, SubscriptionID: sub, CustomerID: cust, RunTag: run},
		"another customer": {OrgID: org, SubscriptionID: sub, CustomerID: cust + 1, RunTag: run},
		"another run":      {OrgID: org, SubscriptionID: otherSub, CustomerID: cust, RunTag: run},
		"another tag":      {OrgID: org, SubscriptionID: sub, CustomerID: cust, RunTag: "k6run-other"},
	} {
		if _, err := billing.Inspect(ctx, url, tg); !errors.Is(err, billing.ErrNotOwned) {
			t.Errorf("%s: Inspect: %v", name, err)
		}
		if err := billing.MoveStart(ctx, url, tg, time.Now().Add(-time.Hour)); !errors.Is(err, billing.ErrNotOwned) {
			t.Errorf("%s: MoveStart: %v", name, err)
		}
		if _, err := billing.MoveOpenCycle(ctx, url, tg, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)); !errors.Is(err, billing.ErrNotOwned) {
			t.Errorf("%s: MoveOpenCycle: %v", name, err)
		}
	}
	var moved int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM billing_cycles WHERE period_end < now()`).Scan(&moved); err != nil || moved != 0 {
		t.Fatalf("%d cycles moved (%v)", moved, err)
	}
	if _, err := billing.Inspect(ctx, url, billing.Target{OrgID: org, SubscriptionID: sub, CustomerID: cust}); !errors.Is(err, billing.ErrInvalidOptions) {
		t.Fatalf("no run tag: %v", err)
	}
	if _, err := billing.MoveOpenCycle(ctx, url, target, time.Now(), time.Now().Add(-time.Hour)); !errors.Is(err, billing.ErrInvalidOptions) {
		t.Fatalf("an end before the start: %v", err)
	}
}

func TestDatabaseErrorsHoldNoPassword(t *testing.T) {
	_, err := billing.Inspect(context.Background(), "postgres://u:S3cretPW@127.0.0.1:1/db?connect_timeout=1", target)
	if !errors.Is(err, session.ErrDatabase) || strings.Contains(err.Error(), "S3cretPW") {
		t.Fatalf("unreachable database: %v", err)
	}
}
