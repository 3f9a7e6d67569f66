package standin

import (
	"encoding/hex"
	"io"
)

// randomBytes reads n bytes from rnd: crypto/rand for what the server mints at run time, a seeded stream for a
// fixture built with Config.Seed.
func randomBytes(rnd io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, err
	}
	return b, nil
}

// randomHex is n bytes from rnd in lowercase hex (2n characters).
func randomHex(rnd io.Reader, n int) (string, error) {
	b, err := randomBytes(rnd, n)
	return hex.EncodeToString(b), err
}
