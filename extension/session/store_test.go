package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/valora-k6/valora-k6/extension/session"
	"github.com/valora-k6/valora-k6/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// Snowflake-sized ids, beyond 2^53, so a float64 round trip anywhere would show.
const (
	aliceID  int64 = 2008117908344934001
	bobID    int64 = 2008117908344934002
	orgA     int64 = 2008117908344934400
	orgB     int64 = 2008117908344934401
	orgOfBob int64 = 2008117908344934402
)

// seededDB is a fresh database with Valora's identity tables: alice (two orgs) and bob (one other org).
func seededDB(t *testing.T) string {
	t.Helper()
	url := pgtest.StartShared(t).NewDatabase(t)
	pgtest.ApplyValoraIdentitySchema(t, url)
	conn := dial(t, url)
	_, err := conn.Exec(context.Background(), fmt.Sprintf(`
		INSERT INTO users (id, email, provider, display_name) VALUES
			(%[1]d, 'Alice@Example.com', 'local', 'Alice'),
			(%[2]d, 'bob@example.com', 'local', 'Bob');
		INSERT INTO organizations (id, name, slug) VALUES
			(%[3]d, 'A', 'a'), (%[4]d, 'B', 'b'), (%[5]d, 'Bob''s', 'bobs');
		INSERT INTO organization_members (id, org_id, user_id, role) VALUES
			(1, %[3]d, %[1]d, 'OWNER'), (2, %[4]d, %[1]d, 'ADMIN'), (3, %[5]d, %[2]d, 'OWNER');`,
		aliceID, bobID, orgA, orgB, orgOfBob))
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func dial(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ids stands in for the snowflake generator.
func ids() func() int64 {
	var n atomic.Int64
	n.Store(2008117908344935000)
	return func() int64 { return n.Add(1) }
}

type row struct {
	userID      int64
	activeOrgID *int64
	orgIDs      []int64
	orgIDsJSON  string
	expiresAt   time.Time
	live        bool
	ip, agent   string
	createdAt   time.Time
	lastSeenAt  time.Time
}

func sessionRow(t *testing.T, conn *pgx.Conn, token string) row {
	t.Helper()
	var r row
	err := conn.QueryRow(context.Background(), `
		SELECT user_id, active_org_id, org_ids::text, expires_at, revoked_at IS NULL, ip_address, user_agent,
			created_at, last_seen_at
		FROM sessions WHERE session_token_hash = $1`, session.HashToken(token)).
		Scan(&r.userID, &r.activeOrgID, &r.orgIDsJSON, &r.expiresAt, &r.live, &r.ip, &r.agent, &r.createdAt, &r.lastSeenAt)
	if err != nil {
		t.Fatalf("row for token: %v", err)
	}
	if err := json.Unmarshal([]byte(r.orgIDsJSON), &r.orgIDs); err != nil {
		t.Fatalf("org_ids %s: %v", r.orgIDsJSON, err)
	}
	return r
}

func TestMintValidateRevoke(t *testing.T) {
	url := seededDB(t)
	conn := dial(t, url)
	ctx := context.Background()
	const ttl = 2 * time.Hour

	before := time.Now()
	tokens, err := session.Mint(ctx, url, session.MintOptions{
		Email: "alice@example.com", Count: 3, OrgID: orgB, TTL: ttl, NewID: ids(),
	})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if len(tokens) != 3 {
		t.Fatalf("got %d tokens, want 3", len(tokens))
	}

	for i, tok := range tokens {
		if !base64url43.MatchString(tok) {
			t.Errorf("token %d is not Valora-shaped", i)
		}
		r := sessionRow(t, conn, tok)
		if r.userID != aliceID || !r.live {
			t.Errorf("token %d: user %d live %v, want alice's live session", i, r.userID, r.live)
		}
		if r.activeOrgID == nil || *r.activeOrgID != orgB {
			t.Errorf("token %d: active_org_id %v, want %d", i, r.activeOrgID, orgB)
		}
		if !slices.Equal(r.orgIDs, []int64{orgA, orgB}) {
			t.Errorf("token %d: org_ids %s, want both of alice's orgs", i, r.orgIDsJSON)
		}
		if strings.Contains(r.orgIDsJSON, `"`) {
			t.Errorf("token %d: org_ids %s holds strings; Valora stores numbers", i, r.orgIDsJSON)
		}
		if r.expiresAt.Before(before.Add(ttl).Truncate(time.Microsecond)) || r.expiresAt.After(after.Add(ttl)) {
			t.Errorf("token %d: expires_at %s, want now+%s", i, r.expiresAt, ttl)
		}
		if r.ip != "127.0.0.1" || r.agent != "valora-k6" || !r.createdAt.Equal(r.lastSeenAt) {
			t.Errorf("token %d: ip %q agent %q created %s last seen %s", i, r.ip, r.agent, r.createdAt, r.lastSeenAt)
		}

		info, err := session.Validate(ctx, url, tok)
		if err != nil {
			t.Fatalf("Validate token %d: %v", i, err)
		}
		if info.UserID != aliceID || info.ActiveOrgID != orgB || !slices.Equal(info.OrgIDs, []int64{orgA, orgB}) ||
			!info.ExpiresAt.Equal(r.expiresAt) {
			t.Errorf("Validate token %d = %+v, disagrees with the row", i, info)
		}
		// A cookie value with stray whitespace is the same session, as in Valora.
		if _, err := session.Validate(ctx, url, " "+tok+"\n"); err != nil {
			t.Errorf("Validate with whitespace: %v", err)
		}
	}

	n, err := session.Revoke(ctx, url, tokens[:2])
	if err != nil || n != 2 {
		t.Fatalf("Revoke = %d, %v; want 2", n, err)
	}
	for i, tok := range tokens[:2] {
		if _, err := session.Validate(ctx, url, tok); !errors.Is(err, session.ErrSessionRevoked) {
			t.Errorf("Validate revoked token %d: err = %v, want ErrSessionRevoked", i, err)
		}
	}
	if _, err := session.Validate(ctx, url, tokens[2]); err != nil {
		t.Errorf("the session not revoked stopped validating: %v", err)
	}
	if n, err := session.Revoke(ctx, url, tokens); err != nil || n != 1 {
		t.Errorf("second Revoke = %d, %v; want only the 1 live session", n, err)
	}
	if n, err := session.Revoke(ctx, url, nil); err != nil || n != 0 {
		t.Errorf("Revoke(nil) = %d, %v", n, err)
	}
}

func TestMintWithoutOrgIsLikeLogin(t *testing.T) {
	url := seededDB(t)
	tokens, err := session.Mint(context.Background(), url, session.MintOptions{
		Email: "bob@example.com", UserAgent: "k6/2.2.0", NewID: ids(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 1 {
		t.Fatalf("Count 0 minted %d sessions, want 1", len(tokens))
	}
	r := sessionRow(t, dial(t, url), tokens[0])
	if r.activeOrgID != nil || !slices.Equal(r.orgIDs, []int64{orgOfBob}) || r.agent != "k6/2.2.0" {
		t.Errorf("row = active %v orgs %s agent %q; want no active org, bob's org, k6/2.2.0", r.activeOrgID, r.orgIDsJSON, r.agent)
	}
	if d := time.Until(r.expiresAt); d < 23*time.Hour || d > 24*time.Hour {
		t.Errorf("default TTL: expires in %s, want 24h", d)
	}
	info, err := session.Validate(context.Background(), url, tokens[0])
	if err != nil || info.ActiveOrgID != 0 || info.UserID != bobID {
		t.Errorf("Validate = %+v, %v", info, err)
	}
}

func TestMintEmailIsCaseInsensitive(t *testing.T) {
	url := seededDB(t)
	tokens, err := session.Mint(context.Background(), url, session.MintOptions{
		Email: "  ALICE@example.COM ", OrgID: orgA, NewID: ids(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := sessionRow(t, dial(t, url), tokens[0]); r.userID != aliceID {
		t.Errorf("user %d, want alice", r.userID)
	}
}

func TestMintRefusals(t *testing.T) {
	url := seededDB(t)
	ctx := context.Background()
	if _, err := session.Mint(ctx, url, session.MintOptions{Email: "carol@example.com", NewID: ids()}); !errors.Is(err, session.ErrUserNotFound) {
		t.Errorf("unknown email: err = %v, want ErrUserNotFound", err)
	}
	if _, err := session.Mint(ctx, url, session.MintOptions{Email: "alice@example.com", OrgID: orgOfBob, NewID: ids()}); !errors.Is(err, session.ErrNotMember) {
		t.Errorf("someone else's org: err = %v, want ErrNotMember", err)
	}
	var count int
	if err := dial(t, url).QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&count); err != nil || count != 0 {
		t.Errorf("refused mints left %d sessions (%v)", count, err)
	}
}

func TestMintIsOneTransaction(t *testing.T) {
	url := seededDB(t)
	ctx := context.Background()
	next := ids()
	calls := 0
	dupAtThird := func() int64 {
		calls++
		if calls == 3 {
			return 2008117908344935001 // the first id again
		}
		return next()
	}
	_, err := session.Mint(ctx, url, session.MintOptions{Email: "bob@example.com", Count: 5, NewID: dupAtThird})
	var pgErr *pgconn.PgError
	if !errors.Is(err, session.ErrDatabase) || !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("duplicate id: err = %v, want ErrDatabase wrapping a unique violation", err)
	}
	var count int
	if err := dial(t, url).QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&count); err != nil || count != 0 {
		t.Errorf("a failed mint left %d of its sessions behind (%v)", count, err)
	}
}

func TestMintMany(t *testing.T) {
	url := seededDB(t)
	ctx := context.Background()
	newID := ids()
	for _, count := range []int{1000, session.MaxCount} {
		began := time.Now()
		tokens, err := session.Mint(ctx, url, session.MintOptions{Email: "alice@example.com", Count: count, OrgID: orgA, NewID: newID})
		took := time.Since(began)
		if err != nil {
			t.Fatalf("Count %d: %v", count, err)
		}
		t.Logf("minted %d sessions in %s", count, took.Round(time.Millisecond))
		if count == 1000 && took > 3*time.Second {
			t.Errorf("1000 sessions took %s; a bulk insert does it in well under a second", took)
		}
		distinct := map[string]bool{}
		for _, tok := range tokens {
			distinct[tok] = true
		}
		if len(distinct) != count {
			t.Errorf("Count %d: %d distinct tokens", count, len(distinct))
		}
		n, err := session.Revoke(ctx, url, tokens)
		if err != nil || n != count {
			t.Errorf("Revoke = %d, %v; want %d", n, err, count)
		}
	}
}

func TestValidateRefusals(t *testing.T) {
	url := seededDB(t)
	ctx := context.Background()
	expired, err := session.Mint(ctx, url, session.MintOptions{
		Email: "bob@example.com", TTL: time.Hour, NewID: ids(),
		Now: func() time.Time { return time.Now().Add(-2 * time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := session.Validate(ctx, url, expired[0]); !errors.Is(err, session.ErrSessionExpired) {
		t.Errorf("expired: err = %v, want ErrSessionExpired", err)
	}
	if n, err := session.Revoke(ctx, url, expired); err != nil || n != 0 {
		t.Errorf("Revoke of an expired session = %d, %v; want 0", n, err)
	}
	unknown, _ := session.NewToken(nil)
	if _, err := session.Validate(ctx, url, unknown); !errors.Is(err, session.ErrSessionNotFound) {
		t.Errorf("unknown token: err = %v, want ErrSessionNotFound", err)
	}
	if _, err := session.Validate(ctx, url, "  "); !errors.Is(err, session.ErrBlankSession) {
		t.Errorf("blank token: err = %v, want ErrBlankSession", err)
	}
}

func TestMintOptionsAreCheckedFirst(t *testing.T) {
	// The URL points nowhere: each case must fail on its options before connecting.
	const url = "postgres://u:p@127.0.0.1:1/db?connect_timeout=1"
	cases := map[string]session.MintOptions{
		"no email":     {NewID: ids()},
		"blank email":  {Email: "  ", NewID: ids()},
		"no NewID":     {Email: "a@b.c"},
		"Count < 0":    {Email: "a@b.c", Count: -1, NewID: ids()},
		"Count > max":  {Email: "a@b.c", Count: session.MaxCount + 1, NewID: ids()},
		"TTL < 0":      {Email: "a@b.c", TTL: -time.Second, NewID: ids()},
		"TTL > 7 days": {Email: "a@b.c", TTL: 7*24*time.Hour + time.Second, NewID: ids()},
		"OrgID < 0":    {Email: "a@b.c", OrgID: -1, NewID: ids()},
	}
	for name, opts := range cases {
		if _, err := session.Mint(context.Background(), url, opts); !errors.Is(err, session.ErrInvalidOptions) {
			t.Errorf("%s: err = %v, want ErrInvalidOptions", name, err)
		}
	}
}

// TestErrorsNeverRevealThePassword drives every failure a connection string can cause through all three
// database functions and looks for the password in everything an error exposes.
func TestErrorsNeverRevealThePassword(t *testing.T) {
	const password = "s3cr3t-PW"
	srv := pgtest.StartShared(t)
	url := seededDB(t)
	db := strings.TrimPrefix(url[strings.LastIndex(url, "/"):], "/")
	db, _, _ = strings.Cut(db, "?")
	admin := dial(t, srv.URL)
	role := "loader_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := admin.Exec(context.Background(), fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })

	closedPort := freePort(t)
	// A listener that accepts and never answers: a host that hangs.
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hung.Close() })
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()

	hostPort := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port))
	cases := []struct {
		name, url string
		want      error
		mention   []string // what the message should say instead
	}{
		{"wrong password", "postgres://postgres:" + password + "@" + hostPort + "/" + db + "?sslmode=disable",
			session.ErrDatabase, []string{"host=127.0.0.1", "port=" + strconv.Itoa(srv.Port), "user=postgres", "database=" + db}},
		{"right password, missing tables", "postgres://" + role + ":" + password + "@" + hostPort + "/postgres?sslmode=disable",
			session.ErrDatabase, []string{"user=" + role}},
		{"unreachable port", "postgres://" + role + ":" + password + "@127.0.0.1:" + strconv.Itoa(closedPort) + "/" + db,
			session.ErrDatabase, []string{"port=" + strconv.Itoa(closedPort)}},
		{"hung host", "postgres://" + role + ":" + password + "@" + hung.Addr().String() + "/" + db + "?connect_timeout=1",
			session.ErrDatabase, []string{"user=" + role}},
		{"key=value wrong password", "host=127.0.0.1 port=" + strconv.Itoa(srv.Port) + " user=postgres password=" + password + " dbname=" + db + " sslmode=disable",
			session.ErrDatabase, []string{"user=postgres"}},
		{"escaped password", "postgres://postgres:" + strings.ReplaceAll(password, "-", "%2D") + "@127.0.0.1:" + strconv.Itoa(closedPort) + "/db",
			session.ErrDatabase, nil},
		{"malformed port", "postgres://" + role + ":" + password + "@127.0.0.1:notaport/" + db, session.ErrInvalidDatabaseURL, []string{"postgres://user:password@host:port/database"}},
		{"malformed host", "postgres://" + role + ":" + password + "@[::1/" + db, session.ErrInvalidDatabaseURL, nil},
		{"bad escape", "postgres://" + role + ":" + password + "%zz@127.0.0.1/" + db, session.ErrInvalidDatabaseURL, nil},
		{"unterminated quote", "host=127.0.0.1 password='" + password, session.ErrInvalidDatabaseURL, []string{"key=value"}},
		{"unknown sslmode", "postgres://" + role + ":" + password + "@127.0.0.1/" + db + "?sslmode=bogus", session.ErrInvalidDatabaseURL, nil},
		{"unescaped @ and : in password", "postgres://" + role + ":x@y:" + password + "@127.0.0.1:" + strconv.Itoa(closedPort) + "/" + db,
			session.ErrDatabase, []string{"user=" + role}},
		{"mangled URL", "postgres://" + role + ":" + password + "@127.0.0.1:" + password + "/" + db,
			session.ErrInvalidDatabaseURL, []string{"as a URL"}},
		{"empty", "", session.ErrInvalidDatabaseURL, nil},
	}
	token, _ := session.NewToken(nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, mintErr := session.Mint(ctx, tc.url, session.MintOptions{Email: "alice@example.com", NewID: ids()})
			_, revokeErr := session.Revoke(ctx, tc.url, []string{token})
			_, validateErr := session.Validate(ctx, tc.url, token)
			for fn, err := range map[string]error{"Mint": mintErr, "Revoke": revokeErr, "Validate": validateErr} {
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", fn, err, tc.want)
					continue
				}
				for _, text := range exposedText(err) {
					if strings.Contains(text, password) || strings.Contains(text, tc.url) && tc.url != "" {
						t.Errorf("%s: error reveals the password: %s", fn, text)
					}
					if strings.Contains(text, token) {
						t.Errorf("%s: error reveals the token: %s", fn, text)
					}
				}
				for _, m := range tc.mention {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("%s: error %q does not mention %q", fn, err, m)
					}
				}
			}
			t.Logf("%v", validateErr)
		})
	}
}

// exposedText is every string a caller can get out of err: its message in the usual verbs, and those of
// everything it unwraps to.
func exposedText(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		out = append(out, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
