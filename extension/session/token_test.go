package session_test

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"testing"

	"github.com/valora-k6/valora-k6/extension/session"
)

var base64url43 = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func TestNewTokenIsValoraShaped(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, err := session.NewToken(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !base64url43.MatchString(tok) {
			t.Fatalf("token %q is not 43 unpadded base64url characters", tok)
		}
		if seen[tok] {
			t.Fatalf("token repeated after %d draws", len(seen))
		}
		seen[tok] = true
	}
}

func TestNewTokenEncodesTheReadersBytes(t *testing.T) {
	// Golden value from: python3 -c "import base64; print(base64.urlsafe_b64encode(bytes(range(32))).rstrip(b'='))"
	src := make([]byte, 40)
	for i := range src {
		src[i] = byte(i)
	}
	tok, err := session.NewToken(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; tok != want {
		t.Errorf("NewToken = %q, want %q", tok, want)
	}
}

func TestNewTokenShortRead(t *testing.T) {
	_, err := session.NewToken(bytes.NewReader(make([]byte, 31)))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestHashToken(t *testing.T) {
	// Golden values from `printf %s tok | sha256sum`.
	const tokHash = "1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62"
	for _, in := range []string{"tok", " tok", "tok\n", "\t tok \r\n"} {
		if got := session.HashToken(in); got != tokHash {
			t.Errorf("HashToken(%q) = %s, want %s", in, got, tokHash)
		}
	}
	const zeros = "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a"
	if got := session.HashToken("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); got != zeros {
		t.Errorf("HashToken(43 A) = %s, want %s", got, zeros)
	}
}
