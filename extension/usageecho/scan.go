package usageecho

import (
	"encoding/json"
	"strconv"
	"strings"
)

// A small reader for the flat objects usage answers are: it finds members without building a map or any
// value, so checking an answer allocates (almost) nothing. Input is checked with json.Valid first, so the
// reader may assume well-formed JSON.

// members calls f with each member's key and raw value, in order, and reports whether s is a JSON object.
// s must be valid JSON.
func members(s string, f func(key, raw string)) bool {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return false
	}
	i = skipSpace(s, i+1)
	for i < len(s) && s[i] != '}' {
		end := skipString(s, i)
		key := s[i:end]
		i = skipSpace(s, end)
		i = skipSpace(s, i+1) // the colon
		vEnd := skipValue(s, i)
		f(unquote(key), s[i:vEnd])
		i = skipSpace(s, vEnd)
		if i < len(s) && s[i] == ',' {
			i = skipSpace(s, i+1)
		}
	}
	return true
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string that starts at s[i] (a quote).
func skipString(s string, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// skipValue returns the index after the value that starts at s[i].
func skipValue(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '"':
		return skipString(s, i)
	case '{', '[':
		depth := 0
		for ; i < len(s); i++ {
			switch s[i] {
			case '"':
				i = skipString(s, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(s)
	}
	for i < len(s) && !strings.ContainsRune(",}] \t\n\r", rune(s[i])) {
		i++
	}
	return i
}

// unquoted is a JSON string's value; false for anything else.
func unquoted(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if !strings.ContainsRune(body, '\\') {
		return body, true
	}
	var v string
	if json.Unmarshal([]byte(raw), &v) != nil {
		return "", false
	}
	return v, true
}

// unquote is a key's value (keys are always strings).
func unquote(raw string) string {
	v, _ := unquoted(raw)
	return v
}

// numberOf is a JSON number's value as JavaScript reads it (beyond float64: ±Infinity); false for anything else.
func numberOf(raw string) (float64, bool) {
	if raw == "" || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return f, true
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
