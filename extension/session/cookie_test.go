package session

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFromSetCookie(t *testing.T) {
	const tok = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		headers []string
		want    string
		wantErr error
	}{
		{"login cookie", []string{"_sid=" + tok + "; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax"}, tok, nil},
		{"secure", []string{"_sid=" + tok + "; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax"}, tok, nil},
		{"bare", []string{"_sid=" + tok}, tok, nil},
		{"several headers", []string{"theme=dark; Path=/", "_sid=" + tok + "; Path=/; HttpOnly", "lang=en"}, tok, nil},
		{"folded into one header", []string{"theme=dark; Path=/, _sid=" + tok + "; Max-Age=604800; HttpOnly, lang=en"}, tok, nil},
		{"folded with Expires dates", []string{
			"a=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT, _sid=" + tok + "; Expires=Thu, 22 Oct 2099 07:28:00 GMT; HttpOnly",
		}, tok, nil},
		{"similar names", []string{"_sid2=x", "x_sid=y", "_SID=z", "_sid=" + tok}, tok, nil},
		{"quoted", []string{`_sid="` + tok + `"; Path=/`}, tok, nil},
		{"last one wins", []string{"_sid=old; Path=/", "_sid=" + tok + "; Path=/"}, tok, nil},
		{"malformed neighbour", []string{"=nameless", "no-equals", "_sid=" + tok}, tok, nil},
		{"Max-Age beats a past Expires", []string{"_sid=" + tok + "; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}, tok, nil},
		{"future Expires", []string{"_sid=" + tok + "; Expires=Thu, 01 Jan 2099 00:00:00 GMT"}, tok, nil},

		{"missing", []string{"theme=dark; Path=/"}, "", ErrNoSessionCookie},
		{"no headers", nil, "", ErrNoSessionCookie},
		{"empty header", []string{""}, "", ErrNoSessionCookie},
		{"blank", []string{"_sid=; Path=/; HttpOnly"}, "", ErrBlankSession},
		{"quoted blank", []string{`_sid=""; Path=/`}, "", ErrBlankSession},
		{"logout", []string{"_sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"}, "", ErrSessionCleared},
		{"negative Max-Age", []string{"_sid=" + tok + "; Max-Age=-1"}, "", ErrSessionCleared},
		{"past Expires", []string{"_sid=" + tok + "; Expires=Thu, 01 Jan 1970 00:00:00 GMT"}, "", ErrSessionCleared},
		{"cleared after set", []string{"_sid=" + tok + "; Max-Age=604800", "_sid=; Max-Age=0"}, "", ErrSessionCleared},
		{"malformed value", []string{"_sid=a\\b" + tok + "; Path=/"}, "", ErrMalformedSessionCookie},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fromSetCookie(tc.headers, now)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("token = %q, want %q", got, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), tok) {
				t.Errorf("error %q quotes the cookie value", err)
			}
		})
	}
}

func TestFromSetCookieUsesTheClock(t *testing.T) {
	// Expires is compared with the real clock in the exported function.
	_, err := FromSetCookie([]string{"_sid=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"})
	if !errors.Is(err, ErrSessionCleared) {
		t.Errorf("err = %v, want ErrSessionCleared", err)
	}
	got, err := FromSetCookie([]string{"_sid=x; Max-Age=604800; HttpOnly; SameSite=Lax"})
	if err != nil || got != "x" {
		t.Errorf("FromSetCookie = %q, %v; want x", got, err)
	}
}
