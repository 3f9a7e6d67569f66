package standin

import (
	"encoding/json"
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valora-k6/valora-k6/valoraid"
)

// The state lives in memory. Low-traffic data shares one RWMutex; the hot paths (API keys, sessions, usage
// idempotency) have their own locks so a load test on one route does not serialise the others.

type customer struct {
	ID        valoraid.ID
	OrgID     valoraid.ID
	Name      string
	Email     string
	Currency  string
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time

	// Customers never change once created, so their JSON and page token are rendered once, at insert.
	json  []byte
	token string
}

type orgCustomer struct{ org, customer valoraid.ID }
type orgCode struct {
	org  valoraid.ID
	code string
}

type state struct {
	mu sync.RWMutex

	orgs         map[valoraid.ID]*org
	users        map[valoraid.ID]*user
	usersByEmail map[string]*user
	members      map[valoraid.ID]map[valoraid.ID]string // org → user → role

	customers      map[valoraid.ID]*customer
	customersByOrg map[valoraid.ID][]*customer // ascending (created_at, id); lists walk it backwards

	meters        map[valoraid.ID]*meter
	metersByCode  map[orgCode]*meter
	products      map[valoraid.ID]*product
	productCodes  map[orgCode]struct{}
	prices        map[valoraid.ID]*price
	priceCodes    map[orgCode]struct{}
	priceAmounts  map[valoraid.ID]*priceAmount
	subscriptions map[valoraid.ID]*subscription
	activeSub     map[orgCustomer]valoraid.ID

	providerConfigs []*providerConfig // creation order: the order webhook verification tries them in
	balances        map[orgCustomer]*balance
	cycles          map[valoraid.ID][]cycleStat

	keys     apiKeyStore
	sessions sessionStore
	usage    usageStore
	payments paymentStore
}

func newState() *state {
	st := &state{
		orgs:           map[valoraid.ID]*org{},
		users:          map[valoraid.ID]*user{},
		usersByEmail:   map[string]*user{},
		members:        map[valoraid.ID]map[valoraid.ID]string{},
		customers:      map[valoraid.ID]*customer{},
		customersByOrg: map[valoraid.ID][]*customer{},
		meters:         map[valoraid.ID]*meter{},
		metersByCode:   map[orgCode]*meter{},
		products:       map[valoraid.ID]*product{},
		productCodes:   map[orgCode]struct{}{},
		prices:         map[valoraid.ID]*price{},
		priceCodes:     map[orgCode]struct{}{},
		priceAmounts:   map[valoraid.ID]*priceAmount{},
		subscriptions:  map[valoraid.ID]*subscription{},
		activeSub:      map[orgCustomer]valoraid.ID{},
		balances:       map[orgCustomer]*balance{},
		cycles:         map[valoraid.ID][]cycleStat{},
	}
	st.keys.byHash = map[[32]byte]*apiKey{}
	st.keys.byKeyID = map[string]*apiKey{}
	st.sessions.byHash = map[[32]byte]*session{}
	st.usage.init()
	st.payments.events = map[paymentKey]*paymentEvent{}
	return st
}

// insertCustomer keeps customersByOrg sorted. Caller holds st.mu for writing.
func (st *state) insertCustomer(c *customer) {
	c.json, _ = json.Marshal(viewCustomer(c))
	c.token = encodeCursor(c)
	st.customers[c.ID] = c
	list := st.customersByOrg[c.OrgID]
	i := sort.Search(len(list), func(i int) bool {
		o := list[i]
		if !o.CreatedAt.Equal(c.CreatedAt) {
			return o.CreatedAt.After(c.CreatedAt)
		}
		return o.ID > c.ID
	})
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = c
	st.customersByOrg[c.OrgID] = list
}

// ---- usage events ----

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
}

type usageShard struct {
	mu sync.Mutex
	// Normally one record per key; FaultIngestDuplicate appends more.
	byKey map[usageKey][]*usageEvent
	_     [40]byte // keep neighbouring shard locks off one cache line
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

// records returns every record stored under the key (tests use it to count).
func (us *usageStore) records(org valoraid.ID, key string) []*usageEvent {
	k := usageKey{org, key}
	sh := us.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return append([]*usageEvent(nil), sh.byKey[k]...)
}

// ---- payment events ----

type paymentKey struct{ provider, eventID string }

type paymentEvent struct {
	OrgID     valoraid.ID
	Processed bool
}

type paymentStore struct {
	mu        sync.Mutex
	events    map[paymentKey]*paymentEvent
	processed atomic.Int64 // balance-changing applications, for tests and Stats
}
