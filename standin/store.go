package standin

import (
	"sync"

	"github.com/valora-k6/valora-k6/valoraid"
)

// The state lives in memory. Low-traffic data shares one RWMutex; the hot paths (API keys, sessions, usage
// idempotency, payment events) have stores with their own locks, beside the code that uses them (apikeys.go,
// sessions.go, usage.go, webhooks.go), so a load test on one route does not serialise the others.

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
	invites      map[valoraid.ID]*invite

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

	// Railzway's features: by id, codes per org, and each product's features (features.go).
	features        map[valoraid.ID]*feature
	featureCodes    map[orgCode]struct{}
	productFeatures map[valoraid.ID][]valoraid.ID

	providerConfigs []*providerConfig // creation order: the order webhook verification tries them in
	balances        map[orgCustomer]*balance
	cycles          map[valoraid.ID][]cycleStat

	invoices      map[valoraid.ID]*invoice
	invoicesByOrg map[valoraid.ID][]*invoice // ascending (created_at, id); lists walk it backwards
	invoiceSeq    map[valoraid.ID]int64      // org → last invoice sequence number used

	keys     apiKeyStore
	sessions sessionStore
	usage    usageStore
	payments paymentStore
}

func newState() *state {
	st := &state{
		orgs:            map[valoraid.ID]*org{},
		users:           map[valoraid.ID]*user{},
		usersByEmail:    map[string]*user{},
		members:         map[valoraid.ID]map[valoraid.ID]string{},
		invites:         map[valoraid.ID]*invite{},
		customers:       map[valoraid.ID]*customer{},
		customersByOrg:  map[valoraid.ID][]*customer{},
		meters:          map[valoraid.ID]*meter{},
		metersByCode:    map[orgCode]*meter{},
		products:        map[valoraid.ID]*product{},
		productCodes:    map[orgCode]struct{}{},
		prices:          map[valoraid.ID]*price{},
		priceCodes:      map[orgCode]struct{}{},
		priceAmounts:    map[valoraid.ID]*priceAmount{},
		subscriptions:   map[valoraid.ID]*subscription{},
		activeSub:       map[orgCustomer]valoraid.ID{},
		features:        map[valoraid.ID]*feature{},
		featureCodes:    map[orgCode]struct{}{},
		productFeatures: map[valoraid.ID][]valoraid.ID{},
		balances:        map[orgCustomer]*balance{},
		cycles:          map[valoraid.ID][]cycleStat{},
		invoices:        map[valoraid.ID]*invoice{},
		invoicesByOrg:   map[valoraid.ID][]*invoice{},
		invoiceSeq:      map[valoraid.ID]int64{},
	}
	st.keys.byHash = map[[32]byte]*apiKey{}
	st.keys.byKeyID = map[string]*apiKey{}
	st.sessions.byHash = map[[32]byte]*session{}
	st.usage.init()
	st.payments.events = map[paymentKey]*paymentEvent{}
	return st
}
