package session

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// FromSetCookie returns the session token from Set-Cookie header values. Each value is normally one cookie, but
// clients that fold repeated headers into one (joined with ", ") are handled too. When several _sid cookies are
// set, the last wins, as in a browser.
//
// It fails with ErrNoSessionCookie when there is none, ErrSessionCleared when the last one deletes the cookie
// (Max-Age<=0 or Expires in the past: what /auth/logout sends) and ErrBlankSession when its value is empty.
func FromSetCookie(headers []string) (string, error) {
	return fromSetCookie(headers, time.Now())
}

func fromSetCookie(headers []string, now time.Time) (string, error) {
	var last *http.Cookie
	for _, header := range headers {
		for _, line := range splitSetCookie(header) {
			c, err := http.ParseSetCookie(line)
			if err != nil {
				if cookieName(line) == CookieName {
					// net/http's parse errors never quote the value, so err is safe to show.
					return "", fmt.Errorf("%w: %v", ErrMalformedSessionCookie, err)
				}
				continue // someone else's malformed cookie is not our concern
			}
			if c.Name == CookieName {
				last = c
			}
		}
	}
	switch {
	case last == nil:
		return "", ErrNoSessionCookie
	case cleared(last, now):
		return "", ErrSessionCleared
	case strings.TrimSpace(last.Value) == "":
		return "", ErrBlankSession
	}
	return last.Value, nil
}

// cleared reports whether the cookie tells the client to delete it. Max-Age wins over Expires (RFC 6265 5.3);
// net/http maps Max-Age<=0 to -1 and leaves 0 for "absent".
func cleared(c *http.Cookie, now time.Time) bool {
	if c.MaxAge < 0 {
		return true
	}
	return c.MaxAge == 0 && !c.Expires.IsZero() && !c.Expires.After(now)
}

// splitSetCookie splits a header value that may hold several folded cookies. A comma separates cookies only
// when a cookie name and "=" follow it: cookie values cannot contain commas (RFC 6265), and the comma of an
// Expires date is followed by a space and a day number.
func splitSetCookie(header string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(header); i++ {
		if header[i] == ',' && startsCookie(header[i+1:]) {
			parts = append(parts, header[start:i])
			start = i + 1
		}
	}
	return append(parts, header[start:])
}

// startsCookie reports whether s (after optional spaces) begins with "token=".
func startsCookie(s string) bool {
	s = strings.TrimLeft(s, " \t")
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return false
	}
	for _, r := range name {
		if !isTokenChar(r) {
			return false
		}
	}
	return true
}

// cookieName is the name part of a Set-Cookie line, for recognising a malformed _sid cookie.
func cookieName(line string) string {
	first, _, _ := strings.Cut(line, ";")
	name, _, _ := strings.Cut(first, "=")
	return strings.TrimSpace(name)
}

// isTokenChar reports whether r may appear in an HTTP token (RFC 7230 tchar).
func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}
