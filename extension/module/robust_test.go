package module

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// usageSent is a body POST /api/usage is sent, as JavaScript.
const usageSent = `'{"customer_id":"c","meter_code":"m","value":1,"idempotency_key":"k","recorded_at":"2026-01-01T00:00:00Z"}'`

// validArgs is one valid call of every export, as JavaScript expressions, every optional argument given so
// that each can be varied. The variables come from robustPrelude.
var validArgs = map[string][]string{
	"signStripe":            {`body`, `{secret: "whsec_SECRET", timestamp: 1700000000}`},
	"stripeSignatureHeader": {`body`, `"whsec_SECRET"`, `1700000000`},
	"stripeEvent": {`{type: "charge.succeeded", customerId: "2008111839082188800", amount: 1000, currency: "usd",
		id: "evt_1", objectId: "ch_1", created: 1700000000, invoiceId: "42"}`},
	"adyenEvent": {`{eventCode: "AUTHORISATION", customerId: "42", success: true, amount: 1000, currency: "EUR",
		pspReference: "PSP1", originalReference: "PSP0", merchantAccountCode: "M", merchantReference: "R",
		eventDate: "2026-01-05T09:42:25Z", invoiceId: "7"}`},
	"signAdyen":            {`adyenBody`, `{hmacKey: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"}`},
	"signBraintree":        {`"PHhtbC8+"`, `{publicKey: "pub", privateKey: "priv_SECRET"}`},
	"snowflake":            {},
	"decodeSnowflake":      {`"2008111837777760256"`},
	"idempotencyKey":       {`"k6"`},
	"providerId":           {`"evt"`},
	"nodeId":               {},
	"instanceShare":        {`10`},
	"sessionFromSetCookie": {`"_sid=SECRET_SID; Path=/"`},
	"hashSessionToken":     {`"tok_SECRET"`},
	"mintSessions": {`{databaseUrl: deadDatabase, email: "admin@railzway.com", count: 1, orgId: "1",
		ttlSeconds: 60, userAgent: "ua"}`},
	"revokeSessions": {`{databaseUrl: deadDatabase, tokens: ["tok_SECRET"]}`},
	"billingState":   {`{databaseUrl: deadDatabase, orgId: "1", subscriptionId: "2", customerId: "3", runTag: "r"}`},
	"moveBilling": {`{databaseUrl: deadDatabase, orgId: "1", subscriptionId: "2", customerId: "3", runTag: "r",
		startAt: "2026-01-01T00:00:00Z", periodStart: "2026-01-01T00:00:00Z", periodEnd: "2026-01-02T00:00:00Z"}`},
	"firstSeen": {`"set"`, `"value"`},
	"seen":      {`"set"`, `"value"`},
	"setSize":   {`"set"`},
	"agree":     {`"key"`, `"value"`},
	"count":     {`"counter"`, `1`},
	"barrier":   {`"robust"`, `1`, `1`},
	"runStatus": {},
	"ensureDir": {`dir + "/sub/dir"`},
	"writeFile": {`dir + "/file.txt"`, `"content"`, `0o640`},
	"readFile":  {`dir + "/file.txt"`},
	"checkUsageEcho": {`'{"id":"1","customer_id":"c","meter_code":"m","value":1,"idempotency_key":"k","recorded_at":"2026-01-01T00:00:00Z"}'`,
		usageSent, `"ids"`},
	"usageEchoDifferences": {`'{}'`, usageSent},
}

// robustPrelude defines the variables validArgs uses. The database is a closed port on loopback: the calls
// that get past their arguments fail fast with a connection error.
const robustPrelude = `
	var body = JSON.stringify({id: "evt_1", type: "charge.succeeded"});
	var adyenBody = valora.adyenEvent({eventCode: "AUTHORISATION", customerId: "42"}).body;
	var deadDatabase = "postgres://k6:SECRET_PW@127.0.0.1:1/valora?connect_timeout=5";
	var huge = "x".repeat(1 << 20);
`

// outcome is what a call must do: return (ok), throw a TypeError naming the argument, or throw an Error (a
// failure past the arguments: the database, the file system).
type outcome string

const (
	returned outcome = "returns"
	typeErr  outcome = "TypeError"
	failed   outcome = "Error"
)

