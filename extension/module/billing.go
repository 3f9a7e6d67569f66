package module

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/billing"
	"github.com/valora-k6/valora-k6/extension/session"
)

type billingStateOptions struct {
	DatabaseURL    string `js:"databaseUrl,required" what:"the PostgreSQL connection string of Valora's database"`
	OrgID          string `js:"orgId,required" what:"the decimal id of the org the run created the subscription in"`
	SubscriptionID string `js:"subscriptionId,required" what:"the decimal id of the subscription the run created"`
	CustomerID     string `js:"customerId,required" what:"the decimal id of the subscription's customer"`
	RunTag         string `js:"runTag,required" what:"the run tag stored in the subscription's metadata"`
}

type moveBillingOptions struct {
	DatabaseURL    string `js:"databaseUrl,required" what:"the PostgreSQL connection string of Valora's database"`
	OrgID          string `js:"orgId,required" what:"the decimal id of the org the run created the subscription in"`
	SubscriptionID string `js:"subscriptionId,required" what:"the decimal id of the subscription the run created"`
	CustomerID     string `js:"customerId,required" what:"the decimal id of the subscription's customer"`
	RunTag         string `js:"runTag,required" what:"the run tag stored in the subscription's metadata"`
	StartAt        string `js:"startAt" what:"the subscription's new start_at, RFC 3339"`
	PeriodStart    string `js:"periodStart" what:"the OPEN cycle's new period_start, RFC 3339"`
	PeriodEnd      string `js:"periodEnd" what:"the OPEN cycle's new period_end, RFC 3339"`
}

func (c call) billingID(key, v string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id <= 0 {
		c.typeError("option %q must be a decimal id string, got %q", key, clip(v))
	}
	return id
}

func (c call) billingTime(key, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		c.typeError("option %q must be an RFC 3339 time such as 2026-01-02T03:04:05.678Z, got %q", key, clip(v))
	}
	return t
}

func (c call) billingTarget(org, sub, cust, tag string) billing.Target {
	return billing.Target{OrgID: c.billingID("orgId", org), SubscriptionID: c.billingID("subscriptionId", sub),
		CustomerID: c.billingID("customerId", cust), RunTag: tag}
}

// billingState({databaseUrl, orgId, subscriptionId, customerId, runTag}) → the subscription's billing state
func billingState(c call) sobek.Value {
	var o billingStateOptions
	billingStateSpec.read(c, 0, &o)
	st, err := billing.Inspect(c.i.vu.Context(), o.DatabaseURL, c.billingTarget(o.OrgID, o.SubscriptionID, o.CustomerID, o.RunTag))
	if err != nil {
		c.billingError(err)
	}
	return c.billingStateValue(st)
}

// moveBilling({…, startAt?, periodStart?, periodEnd?}) → the billing state after the move
func moveBilling(c call) sobek.Value {
	var o moveBillingOptions
	moveBillingSpec.read(c, 0, &o)
	tg := c.billingTarget(o.OrgID, o.SubscriptionID, o.CustomerID, o.RunTag)
	startAt := c.billingTime("startAt", o.StartAt)
	from, to := c.billingTime("periodStart", o.PeriodStart), c.billingTime("periodEnd", o.PeriodEnd)
	if from.IsZero() != to.IsZero() {
		c.typeError("options \"periodStart\" and \"periodEnd\" go together: give both or neither")
	}
	if startAt.IsZero() && from.IsZero() {
		c.typeError("give \"startAt\", or \"periodStart\" with \"periodEnd\", or all three: nothing to move")
	}
	if !from.IsZero() && !to.After(from) {
		c.typeError("option \"periodEnd\" must be after \"periodStart\"")
	}
	ctx := c.i.vu.Context()
	if !startAt.IsZero() {
		if err := billing.MoveStart(ctx, o.DatabaseURL, tg, startAt); err != nil {
			c.billingError(err)
		}
	}
	if !from.IsZero() {
		if _, err := billing.MoveOpenCycle(ctx, o.DatabaseURL, tg, from, to); err != nil {
			c.billingError(err)
		}
	}
	st, err := billing.Inspect(ctx, o.DatabaseURL, tg)
	if err != nil {
		c.billingError(err)
	}
	return c.billingStateValue(st)
}

func (c call) billingStateValue(st billing.State) sobek.Value {
	cycles := make([]any, 0, len(st.Cycles))
	for _, cy := range st.Cycles {
		var invoiced any
		if cy.InvoicedAt != nil {
			invoiced = cy.InvoicedAt.UTC().Format(time.RFC3339Nano)
		}
		cycles = append(cycles, newObject(c.rt, "id", strconv.FormatInt(cy.ID, 10), "status", cy.Status,
			"periodStart", cy.PeriodStart.UTC().Format(time.RFC3339Nano), "periodEnd", cy.PeriodEnd.UTC().Format(time.RFC3339Nano),
			"invoicedAt", invoiced, "lastError", cy.LastError))
	}
	return newObject(c.rt, "status", st.Status, "startAt", st.StartAt.UTC().Format(time.RFC3339Nano),
		"accepted", st.Accepted, "cycles", c.rt.NewArray(cycles...))
}

// billingError throws a billing or database error: a TypeError for an unusable URL or option, an Error for the
// rest (a subscription that is not the run's, no OPEN cycle, what the database answered). None quotes the
// password.
func (c call) billingError(err error) {
	switch {
	case errors.Is(err, session.ErrInvalidDatabaseURL):
		c.typeError("option \"databaseUrl\": %v", err)
	case errors.Is(err, billing.ErrInvalidOptions):
		c.typeError("%s: %v", `argument "options"`, err)
	}
	c.fail(err)
}
