package standin

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

type usageEvent struct {
	ID         valoraid.ID
	OrgID      valoraid.ID
	CustomerID valoraid.ID
	MeterCode  string
	Value      float64
	RecordedAt time.Time
	Key        string
	Metadata   []byte // compact JSON object, nil for null
	CreatedAt  time.Time
	// replays counts the answers that returned this record for a key already stored (retries, concurrent
	// duplicates, whitespace variants); only FaultRatingDouble reads it.
	replays atomic.Int32
}

type usageKey struct {
	org valoraid.ID
	key string
}

const usageShards = 64

// usageStore is sharded by (org, key). The shard lock is held across lookup, checks and insert, which is what
// makes N concurrent identical requests produce exactly one record.
type usageStore struct {
	seed   maphash.Seed
	shards [usageShards]usageShard
	count  atomic.Int64
	// lastID per org, for FaultIngestSharedID.
	lastMu sync.Mutex
	lastID map[valoraid.ID]valoraid.ID
	// perOrg counts each org's stored events, for Railzway's usage quota.
	perOrg sync.Map // valoraid.ID → *atomic.Int64
}

func (us *usageStore) countOrg(org valoraid.ID) {
	c, _ := us.perOrg.LoadOrStore(org, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

func (us *usageStore) orgEvents(org valoraid.ID) int64 {
	if c, ok := us.perOrg.Load(org); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

type usageShard struct {
	mu sync.Mutex
	// Normally one record per key; FaultIngestDuplicate appends more.
	byKey map[usageKey][]*usageEvent
	// accepted holds the records stored since the snapshot worker last collected them (billing.go).
	accepted []*usageEvent
	_        [16]byte // keep neighbouring shard locks off one cache line
}

func (us *usageStore) init() {
	us.seed = maphash.MakeSeed()
	for i := range us.shards {
		us.shards[i].byKey = map[usageKey][]*usageEvent{}
	}
	us.lastID = map[valoraid.ID]valoraid.ID{}
}

func (us *usageStore) shard(k usageKey) *usageShard {
	h := maphash.String(us.seed, k.key) ^ uint64(k.org)*0x9E3779B97F4A7C15
	return &us.shards[h%usageShards]
}

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
	// Valora passes a decode error on as a 500; Railzway answers it as a bad request.
	undecodable := errInternal
	if s.fl.strictUsageBody {
		undecodable = errInvalidRequest
	}
	if err := decodeIngest(r, &req); err != nil {
		writeError(w, undecodable)
		return
	}
	metadata, ok := normalizeMetadata(req.Metadata)
	if !ok {
		writeError(w, undecodable)
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
	if math.IsNaN(req.Value) || math.IsInf(req.Value, 0) || (s.fl.strictUsageBody && req.Value < 0) {
		writeError(w, errInvalid("invalid_value"))
		return
	}
	if req.RecordedAt.IsZero() || (s.fl.strictUsageBody && req.RecordedAt.After(time.Now().Add(5*time.Minute))) {
		writeError(w, errInvalid("invalid_recorded_at"))
		return
	}
	key := strings.TrimSpace(req.IdempotencyKey)
	if key == "" {
		writeError(w, errInvalid("invalid_idempotency_key"))
		return
	}

	if s.faults.has(FaultTenantUsage) {
		rc.orgID = s.customerOrg(customerID, rc.orgID) // the customer's org, not the key's
	}
	k := usageKey{org: rc.orgID, key: key}
	sh := s.st.usage.shard(k)
	sh.mu.Lock()
	// Idempotency comes first: a known key is answered with its record before the subscription or meter is looked at.
	if !s.faults.has(FaultIngestDuplicate) {
		if recs := sh.byKey[k]; len(recs) > 0 {
			ev := recs[0]
			ev.replays.Add(1)
			sh.mu.Unlock()
			writeUsage(w, ev, true, s.faults.has(FaultIngestEcho), s.fl.wrapUsage)
			return
		}
	}
	if apiErr := s.checkIngestTarget(rc.orgID, customerID, meterCode); apiErr != nil {
		sh.mu.Unlock()
		writeError(w, apiErr)
		return
	}
	if s.fl.quotas && s.cfg.UsageQuota > 0 && s.st.usage.orgEvents(rc.orgID) >= s.cfg.UsageQuota {
		sh.mu.Unlock()
		writeError(w, errQuotaExceeded)
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
	sh.accepted = append(sh.accepted, ev) // status accepted, for the snapshot worker
	sh.mu.Unlock()
	s.st.usage.count.Add(1)
	s.st.usage.countOrg(rc.orgID)
	writeUsage(w, ev, false, s.faults.has(FaultIngestEcho), s.fl.wrapUsage)
}

// checkIngestTarget needs an ACTIVE subscription for the customer (an unknown customer is the same error) and a
// meter with that code; meters.active is not checked, as in Valora.
func (s *Server) checkIngestTarget(orgID, customerID valoraid.ID, meterCode string) *apiError {
	s.st.mu.RLock()
	subID, active := s.st.activeSub[orgCustomer{orgID, customerID}]
	m := s.st.metersByCode[orgCode{orgID, meterCode}]
	var entitled []valoraid.ID
	if sub := s.st.subscriptions[subID]; active && sub != nil {
		entitled = sub.EntitledMeters
	}
	s.st.mu.RUnlock()
	if !active {
		return errInvalid("invalid_subscription")
	}
	if m == nil {
		return errInvalid("invalid_meter")
	}
	if s.fl.entitlements && !slices.Contains(entitled, m.ID) {
		return errFeatureNotEntitled
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
func writeUsage(w http.ResponseWriter, ev *usageEvent, replay, wrongValue, wrapped bool) {
	writeRaw(w, http.StatusOK, appendUsage(nil, ev, replay, wrongValue, wrapped))
}

// appendUsage appends the event's JSON; wrapped is Railzway's {"data":{…}}.
func appendUsage(b []byte, ev *usageEvent, replay, wrongValue, wrapped bool) []byte {
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
	if b == nil {
		b = make([]byte, 0, 200+len(ev.MeterCode)+len(ev.Key)+len(ev.Metadata))
	}
	if wrapped {
		b = append(b, `{"data":`...)
	}
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
	if wrapped {
		b = append(b, '}')
	}
	return b
}

// listUsage is Railzway's GET /api/usage: the org's latest events (at most page_size, default 10), newest first.
func (s *Server) listUsage(w http.ResponseWriter, r *http.Request, rc reqCtx) {
	limit := 10
	if n, err := strconv.Atoi(r.URL.Query().Get("page_size")); err == nil && n > 0 {
		limit = min(n, 250)
	}
	var evs []*usageEvent
	us := &s.st.usage
	for i := range us.shards {
		sh := &us.shards[i]
		sh.mu.Lock()
		for k, recs := range sh.byKey {
			if k.org == rc.orgID {
				evs = append(evs, recs...)
			}
		}
		sh.mu.Unlock()
	}
	slices.SortFunc(evs, func(a, b *usageEvent) int { return b.CreatedAt.Compare(a.CreatedAt) })
	evs = evs[:min(len(evs), limit)]
	b := []byte(`{"data":[`)
	for i, ev := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendUsage(b, ev, true, false, false)
	}
	b = append(b, `],"page_info":{"next_page_token":"","previous_page_token":"","has_more":`...)
	b = strconv.AppendBool(b, false)
	writeRaw(w, http.StatusOK, append(b, "}}"...))
}
