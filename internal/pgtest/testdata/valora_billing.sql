-- Valora's billing tables as far as moving a cycle into the past touches them (migrations 0003, 0004, 0005,
-- 0009, 0010, 0013, 0021): the columns read or written, with their types and the unique open-cycle index.

CREATE TABLE subscriptions (
    id                 bigint      PRIMARY KEY,
    org_id             bigint      NOT NULL,
    customer_id        bigint      NOT NULL,
    status             text        NOT NULL,
    collection_mode    text        NOT NULL,
    start_at           timestamptz NOT NULL,
    end_at             timestamptz,
    canceled_at        timestamptz,
    billing_cycle_type text        NOT NULL,
    metadata           jsonb       DEFAULT '{}',
    activated_at       timestamptz,
    ended_at           timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing_cycles (
    id                  bigint      PRIMARY KEY,
    org_id              bigint      NOT NULL,
    subscription_id     bigint      NOT NULL,
    period_start        timestamptz NOT NULL,
    period_end          timestamptz NOT NULL,
    status              text        NOT NULL DEFAULT 'OPEN',
    rated_at            timestamptz,
    invoiced_at         timestamptz,
    closed_at           timestamptz,
    metadata            jsonb       NOT NULL DEFAULT '{}',
    opened_at           timestamptz,
    closing_started_at  timestamptz,
    rating_completed_at timestamptz,
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ux_billing_cycle_period ON billing_cycles (subscription_id, period_start, period_end);
CREATE UNIQUE INDEX uniq_open_cycle ON billing_cycles (org_id, subscription_id) WHERE status = 'OPEN';

CREATE TABLE usage_events (
    id              bigint           PRIMARY KEY,
    org_id          bigint           NOT NULL,
    customer_id     bigint           NOT NULL,
    subscription_id bigint,
    meter_id        bigint,
    meter_code      text             NOT NULL,
    value           double precision NOT NULL,
    recorded_at     timestamptz      NOT NULL,
    idempotency_key text,
    status          text             NOT NULL DEFAULT 'accepted',
    created_at      timestamptz      NOT NULL DEFAULT now(),
    updated_at      timestamptz      NOT NULL DEFAULT now()
);
