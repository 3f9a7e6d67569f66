package module

import (
	"strings"

	"github.com/grafana/sobek"
)

// param declares one positional argument of an export.
type param struct {
	name     string
	ts       string // its type as index.d.ts declares it
	optional bool
	what     string // what it is, for messages
}

// export declares one function of the module: its parameters, checked against index.d.ts by the drift test
// and against each call by the function wrapper, and its implementation.
type export struct {
	name   string
	params []param
	impl   func(call) sobek.Value
}

func (e *export) required() int {
	n := 0
	for _, p := range e.params {
		if !p.optional {
			n++
		}
	}
	return n
}

// signature is the declaration as index.d.ts writes it, for messages: "barrier(name, parties, timeoutSeconds?)".
func (e *export) signature() string {
	names := make([]string, len(e.params))
	for idx, p := range e.params {
		names[idx] = p.name
		if p.optional {
			names[idx] += "?"
		}
	}
	return e.name + "(" + strings.Join(names, ", ") + ")"
}

// The TypeScript types of parameters that several exports share.
const (
	tsString  = "string"
	tsNumber  = "number"
	tsBytes   = "Bytes"
	tsStrList = "string | string[]"
)

// exportTable is every export of k6/x/valora, in the order index.d.ts declares them.
var exportTable = []export{
	// webhooks
	{"signStripe", []param{
		{"payload", tsBytes, false, "the exact request body"},
		{"options", "StripeSignOptions", false, ""},
	}, signStripe},
	{"stripeSignatureHeader", []param{
		{"payload", tsBytes, false, "the exact request body"},
		{"secret", tsStrList, false, "the endpoint secret, or an array of them"},
		{"timestamp", tsNumber, true, "unix seconds"},
	}, stripeSignatureHeader},
	{"stripeEvent", []param{{"options", "StripeEventOptions", false, ""}}, stripeEvent},
	{"adyenEvent", []param{{"options", "AdyenEventOptions", false, ""}}, adyenEvent},
	{"signAdyen", []param{
		{"payload", tsBytes, false, "an Adyen notification as JSON"},
		{"options", "AdyenSignOptions", false, ""},
	}, signAdyen},
	{"signBraintree", []param{
		{"payload", tsString, false, "the bt_payload: base64 of the notification XML"},
		{"options", "BraintreeSignOptions", false, ""},
	}, signBraintree},
	// ids
	{"snowflake", nil, snowflake},
	{"decodeSnowflake", []param{{"id", tsString, false, "a snowflake id as a decimal string"}}, decodeSnowflake},
	{"idempotencyKey", []param{{"prefix", tsString, true, "1 to 64 of A-Z a-z 0-9 . _ : -"}}, idempotencyKey},
	{"providerId", []param{{"kind", "ProviderIdKind", false, ""}}, providerID},
	{"nodeId", nil, nodeID},
	{"instanceShare", []param{{"total", tsNumber, false, "a scenario's VU or iteration count"}}, instanceShare},
	// sessions
	{"sessionFromSetCookie", []param{
		{"setCookie", tsStrList, false, "the Set-Cookie header value, or an array of them"},
	}, sessionFromSetCookie},
	{"hashSessionToken", []param{{"token", tsString, false, "a raw session token"}}, hashSessionToken},
	{"mintSessions", []param{{"options", "MintSessionsOptions", false, ""}}, mintSessions},
	{"revokeSessions", []param{{"options", "RevokeSessionsOptions", false, ""}}, revokeSessions},
	// billing
	{"billingState", []param{{"options", "BillingStateOptions", false, ""}}, billingState},
	{"moveBilling", []param{{"options", "MoveBillingOptions", false, ""}}, moveBilling},
	// cross-VU state
	{"firstSeen", []param{
		{"set", tsString, false, "the name of a set"},
		{"value", tsString, false, "any string"},
	}, firstSeen},
	{"seen", []param{
		{"set", tsString, false, "the name of a set"},
		{"value", tsString, false, "any string"},
	}, seen},
	{"setSize", []param{{"set", tsString, false, "the name of a set"}}, setSize},
	{"agree", []param{
		{"key", tsString, false, "the name of the value to agree on"},
		{"value", tsString, false, "any string"},
	}, agree},
	{"count", []param{
		{"name", tsString, false, "the name of a counter"},
		{"delta", tsNumber, true, "a whole number to add"},
	}, count},
	{"barrier", []param{
		{"name", tsString, false, "the name of the barrier"},
		{"parties", tsNumber, false, "how many VUs to wait for"},
		{"timeoutSeconds", tsNumber, true, "seconds to wait"},
	}, barrier},
	{"runStatus", nil, runStatus},
	// files
	{"ensureDir", []param{{"path", tsString, false, "a directory path"}}, ensureDir},
	{"writeFile", []param{
		{"path", tsString, false, "a file path"},
		{"content", tsBytes, false, "the file's content"},
		{"mode", tsNumber, true, "permission bits such as 0o644"},
	}, writeFile},
	{"readFile", []param{{"path", tsString, false, "a file path"}}, readFile},
	// usage ingest
	{"checkUsageEcho", []param{
		{"answer", tsString, false, "the body POST /api/usage answered"},
		{"sent", tsString, false, "the body that was posted, as JSON"},
		{"idSet", tsString, false, "the name of the set the id is offered to"},
	}, checkUsageEcho},
	{"usageEchoDifferences", []param{
		{"answer", tsString, false, "the body POST /api/usage answered"},
		{"sent", tsString, false, "the body that was posted, as JSON"},
	}, usageEchoDifferences},
}

// exportIndex finds an export by name.
var exportIndex = func() map[string]int {
	m := make(map[string]int, len(exportTable))
	for idx := range exportTable {
		m[exportTable[idx].name] = idx
	}
	return m
}()