// expected lists every case whose outcome is not the default (a TypeError; ok for an absent optional
// argument or option). Each is a documented valid result: see index.d.ts.
var expected = map[string]outcome{
	// Any bytes can be signed, an empty body and a large one included; any secret is an HMAC key.
	"signStripe payload empty":                        returned,
	"signStripe payload empty ArrayBuffer":            returned,
	"signStripe payload huge":                         returned,
	"signStripe options.secret huge":                  returned,
	"signStripe options.secret huge list":             returned,
	"stripeSignatureHeader payload empty":             returned,
	"stripeSignatureHeader payload empty ArrayBuffer": returned,
	"stripeSignatureHeader payload huge":              returned,
	"stripeSignatureHeader secret huge":               returned,
	"stripeSignatureHeader secret huge list":          returned,
	"signBraintree payload empty":                     returned,
	"signBraintree payload huge":                      returned,
	"signBraintree options.publicKey huge":            returned,
	"signBraintree options.privateKey huge":           returned,
	"hashSessionToken token huge":                     returned,
	// An empty optional string option takes the default; free-text fields take any text.
	"stripeEvent options.currency empty":           returned,
	"stripeEvent options.currency huge":            returned,
	"stripeEvent options.id empty":                 returned,
	"stripeEvent options.objectId empty":           returned,
	"stripeEvent options.invoiceId empty":          returned,
	"stripeEvent options.invoiceId huge":           returned,
	"adyenEvent options.success empty":             returned, // false
	"adyenEvent options.currency empty":            returned,
	"adyenEvent options.currency huge":             returned,
	"adyenEvent options.pspReference empty":        returned,
	"adyenEvent options.pspReference huge":         returned,
	"adyenEvent options.originalReference empty":   returned,
	"adyenEvent options.originalReference huge":    returned,
	"adyenEvent options.merchantAccountCode empty": returned,
	"adyenEvent options.merchantAccountCode huge":  returned,
	"adyenEvent options.merchantReference empty":   returned,
	"adyenEvent options.merchantReference huge":    returned,
	"adyenEvent options.eventDate empty":           returned,
	"adyenEvent options.invoiceId empty":           returned,
	"adyenEvent options.invoiceId huge":            returned,
	"idempotencyKey prefix empty":                  returned, // the default prefix
	"instanceShare total empty":                    returned, // 0 VUs is a share
	"firstSeen set huge":                           returned,
	"firstSeen value empty":                        returned,
	"firstSeen value huge":                         returned,
	"seen set huge":                                returned,
	// Any answer is read: one that is not an event differs.
	"checkUsageEcho answer empty":         returned,
	"checkUsageEcho answer huge":          returned,
	"checkUsageEcho idSet huge":           returned,
	"usageEchoDifferences answer empty":   returned,
	"usageEchoDifferences answer huge":    returned,
	"seen value empty":                    returned,
	"seen value huge":                     returned,
	"setSize set huge":                    returned,
	"agree key huge":                      returned,
	"agree value empty":                   returned,
	"agree value huge":                    returned,
	"count name huge":                     returned,
	"count delta empty":                   returned, // 0 reads
	"barrier name huge":                   returned,
	"writeFile content empty":             returned,
	"writeFile content empty ArrayBuffer": returned,
	"writeFile content huge":              returned,
	"writeFile mode empty":                returned, // 0o000 is a mode
	// The operating system refuses a 1 MiB path: an Error naming it.
	"ensureDir path huge": failed,
	"writeFile path huge": failed,
	"readFile path huge":  failed,
	// Past their arguments, mintSessions and revokeSessions reach the (closed) database: every case expected to
	// return gives an Error naming the function instead (reachesDatabase), and so do these valid values.
	"mintSessions options.email huge":          failed,
	"mintSessions options.userAgent huge":      failed,
	"mintSessions options.orgId empty":         failed,   // "" is no org, as after a login
	"mintSessions options.userAgent empty":     failed,   // the default user agent
	"revokeSessions options.tokens empty":      returned, // a blank token matches no session: nothing to revoke
	"revokeSessions options.tokens empty list": returned, // nothing to revoke: the database is not reached
	"revokeSessions options.tokens absent":     returned,
	"revokeSessions options.tokens undefined":  returned,
	"revokeSessions options.tokens null":       returned,
	"revokeSessions options.tokens huge":       failed,
	"revokeSessions options.tokens huge list":  failed,
	// A run tag is free text (a long one matches no subscription); without startAt only the cycle moves; one
	// period bound without the other is refused before the database is reached.
	"billingState options.runTag huge":          failed,
	"moveBilling options.runTag huge":           failed,
	"moveBilling options.startAt empty":         failed,
	"moveBilling options.periodStart absent":    typeErr,
	"moveBilling options.periodStart undefined": typeErr,
	"moveBilling options.periodStart null":      typeErr,
	"moveBilling options.periodEnd absent":      typeErr,
	"moveBilling options.periodEnd undefined":   typeErr,
	"moveBilling options.periodEnd null":        typeErr,
	// Numbers: a fraction of a second is a timeout, a negative delta is a subtraction.
	"barrier timeoutSeconds fraction": returned,
	"count delta negative":            returned,
}

