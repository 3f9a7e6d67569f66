package module

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/session"
)

// sessionFromSetCookie(setCookie) → the _sid value; a TypeError when there is none, or it is blank or cleared
func sessionFromSetCookie(c call) sobek.Value {
	headers := c.strList(0)
	sid, err := session.FromSetCookie(headers)
	if err != nil {
		// The session errors never quote the cookie's value: it is a credential.
		c.typeError("%s: %v", c.label(0), err)
	}
	return c.rt.ToValue(sid)
}

// hashSessionToken(token) → lowercase hex SHA-256, as stored in sessions.session_token_hash
func hashSessionToken(c call) sobek.Value {
	token := c.str(0)
	if strings.TrimSpace(token) == "" {
		c.typeError("%s must not be blank (%s)", c.label(0), c.e.params[0].what)
	}
	return c.rt.ToValue(session.HashToken(token))
}

type mintSessionsOptions struct {
	DatabaseURL string `js:"databaseUrl,required" what:"the PostgreSQL connection string of Valora's database"`
	Email       string `js:"email,required" what:"the user to mint sessions for"`
	Count       *int64 `js:"count" what:"how many sessions"`
	OrgID       string `js:"orgId" what:"a decimal org id"`
	TTLSeconds  *int64 `js:"ttlSeconds" what:"session lifetime in seconds"`
	UserAgent   string `js:"userAgent" what:"the user agent to store"`
}

// mintSessions({databaseUrl, email, count?, orgId?, ttlSeconds?, userAgent?}) → raw tokens
func mintSessions(c call) sobek.Value {
	var o mintSessionsOptions
	mintSessionsSpec.read(c, 0, &o)
	mo := session.MintOptions{Email: o.Email, UserAgent: o.UserAgent}
	if o.Count != nil {
		mo.Count = int(*o.Count)
	}
	if org := strings.TrimSpace(o.OrgID); org != "" {
		id, err := strconv.ParseInt(org, 10, 64)
		if err != nil || id <= 0 {
			c.typeError("option \"orgId\" must be a decimal org id string, got %q", clip(org))
		}
		mo.OrgID = id
	}
	if o.TTLSeconds != nil {
		mo.TTL = time.Duration(*o.TTLSeconds) * time.Second
	}
	src := c.idSource()
	mo.NewID = func() int64 { return int64(src.gen.Next()) }
	tokens, err := session.Mint(c.i.vu.Context(), o.DatabaseURL, mo)
	if err != nil {
		c.sessionError(err)
	}
	return newStringArray(c.rt, tokens)
}

type revokeSessionsOptions struct {
	DatabaseURL string   `js:"databaseUrl,required" what:"the PostgreSQL connection string of Valora's database"`
	Tokens      []string `js:"tokens" what:"raw session tokens"`
}

// revokeSessions({databaseUrl, tokens}) → how many live sessions were revoked
func revokeSessions(c call) sobek.Value {
	var o revokeSessionsOptions
	revokeSessionsSpec.read(c, 0, &o)
	if len(o.Tokens) == 0 {
		return c.rt.ToValue(0)
	}
	n, err := session.Revoke(c.i.vu.Context(), o.DatabaseURL, o.Tokens)
	if err != nil {
		c.sessionError(err)
	}
	return c.rt.ToValue(n)
}

// sessionError throws a session package error: a TypeError for an unusable URL or option, an Error for what
// the database answered. Neither quotes the password or a token.
func (c call) sessionError(err error) {
	switch {
	case errors.Is(err, session.ErrInvalidDatabaseURL):
		c.typeError("option \"databaseUrl\": %v", err)
	case errors.Is(err, session.ErrInvalidOptions):
		c.typeError("%s: %v", `argument "options"`, err)
	}
	c.fail(err)
}
