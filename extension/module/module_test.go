package module

import (
	"math/big"
	"os"
	"regexp"
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
)

// vu is one VU's runtime with k6/x/valora imported as `valora`, the way a script imports it.
type vu struct {
	t  testing.TB
	rt *modulestest.Runtime
}

func newVU(t testing.TB, root *RootModule, segment string) *vu {
	t.Helper()
	rt := modulestest.NewRuntime(t)
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

// TestTypesMatchRuntime fails when index.d.ts and the runtime disagree: every declared function is exported
// and every export is declared, and each options interface lists exactly the keys the parser accepts.
func TestTypesMatchRuntime(t *testing.T) {
	src, err := os.ReadFile("../../index.d.ts")
	require.NoError(t, err)
	dts := string(src)

	var declared []string
	for _, m := range regexp.MustCompile(`(?m)^\s*export function (\w+)\(`).FindAllStringSubmatch(dts, -1) {
		declared = append(declared, m[1])
	}
	var exported []string
	for name := range New().NewModuleInstance(newVU(t, New(), "").rt.VU).Exports().Named {
		exported = append(exported, name)
	}
	sort.Strings(declared)
	sort.Strings(exported)
	assert.Equal(t, exported, declared, "index.d.ts functions vs runtime exports")

	for iface, keys := range optionKeys {
		body := regexp.MustCompile(`(?s)export interface ` + iface + ` \{(.*?)\n  \}`).FindStringSubmatch(dts)
		require.NotNil(t, body, "interface %s is not declared in index.d.ts", iface)
		var props []string
		for _, m := range regexp.MustCompile(`(?m)^\s*(\w+)\??:`).FindAllStringSubmatch(body[1], -1) {
			props = append(props, m[1])
		}
		want := slices.Clone(keys)
		sort.Strings(props)
		sort.Strings(want)
		assert.Equal(t, want, props, "keys of %s", iface)
	}
}

func TestInitContextIsRefused(t *testing.T) {
	v := newVU(t, New(), "-")
	msg := v.throws(`valora.snowflake()`)
	assert.Contains(t, msg, "not available in the init context")
	// Pure functions work anywhere, including the init context.
	assert.Len(t, v.str(`valora.hashSessionToken("abc")`), 64)
}

func TestSignStripeVerifiesInGo(t *testing.T) {
	v := newVU(t, New(), "")
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
	v := newVU(t, New(), "")
	cases := map[string][]string{
		`valora.signStripe("x", {secrets: "k"})`:                                     {"TypeError", `unknown option "secrets"`, "secret, timestamp"},
		`valora.signStripe("x", {})`:                                                 {"TypeError", `"secret" is required`},
		`valora.signStripe("x")`:                                                     {"TypeError", "options object is required"},
		`valora.signStripe(42, {secret: "k"})`:                                       {"TypeError", "string or an ArrayBuffer"},
		`valora.signStripe("x", {secret: "k", timestamp: 1.5})`:                      {"TypeError", "whole number"},
		`valora.stripeEvent({type: "charge.failed", customerId: "1"})`:               {"TypeError", "charge.succeeded", "charge.refunded"},
		`valora.stripeEvent({type: "charge.succeeded"})`:                             {"TypeError", `"customerId" is required`},
		`valora.adyenEvent({eventCode: "CAPTURE", customerId: "1"})`:                 {"TypeError", "AUTHORISATION", "OFFER_CLOSED"},
		`valora.providerId("xx")`:                                                    {"TypeError", "evt, ch, pi"},
		`valora.decodeSnowflake(2008111837777760256)`:                                {"TypeError", "decimal string"},
		`valora.idempotencyKey("has space")`:                                         {"TypeError"},
		`valora.barrier("b", 0)`:                                                     {"TypeError", "at least 1"},
		`valora.mintSessions({databaseUrl: "postgres://x", email: "a@b", count: 0})`: {"TypeError", "at least 1"},
		`valora.sessionFromSetCookie(["a=b"])`:                                       {"sessionFromSetCookie"},
	}
	for code, wants := range cases {
		msg := v.throws(code)
		for _, want := range wants {
			assert.Contains(t, msg, want, code)
		}
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	v := newVU(t, New(), "")
	msg := v.throws(`valora.signAdyen('{"notificationItems":[]}', {hmacKey: "zz-not-hex-SECRETVALUE"})`)
	assert.NotContains(t, msg, "SECRETVALUE")
	msg = v.throws(`valora.mintSessions({databaseUrl: "postgres://u:SECRETPW@127.0.0.1:1/db", email: "a@b"})`)
	assert.NotContains(t, msg, "SECRETPW")
}

func TestStripeEvent(t *testing.T) {
	v := newVU(t, New(), "")
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
	v := newVU(t, New(), "")
	const key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	v.run(`var ev = valora.adyenEvent({eventCode: "REFUND", customerId: "77", amount: 300, merchantReference: "a:b\\c"});
	       var signed = valora.signAdyen(ev.body, {hmacKey: "` + key + `"});`)
	assert.True(t, strings.HasSuffix(v.str(`ev.id`), "_REFUND"))
	assert.NoError(t, webhook.VerifyAdyen([]byte(v.str(`signed`)), key))
	assert.Error(t, webhook.VerifyAdyen([]byte(v.str(`ev.body`)), key), "unsigned body must not verify")

	v.run(`var bt = valora.signBraintree("PHhtbC8+", {publicKey: "pub", privateKey: "priv"});`)
	sig := v.str(`bt.signature`)
	assert.True(t, strings.HasPrefix(sig, "pub|"))
	assert.NoError(t, webhook.VerifyBraintree(sig, "PHhtbC8+", "priv"))
	assert.NoError(t, webhook.VerifyBraintreeForm([]byte(v.str(`bt.form`)), "priv"))
}

func TestIDsFollowTheExecutionSegment(t *testing.T) {
	for _, seg := range []string{"", "0:1/3", "1/3:2/3", "2/3:1"} {
		v := newVU(t, New(), seg)
		start := big.NewRat(0, 1)
		if seg != "" {
			start, _ = new(big.Rat).SetString(strings.Split(seg, ":")[0])
		}
		wantNode := ids.NodeForSegment(start)
		assert.Equal(t, wantNode, v.run(`valora.nodeId()`).ToInteger(), seg)
		id := v.str(`valora.snowflake()`)
		parsed, err := ids.ParseID(id)
		require.NoError(t, err)
		assert.Equal(t, wantNode, ids.Decode(parsed).Node)
		assert.Equal(t, wantNode, v.run(`valora.decodeSnowflake("`+id+`").node`).ToInteger())
		assert.InDelta(t, time.Now().UnixMilli(), v.run(`valora.decodeSnowflake("`+id+`").time`).ToInteger(), 5000)
	}
	v := newVU(t, New(), "")
	assert.Equal(t, int64(10), v.run(`valora.instanceShare(10)`).ToInteger(), "an unsplit test runs everything")
	assert.Regexp(t, `^k6-[0-9a-z]+$`, v.str(`valora.idempotencyKey()`))
	assert.Regexp(t, `^burst-[0-9a-z]+$`, v.str(`valora.idempotencyKey("burst")`))
	for _, kind := range ids.ProviderKinds {
		assert.Regexp(t, `^`+kind+`_[0-9A-Za-z]{24}$`, v.str(`valora.providerId("`+kind+`")`))
	}
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
		root := New()
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
				v := newVU(t, New(), seg)
				seq, err := lib.NewExecutionSegmentSequenceFromString(tc.sequence)
				require.NoError(t, err)
				v.rt.VU.StateField.Options.ExecutionSegmentSequence = &seq
				sum += v.run(`valora.instanceShare(` + itoa(int(total)) + `)`).ToInteger()
			}
			assert.Equal(t, total, sum, "%s split of %d", tc.sequence, total)
		}
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestSharedStateAcrossVUs(t *testing.T) {
	root := New()
	a, b := newVU(t, root, ""), newVU(t, root, "")
	other := newVU(t, New(), "") // another k6 process shares nothing

	assert.True(t, a.run(`valora.firstSeen("ids", "2008111839082188800")`).ToBoolean())
	assert.False(t, b.run(`valora.firstSeen("ids", "2008111839082188800")`).ToBoolean())
	assert.True(t, b.run(`valora.firstSeen("keys", "2008111839082188800")`).ToBoolean(), "sets are independent")
	assert.True(t, a.run(`valora.firstSeen("ids", "007")`).ToBoolean())
	assert.True(t, a.run(`valora.firstSeen("ids", "7")`).ToBoolean(), `"007" and "7" are different values`)
	assert.False(t, b.run(`valora.firstSeen("ids", "007")`).ToBoolean())
	assert.Equal(t, int64(3), b.run(`valora.setSize("ids")`).ToInteger())
	assert.True(t, other.run(`valora.firstSeen("ids", "2008111839082188800")`).ToBoolean())

	assert.Equal(t, "first", a.str(`valora.agree("record", "first")`))
	assert.Equal(t, "first", b.str(`valora.agree("record", "second")`))
}

func TestBarrierReleasesTogether(t *testing.T) {
	root := New()
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
}

func TestSessionHelpers(t *testing.T) {
	v := newVU(t, New(), "")
	assert.Equal(t, session.HashToken("tok"), v.str(`valora.hashSessionToken("  tok ")`))
	assert.Equal(t, "abc", v.str(`valora.sessionFromSetCookie("_sid=abc; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax")`))
	assert.Contains(t, v.throws(`valora.sessionFromSetCookie("_sid=; Path=/; Max-Age=0")`), "sessionFromSetCookie")
}