// reachesDatabase are the exports whose valid calls connect to the database.
var reachesDatabase = map[string]bool{"mintSessions": true, "revokeSessions": true, "billingState": true, "moveBilling": true}

// variant is one value to put in place of an argument or option, by the kind of value it is.
type variant struct{ name, js string }

// variantsFor returns the values to try for a parameter or option of TypeScript type ts: wrong kinds, empty,
// huge and NaN. The absent forms (missing, undefined, null) are added by the caller.
func variantsFor(t *testing.T, ts string) []variant {
	wrongForString := []variant{{"number", `42`}, {"boolean", `true`}, {"object", `({})`}, {"array", `["a"]`},
		{"ArrayBuffer", `new ArrayBuffer(1)`}, {"symbol", `Symbol("s")`}, {"bigint", `10n`}, {"function", `(function () {})`}}
	common := []variant{{"NaN", `NaN`}, {"Infinity", `Infinity`}}
	switch ts {
	case tsString:
		return append(append(wrongForString, variant{"empty", `""`}, variant{"huge", `huge`}), common...)
	case tsBytes:
		return append([]variant{{"number", `42`}, {"boolean", `false`}, {"object", `({})`}, {"array", `["a"]`},
			{"typed array", `new Uint8Array(2)`}, {"bigint", `10n`}, {"empty", `""`}, {"empty ArrayBuffer", `new ArrayBuffer(0)`},
			{"huge", `huge`}}, common...)
	case tsStrList:
		return append([]variant{{"number", `42`}, {"object", `({})`}, {"array of numbers", `[1]`}, {"array with null", `[null]`},
			{"ArrayBuffer", `new ArrayBuffer(1)`}, {"empty", `""`}, {"empty list", `[]`}, {"huge", `huge`},
			{"huge list", `[huge]`}}, common...)
	case tsNumber:
		return append([]variant{{"string", `"5"`}, {"boolean", `true`}, {"object", `({})`}, {"array", `[1]`},
			{"bigint", `10n`}, {"fraction", `1.5`}, {"empty", `0`}, {"negative", `-1`}, {"huge", `1e300`},
			{"-huge", `-1e300`}, {"unsafe", `9007199254740993`}}, common...)
	case "boolean":
		return append([]variant{{"string", `"true"`}, {"number", `1`}, {"object", `({})`}, {"empty", `false`},
			{"Boolean object", `new Boolean(true)`}}, common...)
	}
	if _, isEnum := enums[ts]; isEnum {
		return append(append(wrongForString, variant{"empty", `""`}, variant{"unknown", `"nope"`},
			variant{"case", `"` + strings.ToUpper(enums[ts][0]) + `x"`}, variant{"huge", `huge`}), common...)
	}
	if _, isOptions := optionSpecsByName[ts]; isOptions {
		return append([]variant{{"string", `"x"`}, {"number", `42`}, {"array", `[]`}, {"function", `(function () {})`},
			{"Date", `new Date()`}, {"Map", `new Map()`}, {"ArrayBuffer", `new ArrayBuffer(1)`}, {"empty", `({})`},
			{"huge", `({[huge]: 1})`}}, common...)
	}
	t.Fatalf("no variants for type %q", ts)
	return nil
}

// robustCase is one call and what it must do.
type robustCase struct {
	id      string
	fn      string
	args    []string
	want    outcome
	mention string // what a TypeError must name: `"param"` or `"option"`
}

