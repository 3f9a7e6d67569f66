package standin

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/valora-k6/valora-k6/valoraid"
)

// ingestRequest is Valora's CreateIngestRequest. Its types are the point: customer_id must be a JSON string,
// value a number and recorded_at RFC 3339, or decoding fails and Valora answers 500.
type ingestRequest struct {
	CustomerID     string          `json:"customer_id"`
	MeterCode      string          `json:"meter_code"`
	Value          float64         `json:"value"`
	RecordedAt     time.Time       `json:"recorded_at"`
	IdempotencyKey string          `json:"idempotency_key"`
	Metadata       json.RawMessage `json:"metadata"` // map[string]any in Valora: an object or null
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeIngest reads the body once into a pooled buffer. json.Unmarshal is the fast path; a body it refuses is
// retried with a Decoder, because gin decodes only the first JSON value and ignores what follows.
func decodeIngest(r *http.Request, req *ingestRequest) error {
	if r.Body == nil {
		return errNoBody
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 {
			bodyPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return err
	}
	err := json.Unmarshal(buf.Bytes(), req)
	if err == nil {
		return nil
	}
	if _, syntax := err.(*json.SyntaxError); !syntax {
		return err
	}
	*req = ingestRequest{}
	return json.NewDecoder(bytes.NewReader(buf.Bytes())).Decode(req)
}

// normalizeMetadata keeps an object (compacted) and drops null; anything else is a decode error in Valora.
func normalizeMetadata(raw json.RawMessage) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	if raw[0] != '{' {
		return nil, false
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// ingestUsage is POST /api/usage (contract 2.1–2.4).
func (s *Server) ingestUsage(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	if s.ingestHook != nil {
		s.ingestHook()
	}
	var req ingestRequest
	if err := decodeIngest(r, &req); err != nil {
		writeError(w, errInternal)
		return
	}
	metadata, ok := normalizeMetadata(req.Metadata)
	if !ok {
		writeError(w, errInternal)
		return
	}
	if rc.orgID == 0 {
		writeError(w, errInvalid("invalid_organization"))
		return
	}
	customerID, err := valoraid.ParseString(strings.TrimSpace(req.CustomerID))
	if err != nil || customerID == 0 {
		writeError(w, errInvalid("invalid_customer"))
		return
	}
	meterCode := strings.TrimSpace(req.MeterCode)
	if meterCode == "" {
		writeError(w, errInvalid("invalid_meter_code"))
		return
	}
	if math.IsNaN(req.Value) || math.IsInf(req.Value, 0) {
		writeError(w, errInvalid("invalid_value"))
		return
	}
	if req.RecordedAt.IsZero() {
		writeError(w, errInvalid("invalid_recorded_at"))
		return
	}
	key := strings.TrimSpace(req.IdempotencyKey)
	if key == "" {
		writeError(w, errInvalid("invalid_idempotency_key"))
		return
	}

	k := usageKey{org: rc.orgID, key: key}
	sh := s.st.usage.shard(k)
	sh.mu.Lock()
	// Idempotency comes first: a known key is answered with its record before the subscription or meter is looked at.
	if !s.faults.has(FaultIngestDuplicate) {
		if recs := sh.byKey[k]; len(recs) > 0 {
			ev := recs[0]
			sh.mu.Unlock()
			writeUsage(w, ev, true, s.faults.has(FaultIngestEcho))
			return
		}
	}
	if apiErr := s.checkIngestTarget(rc.orgID, customerID, meterCode); apiErr != nil {
		sh.mu.Unlock()
		writeError(w, apiErr)
		return
	}
	now := time.Now().UTC()
	ev := &usageEvent{
		ID:         s.usageID(rc.orgID),
		OrgID:      rc.orgID,
		CustomerID: customerID,
		MeterCode:  meterCode,
		Value:      req.Value,
		RecordedAt: req.RecordedAt,
		Key:        key,
		Metadata:   metadata,
		CreatedAt:  now,
	}
	sh.byKey[k] = append(sh.byKey[k], ev)
	sh.mu.Unlock()
	s.st.usage.count.Add(1)
	writeUsage(w, ev, false, s.faults.has(FaultIngestEcho))
}

// checkIngestTarget needs an ACTIVE subscription for the customer (an unknown customer is the same error) and a
// meter with that code; meters.active is not checked, as in Valora.
func (s *Server) checkIngestTarget(orgID, customerID valoraid.ID, meterCode string) *apiError {
	s.st.mu.RLock()
	_, active := s.st.activeSub[orgCustomer{orgID, customerID}]
	m := s.st.metersByCode[orgCode{orgID, meterCode}]
	s.st.mu.RUnlock()
	if !active {
		return errInvalid("invalid_subscription")
	}
	if m == nil {
		return errInvalid("invalid_meter")
	}
	return nil
}

// usageID is a fresh snowflake, except under FaultIngestSharedID where a new event reuses the org's last id.
func (s *Server) usageID(orgID valoraid.ID) valoraid.ID {
	if !s.faults.has(FaultIngestSharedID) {
		return s.gen.Next()
	}
	us := &s.st.usage
	us.lastMu.Lock()
	defer us.lastMu.Unlock()
	if id, ok := us.lastID[orgID]; ok {
		return id
	}
	id := s.gen.Next()
	us.lastID[orgID] = id
	return id
}

// writeUsage writes the bare event object by hand: it is the hottest response and encoding/json would cost
// several allocations for the same bytes. A replay reads recorded_at back as Postgres stores it (microseconds,
// UTC); the first answer echoes the parsed input. wrongValue is FaultIngestEcho: the answer says value+1, while
// the stored record keeps the value sent.
func writeUsage(w http.ResponseWriter, ev *usageEvent, replay, wrongValue bool) {
	recordedAt := ev.RecordedAt
	if replay {
		recordedAt = recordedAt.Truncate(time.Microsecond).UTC()
	}
	value := ev.Value
	if wrongValue {
		wrong := value + 1
		if wrong == value || math.IsInf(wrong, 0) { // too large for +1 to change it
			wrong = math.Nextafter(value, 0)
		}
		value = wrong
	}
	b := make([]byte, 0, 192+len(ev.MeterCode)+len(ev.Key)+len(ev.Metadata))
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, int64(ev.ID), 10)
	b = append(b, `","org_id":"`...)
	b = strconv.AppendInt(b, int64(ev.OrgID), 10)
	b = append(b, `","customer_id":"`...)
	b = strconv.AppendInt(b, int64(ev.CustomerID), 10)
	b = append(b, `","meter_code":`...)
	b = appendJSONString(b, ev.MeterCode)
	b = append(b, `,"value":`...)
	b = appendJSONFloat(b, value)
	b = append(b, `,"recorded_at":"`...)
	b = recordedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","idempotency_key":`...)
	b = appendJSONString(b, ev.Key)
	b = append(b, `,"metadata":`...)
	if ev.Metadata == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, ev.Metadata...)
	}
	b = append(b, '}')
	writeRaw(w, http.StatusOK, b)
}

// appendJSONFloat formats like encoding/json.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString escapes like encoding/json (HTML-safe, invalid UTF-8 replaced, U+2028/2029 escaped).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
