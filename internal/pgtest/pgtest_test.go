package pgtest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/valora-k6/valora-k6/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestStartGivesAPrivateServer(t *testing.T) {
	began := time.Now()
	srv := pgtest.Start(t)
	t.Logf("PostgreSQL %s ready on %s:%d in %s", srv.Version, srv.Host, srv.Port, time.Since(began).Round(time.Millisecond))

	if !strings.HasPrefix(srv.URL, "postgres://postgres:") || !strings.HasSuffix(srv.URL, "/postgres?sslmode=disable") {
		t.Errorf("URL = %q, want postgres://postgres:…@127.0.0.1:port/postgres?sslmode=disable", srv.URL)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil || fsync != "off" {
		t.Errorf("fsync = %q (%v), want off", fsync, err)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	srv := pgtest.StartShared(t)
	cfg, err := pgx.ParseConfig(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "not-" + srv.Password
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		conn.Close(ctx)
		t.Fatal("connected with a wrong password; password authentication must be on")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("err = %v, want SQLSTATE 28P01 (invalid_password)", err)
	}
}

func TestValoraIdentitySchema(t *testing.T) {
	srv := pgtest.StartShared(t)
	url := srv.NewDatabase(t)
	pgtest.ApplyValoraIdentitySchema(t, url)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	want := map[string]string{
		"users.id": "bigint", "users.email": "text", "users.provider": "text", "users.display_name": "text",
		"users.password_hash": "text", "users.is_default": "boolean",
		"users.last_password_changed": "timestamp with time zone", "users.metadata": "jsonb",
		"users.created_at": "timestamp with time zone", "users.updated_at": "timestamp with time zone",
		"organizations.id": "bigint", "organizations.name": "text", "organizations.slug": "text",
		"organizations.is_default": "boolean", "organizations.created_at": "timestamp with time zone",
		"organization_members.id": "bigint", "organization_members.org_id": "bigint",
		"organization_members.user_id": "bigint", "organization_members.role": "text",
		"organization_members.created_at": "timestamp with time zone",
		"sessions.id":                     "bigint", "sessions.user_id": "bigint", "sessions.session_token_hash": "text",
		"sessions.user_agent": "text", "sessions.ip_address": "text", "sessions.active_org_id": "bigint",
		"sessions.org_ids": "jsonb", "sessions.expires_at": "timestamp with time zone",
		"sessions.revoked_at": "timestamp with time zone", "sessions.created_at": "timestamp with time zone",
		"sessions.last_seen_at": "timestamp with time zone",
	}
	rows, err := conn.Query(ctx, `SELECT table_name || '.' || column_name, data_type
		FROM information_schema.columns WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var col, typ string
		if err := rows.Scan(&col, &typ); err != nil {
			t.Fatal(err)
		}
		got[col] = typ
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for col, typ := range want {
		if got[col] != typ {
			t.Errorf("column %s: type %q, want %q", col, got[col], typ)
		}
	}

	// The unique constraints Valora relies on.
	mustFail := func(what, sql string) {
		t.Helper()
		_, err := conn.Exec(ctx, sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
			t.Errorf("%s: err = %v, want unique_violation", what, err)
		}
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO users (id, email) VALUES (1, 'a@example.com')`)
	mustFail("users.email", `INSERT INTO users (id, email) VALUES (2, 'a@example.com')`)
	exec(`INSERT INTO organization_members (id, org_id, user_id, role) VALUES (1, 10, 1, 'OWNER')`)
	mustFail("organization_members (org_id, user_id)",
		`INSERT INTO organization_members (id, org_id, user_id, role) VALUES (2, 10, 1, 'ADMIN')`)
	exec(`INSERT INTO sessions (id, user_id, session_token_hash, expires_at) VALUES (1, 1, 'h', now())`)
	mustFail("sessions.session_token_hash",
		`INSERT INTO sessions (id, user_id, session_token_hash, expires_at) VALUES (2, 1, 'h', now())`)
}

func TestDatabasesAreSeparate(t *testing.T) {
	srv := pgtest.StartShared(t)
	a, b := srv.NewDatabase(t), srv.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	pgtest.ApplyValoraIdentitySchema(t, a)
	pgtest.ApplyValoraIdentitySchema(t, b) // would fail if a's tables were visible in b
}
