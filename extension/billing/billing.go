// Package billing moves one subscription's billing into the past in Valora's database, as Valora's own
// end-to-end tests do (internal/e2e/billing_e2e_test.go: UPDATE subscriptions SET start_at, then UPDATE
// billing_cycles SET period_start, period_end), so that its scheduler closes, rates and invoices the cycle on
// its next tick (docs/valora-source.md 4). Every statement is bound to one subscription that the caller proves
// it created: the org, the customer and a run tag stored in the subscription's metadata must all match, or
// nothing is read or written.
package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/valora-k6/valora-k6/extension/session"
)

// RunTagKey is the key of the subscription's metadata that names the run which created it.
const RunTagKey = "valora_k6_run"

var (
	// ErrNotOwned: no subscription has this id in this org, for this customer, with this run tag.
	ErrNotOwned = errors.New("billing: the subscription is not one this run created")
	// ErrNoOpenCycle: the subscription has no OPEN billing cycle (the scheduler opens one on its next tick).
	ErrNoOpenCycle = errors.New("billing: the subscription has no OPEN billing cycle yet")
	// ErrInvalidOptions: an option is missing or malformed.
	ErrInvalidOptions = errors.New("billing: invalid options")
)

// Target names the subscription, and what proves the run created it.
type Target struct {
	OrgID, SubscriptionID, CustomerID int64
	RunTag                            string
}

func (t Target) validate() error {
	if t.OrgID <= 0 || t.SubscriptionID <= 0 || t.CustomerID <= 0 {
		return fmt.Errorf("%w: orgId, subscriptionId and customerId must be positive ids", ErrInvalidOptions)
	}
	if t.RunTag == "" {
		return fmt.Errorf("%w: runTag must not be empty", ErrInvalidOptions)
	}
	return nil
}

// Cycle is one row of billing_cycles.
type Cycle struct {
	ID          int64
	Status      string
	PeriodStart time.Time
	PeriodEnd   time.Time
	InvoicedAt  *time.Time
	LastError   string
}

// State is what the scheduler will see of the subscription.
type State struct {
	Status  string
	StartAt time.Time
	// Accepted counts the customer's usage events the snapshot worker has not processed yet.
	Accepted int64
	Cycles   []Cycle // by period_start
}

// ownedSQL locks the subscription row, if and only if it is the target.
const ownedSQL = `SELECT status, start_at FROM subscriptions
	WHERE id = $1 AND org_id = $2 AND customer_id = $3 AND metadata ->> '` + RunTagKey + `' = $4`

func owned(ctx context.Context, tx pgx.Tx, t Target, lock bool) (status string, startAt time.Time, err error) {
	q := ownedSQL
	if lock {
		q += " FOR UPDATE"
	}
	err = tx.QueryRow(ctx, q, t.SubscriptionID, t.OrgID, t.CustomerID, t.RunTag).Scan(&status, &startAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("%w: subscription %d in org %d for customer %d with metadata %s=%q",
			ErrNotOwned, t.SubscriptionID, t.OrgID, t.CustomerID, RunTagKey, t.RunTag)
	}
	return status, startAt, err
}

// within runs fn in one transaction on Valora's database.
func within(ctx context.Context, databaseURL, op string, t Target, fn func(tx pgx.Tx) error) error {
	if err := t.validate(); err != nil {
		return err
	}
	db, err := session.Open(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	tx, err := db.Conn.Begin(ctx)
	if err != nil {
		return db.Wrap(op, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		if errors.Is(err, ErrNotOwned) || errors.Is(err, ErrNoOpenCycle) || errors.Is(err, ErrInvalidOptions) {
			return err
		}
		return db.Wrap(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return db.Wrap(op, err)
	}
	return nil
}

// Inspect reads the subscription's status and start, its customer's backlog of accepted usage and its cycles.
func Inspect(ctx context.Context, databaseURL string, t Target) (State, error) {
	var st State
	err := within(ctx, databaseURL, "read the billing state", t, func(tx pgx.Tx) error {
		var err error
		if st.Status, st.StartAt, err = owned(ctx, tx, t, false); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM usage_events
			WHERE org_id = $1 AND customer_id = $2 AND status = 'accepted'`, t.OrgID, t.CustomerID).Scan(&st.Accepted); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, status, period_start, period_end, invoiced_at, COALESCE(last_error, '')
			FROM billing_cycles WHERE org_id = $1 AND subscription_id = $2 ORDER BY period_start, id`, t.OrgID, t.SubscriptionID)
		if err != nil {
			return err
		}
		st.Cycles, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Cycle, error) {
			var c Cycle
			err := r.Scan(&c.ID, &c.Status, &c.PeriodStart, &c.PeriodEnd, &c.InvoicedAt, &c.LastError)
			return c, err
		})
		return err
	})
	return st, err
}

// MoveStart sets the subscription's start_at (the snapshot worker matches an event to it only if start_at <=
// recorded_at, and rating counts from max(period_start, start_at)).
func MoveStart(ctx context.Context, databaseURL string, t Target, startAt time.Time) error {
	if startAt.IsZero() {
		return fmt.Errorf("%w: startAt is missing", ErrInvalidOptions)
	}
	return within(ctx, databaseURL, "move the subscription's start", t, func(tx pgx.Tx) error {
		if _, _, err := owned(ctx, tx, t, true); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE subscriptions SET start_at = $1, updated_at = now()
			WHERE id = $2 AND org_id = $3`, startAt.UTC(), t.SubscriptionID, t.OrgID)
		return err
	})
}

// MoveOpenCycle sets the period of the subscription's OPEN cycle and returns the cycle's id. A period_end at or
// before now makes the scheduler close, rate and invoice the cycle on its next tick.
func MoveOpenCycle(ctx context.Context, databaseURL string, t Target, start, end time.Time) (int64, error) {
	if start.IsZero() || end.IsZero() || !end.After(start) {
		return 0, fmt.Errorf("%w: periodEnd must be after periodStart", ErrInvalidOptions)
	}
	var id int64
	err := within(ctx, databaseURL, "move the open billing cycle", t, func(tx pgx.Tx) error {
		if _, _, err := owned(ctx, tx, t, true); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `UPDATE billing_cycles SET period_start = $1, period_end = $2, updated_at = now()
			WHERE org_id = $3 AND subscription_id = $4 AND status = 'OPEN' RETURNING id`,
			start.UTC(), end.UTC(), t.OrgID, t.SubscriptionID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w (subscription %d)", ErrNoOpenCycle, t.SubscriptionID)
		}
		return err
	})
	return id, err
}
