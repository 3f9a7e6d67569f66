-- Valora's identity tables (contract, Appendix A): the columns and unique constraints that session minting
-- relies on. Valora declares no foreign keys between them, so neither does this.

CREATE TABLE users (
    id                    bigint      PRIMARY KEY,
    external_id           text        UNIQUE,
    email                 text        UNIQUE,
    provider              text,
    display_name          text,
    password_hash         text,
    is_default            boolean     DEFAULT false,
    last_password_changed timestamptz,
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id         bigint      PRIMARY KEY,
    name       text        NOT NULL,
    slug       text        NOT NULL UNIQUE,
    is_default boolean     DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_members (
    id         bigint      PRIMARY KEY,
    org_id     bigint      NOT NULL,
    user_id    bigint      NOT NULL,
    role       text        NOT NULL, -- OWNER, ADMIN, FINOPS, DEVELOPER or MEMBER
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, user_id)
);
CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);

CREATE TABLE sessions (
    id                 bigint      PRIMARY KEY,
    user_id            bigint      NOT NULL,
    session_token_hash text        NOT NULL UNIQUE, -- lowercase hex SHA-256 of the cookie value
    user_agent         text,
    ip_address         text,
    active_org_id      bigint,                      -- NULL until the user picks an org
    org_ids            jsonb,                       -- the user's org ids, as JSON numbers
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz,                 -- NULL while the session is valid
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
