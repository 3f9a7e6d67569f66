package standin

import (
	"strings"
	"testing"
)

func TestDefaultPasswordHashIsValoras(t *testing.T) {
	s, err := New(Config{Customers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h := s.st.usersByEmail["admin@railzway.com"].PasswordHash; !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=4$") {
		t.Fatalf("default hash %q", h)
	}
}
