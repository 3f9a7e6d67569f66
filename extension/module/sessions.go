package module

import (
	"strconv"
	"strings"
	"time"

	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/session"
)

// sessionFromSetCookie(setCookie) → the _sid value; throws when absent, blank or cleared
func (i *Instance) sessionFromSetCookie(v sobek.Value) string {
	const fn = "sessionFromSetCookie"
	rt := i.vu.Runtime()
	var headers []string
	switch x := v.Export().(type) {
	case string:
		headers = []string{x}
	case []any:
		for idx, e := range x {
			s, ok := e.(string)
			if !ok {
				throwType(rt, "%s: Set-Cookie values must be strings; item %d is %T", fn, idx, e)
			}
			headers = append(headers, s)
		}
	default:
		throwType(rt, "%s: pass the Set-Cookie header value (a string or an array of strings), got %s", fn, typeName(v))
	}
	sid, err := session.FromSetCookie(headers)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return sid
}

// hashSessionToken(token) → lowercase hex SHA-256, as stored in sessions.session_token_hash
func (i *Instance) hashSessionToken(token sobek.Value) string {
	return session.HashToken(stringArg(i.vu.Runtime(), "hashSessionToken", "token", token))
}

// mintSessions({databaseUrl, email, count?, orgId?, ttlSeconds?, userAgent?}) → raw tokens
func (i *Instance) mintSessions(opts sobek.Value) *sobek.Object {
	const fn = "mintSessions"
	rt := i.vu.Runtime()
	o := readOptions(rt, fn, "MintSessionsOptions", opts, true)
	dsn := o.str("databaseUrl", true, "the PostgreSQL connection string of Valora's database")
	mo := session.MintOptions{
		Email:     o.str("email", true, "the user to mint sessions for"),
		UserAgent: o.str("userAgent", false, ""),
	}
	if n, ok := o.integer("count", "how many sessions"); ok {
		if n < 1 {
			throwType(rt, "%s: option \"count\" must be at least 1, got %d", fn, n)
		}
		mo.Count = int(n)
	}
	if org := strings.TrimSpace(o.str("orgId", false, "")); org != "" {
		id, err := strconv.ParseInt(org, 10, 64)
		if err != nil || id <= 0 {
			throwType(rt, "%s: option \"orgId\" must be a decimal org id string, got %q", fn, org)
		}
		mo.OrgID = id
	}
	if ttl, ok := o.integer("ttlSeconds", "session lifetime in seconds"); ok {
		if ttl < 1 {
			throwType(rt, "%s: option \"ttlSeconds\" must be at least 1, got %d", fn, ttl)
		}
		mo.TTL = time.Duration(ttl) * time.Second
	}
	gen, err := i.root.generator(i.vu, fn)
	if err != nil {
		throwErr(rt, fn, err)
	}
	mo.NewID = func() int64 { return int64(gen.Next()) }
	tokens, err := session.Mint(i.vu.Context(), dsn, mo)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return newStringArray(rt, tokens)
}

// revokeSessions({databaseUrl, tokens}) → how many live sessions were revoked
func (i *Instance) revokeSessions(opts sobek.Value) int {
	const fn = "revokeSessions"
	rt := i.vu.Runtime()
	o := readOptions(rt, fn, "RevokeSessionsOptions", opts, true)
	dsn := o.str("databaseUrl", true, "the PostgreSQL connection string of Valora's database")
	tokens := o.strs("tokens", false, "raw session tokens")
	if len(tokens) == 0 {
		return 0
	}
	n, err := session.Revoke(i.vu.Context(), dsn, tokens)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return n
}
