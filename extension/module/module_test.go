package module

import (
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/v2/js/modulestest"
	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/metrics"

	"github.com/valora-k6/valora-k6/extension/ids"
	"github.com/valora-k6/valora-k6/extension/session"
	"github.com/valora-k6/valora-k6/extension/webhook"
	"github.com/valora-k6/valora-k6/valoraid"
)

// testRoot is a root module that leaves the test binary's signal handling alone: tests that need signals
// start a child process (TestRunStatusSeesSignals).
func testRoot() *RootModule {
	return newRoot(func(chan<- os.Signal, ...os.Signal) {})
}

// vu is one VU's runtime with k6/x/valora imported as `valora`, the way a script imports it.
type vu struct {
	t  testing.TB
	rt *modulestest.Runtime
}

// newVU makes a VU of root. segment "" is an unsegmented test, "-" stays in the init context, anything else
// is an execution segment such as "0:1/3".
func newVU(t testing.TB, root *RootModule, segment string) *vu {
	t.Helper()
	return newVUWith(t, root, segment, "")
}

// newVUWith also sets the execution segment sequence ("" for none).
func newVUWith(t testing.TB, root *RootModule, segment, sequence string) *vu {
	t.Helper()
	return newVUFull(t, root, segment, sequence, nil)
}

// newVUFull also lets init change the VU's init environment before the module is imported.
func newVUFull(t testing.TB, root *RootModule, segment, sequence string, init func(*modulestest.Runtime)) *vu {
	t.Helper()
	rt := modulestest.NewRuntime(t)
	if init != nil {
		init(rt)
	}
	require.NoError(t, rt.SetupModuleSystem(map[string]any{ImportPath: root}, nil, nil))
	_, err := rt.VU.Runtime().RunString(`var valora = require("` + ImportPath + `");`)
	require.NoError(t, err)
	if segment != "-" {
		state := &lib.State{Tags: lib.NewVUStateTags(metrics.NewRegistry().RootTagSet())}
		if segment != "" {
			seg, err := lib.NewExecutionSegmentFromString(segment)
			require.NoError(t, err)
			state.Options.ExecutionSegment = seg
		}
		if sequence != "" {
			seq, err := lib.NewExecutionSegmentSequenceFromString(sequence)
			require.NoError(t, err)
			state.Options.ExecutionSegmentSequence = &seq
		}
		rt.MoveToVUContext(state)
	}
	return &vu{t: t, rt: rt}
}

func (v *vu) run(code string) sobek.Value {
	v.t.Helper()
	val, err := v.rt.VU.Runtime().RunString(code)
	require.NoError(v.t, err, code)
	return val
}

func (v *vu) str(code string) string {
	v.t.Helper()
	return v.run(code).String()
}

// throws runs code that must throw, and returns the thrown message.
func (v *vu) throws(code string) string {
	v.t.Helper()
	_, err := v.rt.VU.Runtime().RunString(code)
	require.Error(v.t, err, "expected %s to throw", code)
	return err.Error()
}

func TestInitContextIsRefused(t *testing.T) {
	v := newVU(t, testRoot(), "-")
	msg := v.throws(`valora.snowflake()`)
	assert.Contains(t, msg, "not available in the init context")
	assert.NotContains(t, msg, "GoError")
	// Pure functions, the shared registries, runStatus and the file functions work anywhere, including the
	// init context (the scenarios create REPORT_DIR there).
	assert.Len(t, v.str(`valora.hashSessionToken("abc")`), 64)
	assert.Equal(t, int64(1), v.run(`valora.count("init", 1)`).ToInteger())
	assert.False(t, v.run(`valora.runStatus().interrupted`).ToBoolean())
	dir := filepath.Join(t.TempDir(), "reports", "deep")
	v.rt.VU.Runtime().Set("dir", dir)
	v.run(`valora.ensureDir(dir)`)
	assert.DirExists(t, dir)
}

