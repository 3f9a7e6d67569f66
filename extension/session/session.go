// Package session mints, checks and revokes Valora admin sessions directly in Valora's PostgreSQL database, and
// reads the session cookie out of Set-Cookie headers.
//
// A row inserted here is as good as one made by POST /auth/login, so a load test can hold thousands of distinct
// sessions without paying login's Argon2id cost for each. The package never imports the JS engine; clock,
// randomness and id generation come in as arguments.
//
// Raw tokens and database passwords never appear in an error: tokens are credentials, and a connection string
// carries a password.
package session

import (
	"errors"
	"time"
)

// CookieName is the cookie Valora keeps its session token in.
const CookieName = "_sid"

// Limits and defaults of Mint.
const (
	DefaultTTL       = 24 * time.Hour
	MaxTTL           = 7 * 24 * time.Hour // Valora's own session lifetime; a longer one could not come from login
	MaxCount         = 10000
	DefaultUserAgent = "valora-k6"
	// mintedIP is what the ip_address column says for minted sessions; Valora only records it.
	mintedIP = "127.0.0.1"
)

// Sentinel errors. Returned errors wrap them, so test with errors.Is.
var (
	ErrNoSessionCookie        = errors.New("session: no " + CookieName + " cookie in Set-Cookie")
	ErrBlankSession           = errors.New("session: blank " + CookieName + " cookie")
	ErrSessionCleared         = errors.New("session: " + CookieName + " cookie cleared (Max-Age<=0 or Expires in the past), as logout does")
	ErrMalformedSessionCookie = errors.New("session: malformed " + CookieName + " cookie")
	ErrInvalidDatabaseURL     = errors.New("session: invalid database URL")
	ErrUserNotFound           = errors.New("session: user not found")
	ErrNotMember              = errors.New("session: user is not a member of the organization")
	ErrInvalidOptions         = errors.New("session: invalid options")
	ErrSessionNotFound        = errors.New("session: no session with this token")
	ErrSessionRevoked         = errors.New("session: session revoked")
	ErrSessionExpired         = errors.New("session: session expired")
	ErrDatabase               = errors.New("session: database error")
)

// Info is what Valora's WebAuthRequired learns from a valid session.
type Info struct {
	UserID      int64
	ActiveOrgID int64 // 0 when no org is active, as after a fresh login
	OrgIDs      []int64
	ExpiresAt   time.Time
}
