package valoraid

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// valoraOrgID is an organisation id issued by Valora (contract section 7: node 1, step 0, January 2026).
// Expected parts computed independently:
//
//	python3 -c "i=2008111837777760256; print((i>>22)+1288834974657, (i>>12)&1023, i&4095)"
//	→ 1767606145697 1 0, i.e. 2026-01-05T09:42:25.697Z
const valoraOrgID ID = 2008111837777760256

var valoraOrgTime = time.Date(2026, time.January, 5, 9, 42, 25, 697_000_000, time.UTC)

func TestDecodeValoraID(t *testing.T) {
	got := Decode(valoraOrgID)
	want := Parts{Time: valoraOrgTime, Node: 1, Step: 0}
	if !got.Time.Equal(want.Time) || got.Node != want.Node || got.Step != want.Step {
		t.Fatalf("Decode(%d) = %+v, want %+v", valoraOrgID, got, want)
	}
	if got.Time.Location() != time.UTC {
		t.Errorf("Decode time location = %v, want UTC", got.Time.Location())
	}
}

func TestDecodeLayout(t *testing.T) {
	// Hand-assembled from the layout: 1 ms after Epoch, node 1023, step 4095.
	id := ID(1<<22 | 1023<<12 | 4095)
	got := Decode(id)
	if got.Time.UnixMilli() != Epoch+1 || got.Node != 1023 || got.Step != 4095 {
		t.Fatalf("Decode(%d) = %+v", id, got)
	}
	if Decode(0).Time.UnixMilli() != Epoch {
		t.Errorf("Decode(0) time = %v, want Epoch", Decode(0).Time)
	}
	if got := time.UnixMilli(Epoch).UTC().Format(time.RFC3339Nano); got != "2010-11-04T01:42:54.657Z" {
		t.Errorf("Epoch = %s, want the Twitter epoch 2010-11-04T01:42:54.657Z", got)
	}
}

func TestStringAndParseString(t *testing.T) {
	if got := valoraOrgID.String(); got != "2008111837777760256" {
		t.Fatalf("String() = %q", got)
	}
	// ParseString is strconv.ParseInt in base 10, as Valora parses request ids: signs, zero and leading zeros pass.
	good := map[string]ID{
		"2008111837777760256":  valoraOrgID,
		"1":                    1,
		"9223372036854775807":  1<<63 - 1,
		"007":                  7,
		"0":                    0,
		"+5":                   5,
		"-5":                   -5,
		"-9223372036854775808": -1 << 63,
	}
	for s, want := range good {
		got, err := ParseString(s)
		if err != nil || got != want {
			t.Errorf("ParseString(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", " 1", "1 ", "1e9", "0x10", "12a", "9223372036854775808", strings.Repeat("9", 200)} {
		if _, err := ParseString(s); !errors.Is(err, strconv.ErrSyntax) && !errors.Is(err, strconv.ErrRange) {
			t.Errorf("ParseString(%q) error = %v, want a strconv syntax or range error", s, err)
		}
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		ID  ID  `json:"id"`
		Neg ID  `json:"neg"`
		Ptr *ID `json:"ptr"`
	}{ID: valoraOrgID, Neg: -7})
	if err != nil || string(b) != `{"id":"2008111837777760256","neg":"-7","ptr":null}` {
		t.Fatalf("Marshal = %s, %v; want quoted decimal strings", b, err)
	}

	var v struct {
		ID ID `json:"id"`
	}
	if err := json.Unmarshal([]byte(`{"id":"2008111837777760256"}`), &v); err != nil || v.ID != valoraOrgID {
		t.Fatalf("Unmarshal quoted id = %d, %v", v.ID, err)
	}
	for _, id := range []ID{0, 1, -1, 1<<63 - 1, -1 << 63, valoraOrgID} {
		var back ID
		b, _ := json.Marshal(id)
		if err := json.Unmarshal(b, &back); err != nil || back != id {
			t.Errorf("round trip of %d via %s = %d, %v", id, b, back, err)
		}
	}

	// The quotes are required: a number, even an exact one, is refused, and so are null and other types.
	for _, raw := range []string{`2008111837777760256`, `1`, `null`, `true`, `{}`, `["1"]`, `"1`, `1"`} {
		var id ID
		if err := id.UnmarshalJSON([]byte(raw)); !errors.Is(err, ErrNotString) {
			t.Errorf("UnmarshalJSON(%s) error = %v, want ErrNotString", raw, err)
		}
	}
	// Inside the quotes, ParseString decides.
	for _, raw := range []string{`""`, `" 1"`, `"1.0"`, `"abc"`, `"9223372036854775808"`, `"\u0031"`} {
		id := ID(42)
		if err := id.UnmarshalJSON([]byte(raw)); err == nil || errors.Is(err, ErrNotString) || id != 42 {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want a parse error and the id unchanged", raw, id, err)
		}
	}
	if err := json.Unmarshal([]byte(`{"id":12}`), &v); err == nil {
		t.Error("json.Unmarshal accepted a number for an id")
	}
	if err := new(ID).UnmarshalJSON([]byte(strings.Repeat("9", 500))); err == nil || len(err.Error()) > 160 {
		t.Errorf("error for a long number: %v", err)
	}
}

func TestKeyID(t *testing.T) {
	// Contract 6.4: F98QDZLSN9J4 is 2008117908344934400 in upper-case base 36 (python: int("F98QDZLSN9J4", 36)).
	cases := map[ID]string{
		2008117908344934400: "key_F98QDZLSN9J4",
		valoraOrgID:         "key_F98O8ITPORUO",
		1:                   "key_1",
		35:                  "key_Z",
		1<<63 - 1:           "key_1Y2P0IJ32E8E7",
	}
	for id, want := range cases {
		if got := KeyID(id); got != want {
			t.Errorf("KeyID(%d) = %q, want %q", id, got, want)
		}
	}
}