func TestSignStripeVerifiesInGo(t *testing.T) {
	v := newVU(t, testRoot(), "")
	v.run(`
		var body = JSON.stringify({id: "evt_1", type: "charge.succeeded", note: "ünïcode"});
		var sig = valora.signStripe(body, {secret: ["whsec_a", "whsec_b"], timestamp: 1700000000});
	`)
	body := v.str(`body`)
	header := v.str(`sig.header`)
	assert.Equal(t, int64(1700000000), v.run(`sig.timestamp`).ToInteger())
	assert.Equal(t, v.str(`sig.signatures[0]`), v.str(`sig.signature`))
	assert.Equal(t, "2", v.str(`sig.signatures.length`))
	assert.Equal(t, webhook.StripeSignature("whsec_a", 1700000000, []byte(body)), v.str(`sig.signature`))
	for _, secret := range []string{"whsec_a", "whsec_b"} {
		assert.NoError(t, webhook.VerifyStripe([]byte(body), header, []string{secret}, webhook.StripeVerifyOptions{}))
	}
	assert.Error(t, webhook.VerifyStripe([]byte(body), header, []string{"whsec_c"}, webhook.StripeVerifyOptions{}))

	// The header-only form gives the same header.
	assert.Equal(t, header, v.str(`valora.stripeSignatureHeader(body, ["whsec_a", "whsec_b"], 1700000000)`))
	assert.Equal(t, "t=1700000000,v1="+webhook.StripeSignature("k", 1700000000, []byte(body)),
		v.str(`valora.stripeSignatureHeader(body, "k", 1700000000)`))
	assert.Contains(t, v.throws(`valora.stripeSignatureHeader(body, 42)`), "TypeError")
	assert.Contains(t, v.throws(`valora.stripeSignatureHeader(body, "")`), "stripeSignatureHeader")

	// The timestamp defaults to now.
	now := v.run(`valora.signStripe("x", {secret: "whsec_a"}).timestamp`).ToInteger()
	assert.InDelta(t, time.Now().Unix(), now, 5)

	// An ArrayBuffer is signed byte for byte, including bytes that are not valid UTF-8.
	v.run(`var buf = new Uint8Array([0xff, 0x00, 0x7b]).buffer;`)
	assert.Equal(t, webhook.StripeSignature("k", 1, []byte{0xff, 0x00, 0x7b}),
		v.str(`valora.signStripe(buf, {secret: "k", timestamp: 1}).signature`))
}

