package session

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// MintOptions says which sessions Mint creates.
type MintOptions struct {
	Email     string           // required; matched case-insensitively
	Count     int              // 1..MaxCount; 0 means 1
	OrgID     int64            // active org; 0 means none, as after login. Must be one of the user's orgs
	TTL       time.Duration    // 0 means DefaultTTL; at most MaxTTL
	UserAgent string           // "" means DefaultUserAgent
	Now       func() time.Time // nil means time.Now
	Rand      io.Reader        // nil means crypto/rand.Reader
	NewID     func() int64     // snowflake ids for sessions.id; required
}

func (o MintOptions) withDefaults() (MintOptions, error) {
	o.Email = strings.TrimSpace(o.Email)
	if o.Email == "" {
		return o, fmt.Errorf("%w: Email is required", ErrInvalidOptions)
	}
	if o.Count == 0 {
		o.Count = 1
	}
	if o.Count < 0 || o.Count > MaxCount {
		return o, fmt.Errorf("%w: Count %d is outside 1..%d", ErrInvalidOptions, o.Count, MaxCount)
	}
	if o.OrgID < 0 {
		return o, fmt.Errorf("%w: OrgID %d is negative", ErrInvalidOptions, o.OrgID)
	}
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.TTL < 0 || o.TTL > MaxTTL {
		return o, fmt.Errorf("%w: TTL %s must be > 0 and <= %s (Valora's session lifetime)", ErrInvalidOptions, o.TTL, MaxTTL)
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.NewID == nil {
		return o, fmt.Errorf("%w: NewID is required (pass the snowflake id generator)", ErrInvalidOptions)
	}
	return o, nil
}

var sessionColumns = []string{
	"id", "user_id", "session_token_hash", "user_agent", "ip_address", "active_org_id", "org_ids",
	"expires_at", "revoked_at", "created_at", "last_seen_at",
}

// Mint inserts opts.Count sessions for the user with opts.Email, in one transaction, and returns their raw
// tokens (cookie values). Each session looks like one from POST /auth/login followed, when opts.OrgID is set, by
// POST /auth/user/using/:orgId: org_ids lists every org the user belongs to.
func Mint(ctx context.Context, databaseURL string, opts MintOptions) ([]string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	conn, tgt, err := connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer closeConn(ctx, conn)

	userID, err := findUser(ctx, conn, tgt, o.Email)
	if err != nil {
		return nil, err
	}
	orgIDs, err := userOrgs(ctx, conn, tgt, userID)
	if err != nil {
		return nil, err
	}
	var activeOrg any // NULL unless an org is chosen
	if o.OrgID != 0 {
		if !slices.Contains(orgIDs, o.OrgID) {
			return nil, fmt.Errorf("%w: user %d is not in organization %d (member of %v)", ErrNotMember, userID, o.OrgID, orgIDs)
		}
		activeOrg = o.OrgID
	}
	orgJSON, err := json.Marshal(orgIDs) // numbers, as Valora stores them
	if err != nil {
		return nil, fmt.Errorf("session: encode org ids: %w", err)
	}

	now := o.Now()
	expires := now.Add(o.TTL)
	tokens := make([]string, o.Count)
	rows := make([][]any, o.Count)
	for i := range tokens {
		if tokens[i], err = NewToken(o.Rand); err != nil {
			return nil, err
		}
		id := o.NewID()
		if id <= 0 {
			return nil, fmt.Errorf("%w: NewID returned %d; session ids are positive snowflakes", ErrInvalidOptions, id)
		}
		rows[i] = []any{id, userID, HashToken(tokens[i]), o.UserAgent, mintedIP, activeOrg, orgJSON,
			expires, nil, now, now}
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, tgt.wrap("begin", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // no-op after Commit
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"sessions"}, sessionColumns, pgx.CopyFromRows(rows))
	if err != nil {
		return nil, tgt.wrap("insert sessions", err)
	}
	if n != int64(o.Count) {
		return nil, tgt.wrap("insert sessions", fmt.Errorf("inserted %d rows, want %d", n, o.Count))
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, tgt.wrap("commit", err)
	}
	return tokens, nil
}

// findUser resolves an email the way Valora's login does: case-insensitively.
func findUser(ctx context.Context, conn *pgx.Conn, tgt target, email string) (int64, error) {
	rows, err := conn.Query(ctx, `SELECT id FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 2`, email)
	if err != nil {
		return 0, tgt.wrap("find user", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, tgt.wrap("find user", err)
	}
	switch len(ids) {
	case 0:
		return 0, fmt.Errorf("%w: no user with email %q in %s", ErrUserNotFound, email, tgt.database)
	case 1:
		return ids[0], nil
	}
	return 0, fmt.Errorf("%w: several users have email %q ignoring case", ErrUserNotFound, email)
}

func userOrgs(ctx context.Context, conn *pgx.Conn, tgt target, userID int64) ([]int64, error) {
	rows, err := conn.Query(ctx, `SELECT org_id FROM organization_members WHERE user_id = $1 ORDER BY org_id`, userID)
	if err != nil {
		return nil, tgt.wrap("load organizations", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, tgt.wrap("load organizations", err)
	}
	if ids == nil {
		ids = []int64{} // "[]", not "null", like a login by a user without orgs
	}
	return ids, nil
}

// Revoke marks the live sessions behind tokens as revoked, as /auth/logout does, and returns how many it
// revoked. Sessions already revoked or expired are left alone.
func Revoke(ctx context.Context, databaseURL string, tokens []string) (int, error) {
	if _, _, err := parseDatabaseURL(databaseURL); err != nil {
		return 0, err
	}
	hashes := make([]string, 0, len(tokens))
	for _, tok := range tokens {
		if strings.TrimSpace(tok) != "" {
			hashes = append(hashes, HashToken(tok))
		}
	}
	if len(hashes) == 0 {
		return 0, nil
	}
	conn, tgt, err := connect(ctx, databaseURL)
	if err != nil {
		return 0, err
	}
	defer closeConn(ctx, conn)
	tag, err := conn.Exec(ctx, `UPDATE sessions SET revoked_at = now()
		WHERE session_token_hash = ANY($1) AND revoked_at IS NULL AND expires_at > now()`, hashes)
	if err != nil {
		return 0, tgt.wrap("revoke sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// Validate checks a token the way Valora's WebAuthRequired does: the session must exist, not be revoked and not
// be expired. Unlike Valora it does not touch last_seen_at, so checking has no side effect.
func Validate(ctx context.Context, databaseURL string, token string) (Info, error) {
	return validateAt(ctx, databaseURL, token, time.Now())
}

func validateAt(ctx context.Context, databaseURL, token string, now time.Time) (Info, error) {
	if _, _, err := parseDatabaseURL(databaseURL); err != nil {
		return Info{}, err
	}
	if strings.TrimSpace(token) == "" {
		return Info{}, ErrBlankSession
	}
	conn, tgt, err := connect(ctx, databaseURL)
	if err != nil {
		return Info{}, err
	}
	defer closeConn(ctx, conn)

	var (
		info      Info
		activeOrg *int64
		orgJSON   []byte
		revokedAt *time.Time
	)
	err = conn.QueryRow(ctx, `SELECT user_id, active_org_id, org_ids, expires_at, revoked_at
		FROM sessions WHERE session_token_hash = $1`, HashToken(token)).
		Scan(&info.UserID, &activeOrg, &orgJSON, &info.ExpiresAt, &revokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Info{}, ErrSessionNotFound
	}
	if err != nil {
		return Info{}, tgt.wrap("find session", err)
	}
	if revokedAt != nil {
		return Info{}, fmt.Errorf("%w at %s", ErrSessionRevoked, revokedAt.UTC().Format(time.RFC3339))
	}
	if !info.ExpiresAt.After(now) {
		return Info{}, fmt.Errorf("%w at %s", ErrSessionExpired, info.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if activeOrg != nil {
		info.ActiveOrgID = *activeOrg
	}
	if len(orgJSON) > 0 {
		if err := json.Unmarshal(orgJSON, &info.OrgIDs); err != nil {
			return Info{}, fmt.Errorf("session: org_ids of session is not a JSON array of ids: %w", err)
		}
	}
	return info, nil
}
