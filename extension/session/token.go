package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// tokenBytes is the entropy of a Valora session token.
const tokenBytes = 32

// NewToken returns a session token shaped like Valora's: 32 bytes from r in unpadded base64url (43 characters).
// A nil r means crypto/rand.Reader.
func NewToken(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [tokenBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("session: read %d random bytes: %w", tokenBytes, err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken is the value Valora stores in sessions.session_token_hash: the lowercase hex SHA-256 of the token
// with surrounding whitespace removed.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:])
}