func TestArgumentErrors(t *testing.T) {
	v := newVU(t, testRoot(), "")
	cases := map[string][]string{
		`valora.signStripe("x", {secrets: "k"})`:                                     {"TypeError", `unknown option "secrets"`, "secret, timestamp"},
		`valora.signStripe("x", {})`:                                                 {"TypeError", `"secret" is required`},
		`valora.signStripe("x")`:                                                     {"TypeError", "options object is required"},
		`valora.signStripe(42, {secret: "k"})`:                                       {"TypeError", "string or an ArrayBuffer"},
		`valora.signStripe("x", {secret: "k", timestamp: 1.5})`:                      {"TypeError", "whole number"},
		`valora.signStripe("x", {secret: "k", timestamp: -1})`:                       {"TypeError", `option "timestamp" must be at least 1`},
		`valora.stripeSignatureHeader("x", "k", -1700000000)`:                        {"TypeError", `argument "timestamp" must be at least 1`},
		`valora.stripeEvent({type: "charge.failed", customerId: "1"})`:               {"TypeError", "charge.succeeded", "charge.refunded"},
		`valora.stripeEvent({type: "charge.succeeded"})`:                             {"TypeError", `"customerId" is required`},
		`valora.stripeEvent({type: "charge.succeeded", customerId: "1", amount: 0})`: {"TypeError", `option "amount" must be at least 1`},
		`valora.stripeEvent({type: "charge.succeeded", customerId: "1", id: "x"})`:   {"TypeError", `option "id" must be "evt_"`},
		`valora.adyenEvent({eventCode: "CAPTURE", customerId: "1"})`:                 {"TypeError", "AUTHORISATION", "OFFER_CLOSED"},
		`valora.adyenEvent({eventCode: "REFUND", customerId: "1", eventDate: "x"})`:  {"TypeError", `option "eventDate" must be an RFC 3339 date`},
		`valora.providerId("xx")`:                                                    {"TypeError", "evt, ch, pi"},
		`valora.decodeSnowflake(2008111837777760256)`:                                {"TypeError", "decimal string"},
		`valora.idempotencyKey("has space")`:                                         {"TypeError"},
		`valora.barrier("b", 0)`:                                                     {"TypeError", "at least 1"},
		`valora.barrier("b", 1, Infinity)`:                                           {"TypeError", `"timeoutSeconds"`, "at most 86400"},
		`valora.barrier("b", 1, 1e300)`:                                              {"TypeError", `"timeoutSeconds"`},
		`valora.mintSessions({databaseUrl: "postgres://x", email: "a@b", count: 0})`: {"TypeError", "at least 1"},
		`valora.sessionFromSetCookie(["a=b"])`:                                       {"TypeError", "sessionFromSetCookie", "no _sid cookie"},
		`valora.hashSessionToken("")`:                                                {"TypeError", `argument "token" must not be blank`},
		`valora.hashSessionToken("  ")`:                                              {"TypeError", `argument "token" must not be blank`},
		`valora.snowflake(1)`:                                                        {"TypeError", "snowflake: takes at most 0 arguments"},
		`valora.firstSeen("", "v")`:                                                  {"TypeError", `argument "set" must not be empty`},
		`valora.count("c", 0.5)`:                                                     {"TypeError", `argument "delta" must be a whole number`},
		`valora.writeFile("", "x")`:                                                  {"TypeError", `argument "path"`},
		`valora.writeFile("x", "x", 0o4755)`:                                         {"TypeError", `argument "mode" must be at most 511`},
		`valora.signStripe(new Uint8Array(2), {secret: "k"})`:                        {"TypeError", "got an instance of Uint8Array"},
		`valora.signStripe("x", {secret: [1]})`:                                      {"TypeError", "item 0 is a number"},
		`valora.instanceShare(10n)`:                                                  {"TypeError", "got a bigint"},
		`valora.stripeSignatureHeader("x", new Array(4294967295))`:                   {"TypeError", "at most 100000 strings"},
		`valora.revokeSessions({databaseUrl: "postgres://x", tokens: [1]})`:          {"TypeError", `option "tokens" must hold only strings; item 0 is a number`},
		`valora.signAdyen('{"notificationItems":[{"NotificationRequestItem":{"amount":{"value":"1"}}}]}', {hmacKey: "00"})`: {
			"TypeError", `argument "payload"`, "amount.value is a JSON string, it must be a number"},
	}
	for code, wants := range cases {
		msg := v.throws(code)
		for _, want := range wants {
			assert.Contains(t, msg, want, code)
		}
		assert.NotRegexp(t, `GoError|\[\]uint8|\*big\.|int64|float64|map\[`, msg, code)
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	v := newVU(t, testRoot(), "")
	msg := v.throws(`valora.signAdyen('{"notificationItems":[]}', {hmacKey: "zz-not-hex-SECRETVALUE"})`)
	assert.NotContains(t, msg, "SECRETVALUE")
	msg = v.throws(`valora.signAdyen('{"notificationItems":[{}]}', {hmacKey: "zz-not-hex-SECRETVALUE"})`)
	assert.Contains(t, msg, `option "hmacKey"`)
	assert.NotContains(t, msg, "SECRETVALUE")
	msg = v.throws(`valora.mintSessions({databaseUrl: "postgres://u:SECRETPW@127.0.0.1:1/db", email: "a@b"})`)
	assert.NotContains(t, msg, "SECRETPW")
	msg = v.throws(`valora.mintSessions({databaseUrl: "postgres://u:SECRETPW@127.0.0.1:notaport/db", email: "a@b"})`)
	assert.Contains(t, msg, "TypeError")
	assert.NotContains(t, msg, "SECRETPW")
	msg = v.throws(`valora.sessionFromSetCookie("_sid=SECRETTOKEN; Path=/; Max-Age=0")`)
	assert.Contains(t, msg, "cleared")
	assert.NotContains(t, msg, "SECRETTOKEN")
}

func TestStripeEvent(t *testing.T) {
	v := newVU(t, testRoot(), "")
	v.run(`var ev = valora.stripeEvent({type: "payment_intent.succeeded", customerId: "2008111839082188800", amount: 2500, currency: "eur"});
	       var obj = JSON.parse(ev.body);`)
	assert.True(t, strings.HasPrefix(v.str(`ev.id`), "evt_"))
	assert.Equal(t, v.str(`ev.id`), v.str(`obj.id`))
	assert.Equal(t, "event", v.str(`obj.object`))
	assert.Equal(t, "payment_intent.succeeded", v.str(`ev.type`))
	assert.True(t, strings.HasPrefix(v.str(`obj.data.object.id`), "pi_"))
	assert.Equal(t, "2008111839082188800", v.str(`obj.data.object.metadata.customer_id`))
	assert.Equal(t, "2500", v.str(`obj.data.object.amount`))
	assert.Equal(t, "eur", v.str(`obj.data.object.currency`))
	assert.InDelta(t, time.Now().Unix(), v.run(`obj.created`).ToInteger(), 5)
	assert.NotEqual(t, v.str(`ev.id`), v.str(`valora.stripeEvent({type: "charge.refunded", customerId: "1"}).id`))
	assert.True(t, strings.HasPrefix(v.str(`JSON.parse(valora.stripeEvent({type: "charge.refunded", customerId: "1"}).body).data.object.id`), "ch_"))
}

func TestAdyenAndBraintreeVerifyInGo(t *testing.T) {
	v := newVU(t, testRoot(), "")
	const key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	v.run(`var ev = valora.adyenEvent({eventCode: "REFUND", customerId: "77", amount: 300, merchantReference: "a:b\\c"});
	       var signed = valora.signAdyen(ev.body, {hmacKey: "` + key + `"});`)
	assert.True(t, strings.HasSuffix(v.str(`ev.id`), "_REFUND"))
	assert.Regexp(t, `^[0-9A-Z]{26}_REFUND$`, v.str(`ev.id`))
	assert.NoError(t, webhook.VerifyAdyen([]byte(v.str(`signed`)), key))
	assert.Error(t, webhook.VerifyAdyen([]byte(v.str(`ev.body`)), key), "unsigned body must not verify")

	v.run(`var bt = valora.signBraintree("PHhtbC8+", {publicKey: "pub", privateKey: "priv"});`)
	sig := v.str(`bt.signature`)
	assert.True(t, strings.HasPrefix(sig, "pub|"))
	assert.NoError(t, webhook.VerifyBraintree(sig, "PHhtbC8+", "priv"))
	assert.NoError(t, webhook.VerifyBraintreeForm([]byte(v.str(`bt.form`)), "priv"))
}

// TestIDsFollowTheExecutionSegment: a split run takes its node from the segment (by its index when the
// sequence is known, by its start otherwise); an unsplit one draws it at random, never Valora's node 1.
func TestIDsFollowTheExecutionSegment(t *testing.T) {
	for _, tc := range []struct {
		segment, sequence string
		want              int64 // 0: random
	}{
		{"", "", 0},
		{"0:1", "", 0},
		{"0:1/3", "", ids.NodeForSegment(big.NewRat(0, 1))},
		{"1/3:2/3", "", ids.NodeForSegment(big.NewRat(1, 3))},
		{"2/3:1", "", ids.NodeForSegment(big.NewRat(2, 3))},
		{"1/3:2/3", "0,1/3,2/3,1", 3},
		{"1/2000:2/2000", "0,1/2000,2/2000,1", 3}, // the start formula would give node 2 to both of the first two
		{"2/2000:1", "0,1/2000,2/2000,1", 4},
	} {
		v := newVUWith(t, testRoot(), tc.segment, tc.sequence)
		node := v.run(`valora.nodeId()`).ToInteger()
		if tc.want == 0 {
			assert.True(t, node >= 2 && node <= valoraid.MaxNode, "unsegmented node %d", node)
		} else {
			assert.Equal(t, tc.want, node, "%s in %s", tc.segment, tc.sequence)
		}
		id := v.str(`valora.snowflake()`)
		parsed, err := ids.ParseID(id)
		require.NoError(t, err)
		assert.Equal(t, node, valoraid.Decode(parsed).Node)
		assert.Equal(t, node, v.run(`valora.decodeSnowflake("`+id+`").node`).ToInteger())
		assert.InDelta(t, time.Now().UnixMilli(), v.run(`valora.decodeSnowflake("`+id+`").time`).ToInteger(), 5000)
	}
	v := newVU(t, testRoot(), "")
	assert.Equal(t, int64(10), v.run(`valora.instanceShare(10)`).ToInteger(), "an unsplit test runs everything")
	assert.Regexp(t, `^k6-[0-9a-z]{13}[0-9a-z]+$`, v.str(`valora.idempotencyKey()`))
	assert.Regexp(t, `^burst-[0-9a-z]+$`, v.str(`valora.idempotencyKey("burst")`))
	assert.Regexp(t, `^k6-[0-9a-z]+$`, v.str(`valora.idempotencyKey("")`), "an empty prefix is the default")
	for _, kind := range ids.ProviderKinds {
		assert.Regexp(t, `^`+kind+`_[0-9A-Za-z]{24}$`, v.str(`valora.providerId("`+kind+`")`))
	}
	// Every key of one process shares the run id; another process has another one.
	a, b := v.str(`valora.idempotencyKey("k")`), v.str(`valora.idempotencyKey("k")`)
	other := newVU(t, testRoot(), "").str(`valora.idempotencyKey("k")`)
	assert.Equal(t, a[:2+13], b[:2+13])
	assert.NotEqual(t, a[:2+13], other[:2+13])
}

// TestIDsUniqueAcrossVUsAndInstances runs many VUs per instance, three instances split like a distributed run,
// every VU drawing ids, keys and provider ids concurrently, and finds no duplicate anywhere.
func TestIDsUniqueAcrossVUsAndInstances(t *testing.T) {
	const vusPerInstance, perVU = 6, 3000
	segments := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	var (
		mu   sync.Mutex
		seen = make(map[string]struct{})
		wg   sync.WaitGroup
	)
	for _, seg := range segments {
		root := testRoot()
		for range vusPerInstance {
			v := newVU(t, root, seg)
			wg.Add(1)
			go func() {
				defer wg.Done()
				val, err := v.rt.VU.Runtime().RunString(`
					var out = [];
					for (var i = 0; i < ` + itoa(perVU) + `; i++) {
						out.push(valora.snowflake(), valora.idempotencyKey(), valora.providerId("evt"));
					}
					out;`)
				if !assert.NoError(t, err) {
					return
				}
				var got []string
				require.NoError(t, v.rt.VU.Runtime().ExportTo(val, &got))
				mu.Lock()
				defer mu.Unlock()
				for _, s := range got {
					if _, dup := seen[s]; dup {
						t.Errorf("duplicate id %s", s)
					}
					seen[s] = struct{}{}
				}
			}()
		}
	}
	wg.Wait()
	assert.Len(t, seen, len(segments)*vusPerInstance*perVU*3)
}

// TestInstanceShareMatchesTheSplit: the shares of the instances of a run add up to the total, as k6 splits VUs.
func TestInstanceShareMatchesTheSplit(t *testing.T) {
	for _, tc := range []struct {
		sequence string
		segments []string
	}{
		{"0,1/3,2/3,1", []string{"0:1/3", "1/3:2/3", "2/3:1"}},
		{"0,1/4,1/2,1", []string{"0:1/4", "1/4:1/2", "1/2:1"}},
	} {
		for _, total := range []int64{1, 2, 7, 10, 30} {
			var sum int64
			for _, seg := range tc.segments {
				v := newVUWith(t, testRoot(), seg, tc.sequence)
				sum += v.run(`valora.instanceShare(` + itoa(int(total)) + `)`).ToInteger()
			}
			assert.Equal(t, total, sum, "%s split of %d", tc.sequence, total)
		}
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestSharedStateAcrossVUs(t *testing.T) {
	root := testRoot()
	a, b := newVU(t, root, ""), newVU(t, root, "")
	other := newVU(t, testRoot(), "") // another k6 process shares nothing

	assert.False(t, a.run(`valora.seen("ids", "2008111839082188800")`).ToBoolean(), "nothing offered yet")
	assert.Equal(t, int64(0), a.run(`valora.setSize("ids")`).ToInteger(), "seen adds nothing")
	assert.True(t, a.run(`valora.firstSeen("ids", "2008111839082188800")`).ToBoolean())
	assert.False(t, b.run(`valora.firstSeen("ids", "2008111839082188800")`).ToBoolean())
	assert.True(t, b.run(`valora.seen("ids", "2008111839082188800")`).ToBoolean())
	assert.True(t, b.run(`valora.firstSeen("keys", "2008111839082188800")`).ToBoolean(), "sets are independent")
	assert.True(t, a.run(`valora.firstSeen("ids", "007")`).ToBoolean())
	assert.True(t, a.run(`valora.firstSeen("ids", "7")`).ToBoolean(), `"007" and "7" are different values`)
	assert.False(t, b.run(`valora.firstSeen("ids", "007")`).ToBoolean())
	assert.True(t, b.run(`valora.seen("ids", "007")`).ToBoolean())
	assert.False(t, b.run(`valora.seen("ids", "0007")`).ToBoolean())
	assert.False(t, b.run(`valora.seen("ids", "")`).ToBoolean())
	assert.Equal(t, int64(3), b.run(`valora.setSize("ids")`).ToInteger())
	assert.True(t, other.run(`valora.firstSeen("ids", "2008111839082188800")`).ToBoolean())
	assert.False(t, other.run(`valora.seen("keys", "2008111839082188800")`).ToBoolean())

	assert.Equal(t, "first", a.str(`valora.agree("record", "first")`))
	assert.Equal(t, "first", b.str(`valora.agree("record", "second")`))

	assert.Equal(t, int64(0), a.run(`valora.count("hits")`).ToInteger(), "reading makes nothing")
	assert.Equal(t, int64(2), a.run(`valora.count("hits", 2)`).ToInteger())
	assert.Equal(t, int64(-1), b.run(`valora.count("hits", -3)`).ToInteger())
	assert.Equal(t, int64(-1), b.run(`valora.count("hits", 0)`).ToInteger())
	assert.Equal(t, int64(0), other.run(`valora.count("hits")`).ToInteger())
	a.run(`valora.count("big", 9007199254740991)`)
	assert.Contains(t, a.throws(`valora.count("big", 1)`), `argument "delta"`)
	assert.Equal(t, int64(9007199254740991), a.run(`valora.count("big")`).ToInteger(), "a refused add changes nothing")
}

// TestCountIsAtomic: VUs adding concurrently lose no increment.
func TestCountIsAtomic(t *testing.T) {
	root := testRoot()
	const vus, adds = 8, 2000
	var wg sync.WaitGroup
	for range vus {
		v := newVU(t, root, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.rt.VU.Runtime().RunString(`for (var i = 0; i < ` + itoa(adds) + `; i++) { valora.count("n", 1); valora.firstSeen("s", "v" + (i % 50)); }`)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	v := newVU(t, root, "")
	assert.Equal(t, int64(vus*adds), v.run(`valora.count("n")`).ToInteger())
	assert.Equal(t, int64(50), v.run(`valora.setSize("s")`).ToInteger())
}

func TestBarrierReleasesTogether(t *testing.T) {
	root := testRoot()
	const parties = 5
	vus := make([]*vu, parties)
	for i := range vus {
		vus[i] = newVU(t, root, "")
	}
	// Generations: the barrier is reusable, and a lone caller times out.
	for gen := range 2 {
		var wg sync.WaitGroup
		released := make([]time.Time, parties)
		for i, v := range vus {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i*20) * time.Millisecond) // arrive one after another
				ok, err := v.rt.VU.Runtime().RunString(`valora.barrier("start", 5, 5)`)
				assert.NoError(t, err)
				assert.True(t, ok.ToBoolean(), "generation %d", gen)
				released[i] = time.Now()
			}()
		}
		wg.Wait()
		sort.Slice(released, func(i, j int) bool { return released[i].Before(released[j]) })
		// The first arrived ~80 ms before the last; all leave within a few ms of each other.
		assert.Less(t, released[parties-1].Sub(released[0]), 40*time.Millisecond)
	}
	start := time.Now()
	assert.False(t, vus[0].run(`valora.barrier("start", 5, 0.1)`).ToBoolean())
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.Contains(t, vus[1].throws(`valora.barrier("start", 4)`), "created for 5 parties")
	// Infinity once overflowed into no wait at all; now it is refused before anything waits.
	start = time.Now()
	assert.Contains(t, vus[1].throws(`valora.barrier("start", 5, Infinity)`), "TypeError")
	assert.Less(t, time.Since(start), 50*time.Millisecond)
	assert.True(t, vus[1].run(`valora.barrier("alone", 1, 86400)`).ToBoolean(), "the longest timeout is accepted")
}

func TestSessionHelpers(t *testing.T) {
	v := newVU(t, testRoot(), "")
	assert.Equal(t, session.HashToken("tok"), v.str(`valora.hashSessionToken("  tok ")`))
	assert.Equal(t, "abc", v.str(`valora.sessionFromSetCookie("_sid=abc; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax")`))
	assert.Contains(t, v.throws(`valora.sessionFromSetCookie("_sid=; Path=/; Max-Age=0")`), "sessionFromSetCookie")
	assert.Contains(t, v.throws(`valora.sessionFromSetCookie("")`), "TypeError")
}

// TestExportsAreFunctionsNamedAfterThemselves: each export reads as the same function every time, with the
// export's name and its number of required arguments, and the exports object cannot be changed.
func TestExportsAreFunctionsNamedAfterThemselves(t *testing.T) {
	v := newVU(t, testRoot(), "")
	for _, e := range exportTable {
		assert.Equal(t, e.name, v.str(`valora.`+e.name+`.name`))
		assert.Equal(t, int64(e.required()), v.run(`valora.`+e.name+`.length`).ToInteger(), e.name)
		assert.True(t, v.run(`valora.`+e.name+` === valora.`+e.name).ToBoolean(), e.name)
	}
	assert.True(t, v.run(`"signStripe" in valora && !("nope" in valora)`).ToBoolean())
	assert.Equal(t, "undefined", v.str(`typeof valora.nope`))
	v.run(`valora.signStripe = null;`)
	assert.Equal(t, "function", v.str(`typeof valora.signStripe`), "exports are read-only")
	keys := strings.Split(v.str(`Object.keys(valora).join(",")`), ",")
	assert.Len(t, keys, len(exportTable))
	assert.True(t, slices.Contains(keys, "runStatus"))
}

// Golden Braintree vector for signBraintree, computed outside this code base at development time, the way
// Valora verifies Braintree (HMAC-SHA256 keyed with the private key as it is, over bt_payload, lowercase hex;
// not the SHA-1 scheme of Braintree's SDKs):
//
//	XML='<notification><kind>transaction_settled</kind><subject><transaction><id>k6tx1</id><customer-id>2008111839082188800</customer-id><amount>10.00</amount><currency-iso-code>USD</currency-iso-code></transaction></subject></notification>'
//	P=$(printf '%s' "$XML" | base64 -w0)
//	printf '%s' "$P" | openssl dgst -sha256 -hmac 'bt_private_key_k6'
//	python3 -c 'import sys, urllib.parse as u; p, s = sys.argv[1:]; print("bt_signature=" + u.quote_plus("bt_public_k6|" + s) + "&bt_payload=" + u.quote_plus(p))' "$P" <hmac>
//
// A signer that is wrong but agrees with its own verifier fails here.
const (
	btGoldenPayload = "PG5vdGlmaWNhdGlvbj48a2luZD50cmFuc2FjdGlvbl9zZXR0bGVkPC9raW5kPjxzdWJqZWN0Pjx0cmFuc2FjdGlvbj48aWQ+azZ0eDE8L2lkPjxjdXN0b21lci1pZD4yMDA4MTExODM5MDgyMTg4ODAwPC9jdXN0b21lci1pZD48YW1vdW50PjEwLjAwPC9hbW91bnQ+PGN1cnJlbmN5LWlzby1jb2RlPlVTRDwvY3VycmVuY3ktaXNvLWNvZGU+PC90cmFuc2FjdGlvbj48L3N1YmplY3Q+PC9ub3RpZmljYXRpb24+"
	btGoldenHMAC    = "e12a1e5f582cb17966aadd8f50ad00282101e553099fcfb8d3516a70b6c85416"
	btGoldenForm    = "bt_signature=bt_public_k6%7Ce12a1e5f582cb17966aadd8f50ad00282101e553099fcfb8d3516a70b6c85416&bt_payload=PG5vdGlmaWNhdGlvbj48a2luZD50cmFuc2FjdGlvbl9zZXR0bGVkPC9raW5kPjxzdWJqZWN0Pjx0cmFuc2FjdGlvbj48aWQ%2BazZ0eDE8L2lkPjxjdXN0b21lci1pZD4yMDA4MTExODM5MDgyMTg4ODAwPC9jdXN0b21lci1pZD48YW1vdW50PjEwLjAwPC9hbW91bnQ%2BPGN1cnJlbmN5LWlzby1jb2RlPlVTRDwvY3VycmVuY3ktaXNvLWNvZGU%2BPC90cmFuc2FjdGlvbj48L3N1YmplY3Q%2BPC9ub3RpZmljYXRpb24%2B"
)

func TestSignBraintreeGolden(t *testing.T) {
	v := newVU(t, testRoot(), "")
	v.run(`var bt = valora.signBraintree("` + btGoldenPayload + `", {publicKey: "bt_public_k6", privateKey: "bt_private_key_k6"});`)
	assert.Equal(t, "bt_public_k6|"+btGoldenHMAC, v.str(`bt.signature`))
	assert.Equal(t, btGoldenForm, v.str(`bt.form`))
}

func TestFiles(t *testing.T) {
	v := newVU(t, testRoot(), "")
	dir := t.TempDir()
	v.rt.VU.Runtime().Set("dir", dir)
	v.run(`valora.ensureDir(dir + "/reports/run-1")`)
	assert.DirExists(t, filepath.Join(dir, "reports", "run-1"))

	assert.True(t, sobek.IsNull(v.run(`valora.readFile(dir + "/reports/env")`)), "no file: null")
	v.run(`valora.writeFile(dir + "/reports/env", "API_KEY=x\n")`)
	info, err := os.Stat(filepath.Join(dir, "reports", "env"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "default mode")
	assert.Equal(t, "API_KEY=x\n", v.str(`valora.readFile(dir + "/reports/env")`))

	v.run(`valora.writeFile(dir + "/reports/env", new Uint8Array([0x68, 0x69]).buffer, 0o644)`)
	info, err = os.Stat(filepath.Join(dir, "reports", "env"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())
	assert.Equal(t, "hi", v.str(`valora.readFile(dir + "/reports/env")`))

	msg := v.throws(`valora.writeFile(dir + "/missing/report.json", "{}")`)
	assert.Contains(t, msg, "writeFile: ")
	assert.Contains(t, msg, filepath.Join(dir, "missing"))
	assert.NotContains(t, msg, "TypeError", "the OS refused: an Error")
	assert.NoDirExists(t, filepath.Join(dir, "missing"), "never creates the directory silently")

	msg = v.throws(`valora.readFile(dir + "/reports")`)
	assert.Contains(t, msg, "readFile: ")
	assert.Contains(t, msg, "is a directory")

	// Relative paths are relative to the process's working directory.
	t.Chdir(dir)
	v.run(`valora.writeFile("reports/rel.txt", "rel")`)
	assert.FileExists(t, filepath.Join(dir, "reports", "rel.txt"))
}
