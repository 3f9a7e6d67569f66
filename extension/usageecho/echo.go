// Package usageecho checks an answer of POST /api/usage against the event that was posted: the ingest_echo
// invariant, in Go, so that a load test pays one call per answer instead of an interpreted JSON.parse and six
// comparisons. It reads both shapes of the answer scenarios meet: Valora's bare event object, and Railzway's
// {"data": {…}}. The rules are those of scenarios/suite/usage.ts (differences), which keeps them for the answers
// it reads in JavaScript.
package usageecho

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Sent is what a client posted: the fields the answer must say back.
type Sent struct {
	CustomerID     string  `json:"customer_id"`
	MeterCode      string  `json:"meter_code"`
	Value          float64 `json:"value"`
	RecordedAt     string  `json:"recorded_at"`
	IdempotencyKey string  `json:"idempotency_key"`
}

// ParseSent reads the request body that was posted. Every field must be there: a body without one was not an
// event the echo can be checked against.
func ParseSent(body string) (Sent, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		return Sent{}, fmt.Errorf("the body sent is not a JSON object: %w", err)
	}
	var s Sent
	for _, f := range []struct {
		name string
		into any
	}{
		{"customer_id", &s.CustomerID}, {"meter_code", &s.MeterCode}, {"value", &s.Value},
		{"recorded_at", &s.RecordedAt}, {"idempotency_key", &s.IdempotencyKey},
	} {
		v, ok := raw[f.name]
		if !ok {
			return Sent{}, fmt.Errorf("the body sent has no %q", f.name)
		}
		if err := json.Unmarshal(v, f.into); err != nil {
			return Sent{}, fmt.Errorf("the body sent: %q: %w", f.name, err)
		}
	}
	return s, nil
}

// NoEvent is the difference reported when the answer is not a usage event at all.
const NoEvent = "the body is not a usage event"

// Check reports whether answer echoes sent, and the event's id when it does.
func Check(answer string, sent *Sent) (id string, ok bool) {
	id, _, ok = compare(answer, sent, false)
	return id, ok
}

// Differences lists how answer differs from sent, each as a sentence fragment; none when it echoes it.
func Differences(answer string, sent *Sent) []string {
	_, diffs, _ := compare(answer, sent, true)
	return diffs
}

// record is the event in an answer, by exact key (JSON.parse is case-sensitive; encoding/json's struct
// matching is not, so a map is read).
type record map[string]json.RawMessage

// eventOf finds the event: the body itself, or its "data" object when the body has no id of its own.
func eventOf(answer string) (record, bool) {
	var body record
	if json.Unmarshal([]byte(answer), &body) != nil || body == nil {
		return nil, false // not an object (an array, a string, null), or not JSON
	}
	if d, ok := body["data"]; ok && !has(body, "id") && !has(body, "ID") {
		var data record
		if json.Unmarshal(d, &data) == nil && data != nil {
			return data, true
		}
	}
	return body, true
}

func has(r record, key string) bool { _, ok := r[key]; return ok }

// nullish is a missing key or a JSON null: what JavaScript's ?? passes over.
func nullish(v json.RawMessage) bool { return v == nil || string(v) == "null" }

// shown is a field as the message prints it: its JSON, or undefined when absent.
func shown(v json.RawMessage) string {
	if v == nil {
		return "undefined"
	}
	return string(v)
}

