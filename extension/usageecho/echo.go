// Package usageecho checks an answer of POST /api/usage against the event that was posted: the ingest_echo
// invariant, in Go, so that a load test pays one call per answer instead of an interpreted JSON.parse and six
// comparisons. It reads both shapes of the answer scenarios meet: Valora's bare event object, and Railzway's
// {"data": {…}}. The rules are those of scenarios/suite/usage.ts (differences), which keeps them for the answers
// it reads in JavaScript.
package usageecho

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Sent is what a client posted: the fields the answer must say back.
type Sent struct {
	CustomerID, MeterCode string
	Value                 float64
	RecordedAt            string
	IdempotencyKey        string
}

// ParseSent reads the request body that was posted. Every field must be there: a body without one was not an
// event the echo can be checked against.
func ParseSent(body string) (Sent, error) {
	var raw [5]string // the fields' JSON, in the order of names
	names := [5]string{"customer_id", "meter_code", "value", "recorded_at", "idempotency_key"}
	if !json.Valid([]byte(body)) || !members(body, func(k, v string) {
		for i, n := range names {
			if k == n {
				raw[i] = v
			}
		}
	}) {
		return Sent{}, errors.New("the body sent is not a JSON object")
	}
	var s Sent
	for i, into := range []*string{&s.CustomerID, &s.MeterCode, nil, &s.RecordedAt, &s.IdempotencyKey} {
		if raw[i] == "" {
			return Sent{}, fmt.Errorf("the body sent has no %q", names[i])
		}
		ok, kind := true, "string"
		if into == nil {
			s.Value, ok = numberOf(raw[i])
			kind = "number"
		} else {
			*into, ok = unquoted(raw[i])
		}
		if !ok {
			return Sent{}, fmt.Errorf("the body sent: %q is %s, not a %s", names[i], raw[i], kind)
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

// record is the members of an event that are checked, as raw JSON ("" when absent), by exact key: JSON.parse
// is case-sensitive, and of duplicate keys the last one counts, as there.
type record struct {
	id, ID, customerID, meterCode, value, idempotencyKey, recordedAt, data string
}

func readRecord(s string) (record, bool) {
	var r record
	ok := members(s, func(k, v string) {
		switch k {
		case "id":
			r.id = v
		case "ID":
			r.ID = v
		case "customer_id":
			r.customerID = v
		case "meter_code":
			r.meterCode = v
		case "value":
			r.value = v
		case "idempotency_key":
			r.idempotencyKey = v
		case "recorded_at":
			r.recordedAt = v
		case "data":
			r.data = v
		}
	})
	return r, ok
}

// eventOf finds the event: the body itself, or its "data" object when the body has no id of its own.
func eventOf(answer string) (record, bool) {
	if !json.Valid([]byte(answer)) {
		return record{}, false
	}
	body, ok := readRecord(answer)
	if !ok {
		return record{}, false // not an object (an array, a string, null)
	}
	if body.data != "" && body.id == "" && body.ID == "" {
		if data, ok := readRecord(body.data); ok {
			return data, true
		}
	}
	return body, true
}

// nullish is a missing key or a JSON null: what JavaScript's ?? passes over.
func nullish(raw string) bool { return raw == "" || raw == "null" }

// shown is a field as the message prints it: its JSON, or undefined when absent.
func shown(raw string) string {
	if raw == "" {
		return "undefined"
	}
	return raw
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
	rawID := rec.id
	if nullish(rawID) {
		rawID = rec.ID
	}
	id, isStr := unquoted(rawID)
	if !isStr || !decimal(id) {
		differ("id %s is not a decimal string", shown(rawID))
	}
	if s, ok := unquoted(rec.customerID); !ok || s != want.CustomerID {
		differ("customer_id %s ≠ %q", shown(rec.customerID), want.CustomerID)
	}
	if s, ok := unquoted(rec.meterCode); !ok || s != want.MeterCode {
		differ("meter_code %s ≠ %q", shown(rec.meterCode), want.MeterCode)
	}
	if v, ok := numberOf(rec.value); !ok || v != want.Value {
		differ("value %s ≠ %s", shown(rec.value), jsNumber(want.Value))
	}
	key := jsTrim(want.IdempotencyKey)
	if s, ok := unquoted(rec.idempotencyKey); !ok || s != key {
		differ("idempotency_key %s ≠ %q", shown(rec.idempotencyKey), key)
	}
	if s, ok := unquoted(rec.recordedAt); !ok || !SameInstant(s, want.RecordedAt) {
		differ("recorded_at %s is not the instant %s", shown(rec.recordedAt), want.RecordedAt)
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