// robustCases varies each argument of each export (and each key of each options argument) in turn.
func robustCases(t *testing.T, d *dts) []robustCase {
	var cases []robustCase
	add := func(c robustCase) {
		w, listed := expected[c.id]
		switch {
		case listed:
			c.want = w
		case c.want == returned && reachesDatabase[c.fn]:
			c.want = failed
		}
		cases = append(cases, c)
	}
	for _, f := range d.funcs {
		base, ok := validArgs[f.name]
		require.True(t, ok, "validArgs has no call of %s", f.name)
		require.Len(t, base, len(f.params), "validArgs of %s gives every argument", f.name)
		add(robustCase{id: f.name + " valid", fn: f.name, args: base, want: returned})
		add(robustCase{id: f.name + " one argument too many", fn: f.name, args: append(slices.Clone(base), `1`),
			want: typeErr, mention: "takes at most"})

		for idx, p := range f.params {
			with := func(js string) []string {
				args := slices.Clone(base)
				args[idx] = js
				return args
			}
			absent := typeErr
			if p.optional {
				absent = returned
			}
			// Missing: the argument and all after it are left out; the first required one among them is named.
			missing := robustCase{id: f.name + " missing " + p.name, fn: f.name, args: base[:idx], want: returned}
			for _, later := range f.params[idx:] {
				if !later.optional {
					missing.want, missing.mention = typeErr, `"`+later.name+`"`
					break
				}
			}
			add(missing)
			for _, a := range []variant{{"undefined", `undefined`}, {"null", `null`}} {
				add(robustCase{id: f.name + " " + p.name + " " + a.name, fn: f.name, args: with(a.js), want: absent,
					mention: `"` + p.name + `"`})
			}
			members, isOptions := d.ifaces[p.ts]
			for _, v := range variantsFor(t, p.ts) {
				mention := `"` + p.name + `"`
				if isOptions && (v.name == "empty" || v.name == "huge") {
					mention = `option "` // an object, but a key is missing or unknown: the message names the key
				}
				add(robustCase{id: f.name + " " + p.name + " " + v.name, fn: f.name, args: with(v.js), want: typeErr,
					mention: mention})
			}

			if !isOptions {
				continue
			}
			// Each key of the options object in turn, the others kept valid.
			add(robustCase{id: f.name + " " + p.name + " unknown key", fn: f.name,
				args: with(`Object.assign(` + base[idx] + `, {bogus: 1})`), want: typeErr, mention: `"bogus"`})
			for _, m := range members {
				withKey := func(js string) []string {
					return with(`Object.assign(` + base[idx] + `, {` + m.name + `: ` + js + `})`)
				}
				absentKey := typeErr
				if m.optional {
					absentKey = returned
				}
				label := p.name + "." + m.name
				add(robustCase{id: f.name + " " + label + " absent", fn: f.name,
					args: with(`(function (o) { delete o.` + m.name + `; return o; })(` + base[idx] + `)`),
					want: absentKey, mention: `"` + m.name + `"`})
				for _, a := range []variant{{"undefined", `undefined`}, {"null", `null`}} {
					add(robustCase{id: f.name + " " + label + " " + a.name, fn: f.name, args: withKey(a.js), want: absentKey,
						mention: `"` + m.name + `"`})
				}
				for _, v := range variantsFor(t, m.ts) {
					add(robustCase{id: f.name + " " + label + " " + v.name, fn: f.name, args: withKey(v.js), want: typeErr,
						mention: `"` + m.name + `"`})
				}
			}
		}
	}
	return cases
}

// TestEveryExportSurvivesBadArguments calls every export declared in index.d.ts with each argument (and each
// option key) missing, undefined, null, of every wrong kind, empty, huge, NaN and Infinity, the rest valid.
// Each call must return or throw exactly as listed, a TypeError must name the function and the argument,
// no message may hold a secret or a Go type name or grow with the input, and nothing may panic in Go
// (before, a missing trailing argument crashed k6 with a nil pointer, exit 2 even inside try/catch). The
// valid calls' results must have the shape index.d.ts declares.
func TestEveryExportSurvivesBadArguments(t *testing.T) {
	d := readDTS(t)
	v := newVU(t, testRoot(), "")
	rt := v.rt.VU.Runtime()
	rt.Set("dir", t.TempDir())
	v.run(robustPrelude)

	cases := robustCases(t, d)
	for id := range expected {
		assert.True(t, slices.ContainsFunc(cases, func(c robustCase) bool { return c.id == id }),
			"expected lists %q, which is no case", id)
	}
	counts := map[outcome]int{}
	for _, c := range cases {
		got, msg, result := callSafely(rt, c.fn, c.args)
		counts[got]++
		call := fmt.Sprintf("%s: valora.%s(%s)", c.id, c.fn, clipJS(strings.Join(c.args, ", ")))
		if got == "panic" {
			t.Errorf("%s panicked in Go: %s", call, msg)
			continue
		}
		if !assert.Equal(t, c.want, got, "%s: %s", call, msg) {
			continue
		}
		assert.NotRegexp(t, `GoError|SECRET|\[\]uint8|\*big\.|int64|float64|map\[|sobek`, msg, call)
		assert.Less(t, len(msg), 700, "%s: the message grows with the input", call)
		if got != returned {
			assert.Contains(t, msg, c.fn+": ", call)
		}
		if got == typeErr && c.mention != "" {
			assert.Contains(t, msg, c.mention, call)
		}
		if got == returned && c.id == c.fn+" valid" {
			checkShape(t, d, c.fn, result, d.fn(c.fn).returns)
		}
	}
	t.Logf("%d calls of %d exports: %v", len(cases), len(d.funcs), counts)
}

