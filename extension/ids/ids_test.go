package ids

import (
	"errors"
	"strings"
	"testing"

	"github.com/valora-k6/valora-k6/valoraid"
)

// valoraOrgID is an organisation id issued by Valora (contract section 7: node 1, step 0, January 2026).
const valoraOrgID valoraid.ID = 2008111837777760256

func TestParseID(t *testing.T) {
	good := map[string]valoraid.ID{
		"2008111837777760256": valoraOrgID,
		"1":                   1,
		"9223372036854775807": 1<<63 - 1,
		"007":                 7,
	}
	for s, want := range good {
		got, err := ParseID(s)
		if err != nil || got != want {
			t.Errorf("ParseID(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "000", "-1", "+1", " 1", "1 ", "1e9", "0x10", "12a",
		"9223372036854775808", strings.Repeat("9", 200)} {
		if _, err := ParseID(s); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ParseID(%q) error = %v, want ErrInvalidID", s, err)
		} else if len(err.Error()) > 120 {
			t.Errorf("ParseID(%q) error is %d bytes long", s, len(err.Error()))
		}
	}
}