// str is a JSON string's value; false for anything else.
func str(v json.RawMessage) (string, bool) {
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

func compare(answer string, want *Sent, collect bool) (string, []string, bool) {
	rec, ok := eventOf(answer)
	if !ok {
		if collect {
			return "", []string{NoEvent}, false
		}
		return "", nil, false
	}
	var diffs []string
	bad := false
	differ := func(format string, args ...any) {
		bad = true
		if collect {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	rawID := rec["id"]
	if nullish(rawID) {
		rawID = rec["ID"]
	}
	id, isStr := str(rawID)
	if !isStr || !decimal(id) {
		differ("id %s is not a decimal string", shown(rawID))
	}
	if s, ok := str(rec["customer_id"]); !ok || s != want.CustomerID {
		differ("customer_id %s ≠ %q", shown(rec["customer_id"]), want.CustomerID)
	}
	if s, ok := str(rec["meter_code"]); !ok || s != want.MeterCode {
		differ("meter_code %s ≠ %q", shown(rec["meter_code"]), want.MeterCode)
	}
	if v, ok := number(rec["value"]); !ok || v != want.Value {
		differ("value %s ≠ %s", shown(rec["value"]), jsNumber(want.Value))
	}
	key := jsTrim(want.IdempotencyKey)
	if s, ok := str(rec["idempotency_key"]); !ok || s != key {
		differ("idempotency_key %s ≠ %q", shown(rec["idempotency_key"]), key)
	}
	if s, ok := str(rec["recorded_at"]); !ok || !SameInstant(s, want.RecordedAt) {
		differ("recorded_at %s is not the instant %s", shown(rec["recorded_at"]), want.RecordedAt)
	}
	if bad {
		return "", diffs, false
	}
	return id, nil, true
}

func decimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// number is a JSON number's value as JavaScript reads it; false for anything else.
func number(v json.RawMessage) (float64, bool) {
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		// Beyond float64: JSON.parse reads ±Infinity, which equals no value sent.
		return math.Inf(1), true
	}
	return f, true
}

func jsNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprint(f)
}

// jsTrim removes what String.prototype.trim removes: white space and line terminators, BOM included.
func jsTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
			return true
		}
		return r >= 0x2000 && r <= 0x200A
	})
}

// ---------------------------------------------------------------- instants

// Instant is an RFC 3339 instant at nanosecond precision: Valora writes Go's RFC3339Nano, and Postgres reads back
// microseconds, so a comparison in milliseconds would call different instants equal.
type Instant struct {
	Seconds int64
	Nanos   int
}

// ParseInstant reads what scenarios/framework/time.ts reads: YYYY-MM-DD, T, t or a space, hh:mm:ss, up to nine
// fraction digits, then Z, z or ±hh:mm; fields out of range roll over as Date.UTC rolls them (years 0 to 99 are
// 1900 to 1999, as there).
func ParseInstant(s string) (Instant, bool) {
	s = jsTrim(s)
	// 2006-01-02T15:04:05 is 19 bytes; then an optional fraction, then the zone.
	if len(s) < 20 || !utf8.ValidString(s) {
		return Instant{}, false
	}
	digits := func(from, n int) (int, bool) { return digitsOf(s[from : from+n]) }
	y, ok1 := digits(0, 4)
	mo, ok2 := digits(5, 2)
	d, ok3 := digits(8, 2)
	h, ok4 := digits(11, 2)
	mi, ok5 := digits(14, 2)
	sec, ok6 := digits(17, 2)
	sep := s[10]
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
		(sep != 'T' && sep != 't' && sep != ' ') {
		return Instant{}, false
	}
	rest := s[19:]
	nanos := 0
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		frac := rest[1:n]
		if len(frac) < 1 || len(frac) > 9 {
			return Instant{}, false
		}
		for i := 0; i < 9; i++ {
			nanos *= 10
			if i < len(frac) {
				nanos += int(frac[i] - '0')
			}
		}
		rest = rest[n:]
	}
	offset := 0
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digitsOf(rest[1:3])
		om, ok2 := digitsOf(rest[4:6])
		if !ok1 || !ok2 {
			return Instant{}, false
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return Instant{}, false
	}
	if y <= 99 {
		y += 1900
	}
	at := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Unix() - int64(offset)
	return Instant{Seconds: at, Nanos: nanos}, true
}

func digitsOf(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// SameInstant reports whether a and b are both RFC 3339 instants and the same one.
func SameInstant(a, b string) bool {
	x, ok := ParseInstant(a)
	if !ok {
		return false
	}
	if a == b {
		return true
	}
	y, ok := ParseInstant(b)
	return ok && x == y
}