// callSafely calls valora[fn](args...) and reports whether it returned, threw a TypeError or another
// Error, or panicked in Go, with the message.
func callSafely(rt *sobek.Runtime, fn string, args []string) (got outcome, msg string, result sobek.Value) {
	defer func() {
		if r := recover(); r != nil {
			got, msg = "panic", fmt.Sprint(r)
		}
	}()
	code := `(function () { try { return {ok: true, value: valora.` + fn + `(` + strings.Join(args, ", ") + `)}; }
		catch (e) { return {ok: false, isTypeError: e instanceof TypeError, isError: e instanceof Error, name: String(e && e.name),
		message: String(e && e.message)}; } })()`
	val, err := rt.RunString(code)
	if err != nil {
		return "panic", "the probe itself failed: " + err.Error(), nil
	}
	res := val.ToObject(rt)
	if res.Get("ok").ToBoolean() {
		return returned, "", res.Get("value")
	}
	msg = res.Get("name").String() + ": " + res.Get("message").String()
	switch {
	case res.Get("isTypeError").ToBoolean():
		return typeErr, msg, nil
	case res.Get("isError").ToBoolean() && res.Get("name").String() == "Error":
		return failed, msg, nil
	}
	return "thrown " + outcome(res.Get("name").String()), msg, nil
}

// checkShape checks a returned value against a TypeScript type of index.d.ts.
func checkShape(t *testing.T, d *dts, fn string, v sobek.Value, ts string) {
	t.Helper()
	switch ts {
	case "void":
		assert.True(t, sobek.IsUndefined(v), "%s returns void, got %v", fn, v)
	case "string":
		assert.True(t, sobek.IsString(v), "%s returns a string, got %v", fn, v)
	case "number":
		assert.True(t, sobek.IsNumber(v), "%s returns a number, got %v", fn, v)
	case "boolean":
		_, isBool := v.Export().(bool)
		assert.True(t, isBool && isPrimitive(v), "%s returns a boolean, got %v", fn, v)
	case "string | null":
		assert.True(t, sobek.IsString(v) || sobek.IsNull(v), "%s returns a string or null, got %v", fn, v)
	case "string[]":
		obj, isObj := v.(*sobek.Object)
		if assert.True(t, isObj && obj.ClassName() == "Array", "%s returns an array, got %v", fn, v) {
			for _, k := range obj.Keys() {
				assert.True(t, sobek.IsString(obj.Get(k)), "%s returns strings, item %s is %v", fn, k, obj.Get(k))
			}
		}
	default:
		if literals := strings.Split(ts, " | "); dtsLiteralRe.MatchString(literals[0]) {
			assert.True(t, sobek.IsString(v) && slices.Contains(literals, strconv.Quote(v.String())),
				"%s returns one of %s, got %v", fn, ts, v)
			return
		}
		members, ok := d.ifaces[ts]
		if !assert.True(t, ok, "%s returns %s, which the shape check does not know", fn, ts) {
			return
		}
		obj, isObj := v.(*sobek.Object)
		if !assert.True(t, isObj, "%s returns a %s object, got %v", fn, ts, v) {
			return
		}
		var want []string
		for _, m := range members {
			want = append(want, m.name)
			checkShape(t, d, fn+"()."+m.name, obj.Get(m.name), m.ts)
		}
		got := obj.Keys()
		slices.Sort(got)
		slices.Sort(want)
		assert.Equal(t, want, got, "keys of what %s returns (%s)", fn, ts)
	}
}

func clipJS(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
