package standin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v86/webhook"
)

func hmacHex(key, msg string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(msg))
	return hex.EncodeToString(mac.Sum(nil))
}

// The golden values below were computed with openssl (`openssl dgst -sha256 -mac HMAC …`), or come from Adyen's
// documentation, not from any code in this repository.

func TestStripeSignatureGolden(t *testing.T) {
	payload := []byte(`{"id":"evt_golden","type":"charge.succeeded"}`)
	const want = "3c2b729ccab8e33502f472b31ab799d71bcba9ecdd2aa7e0bd81c777c24492ff"
	if got := stripeSignature("whsec_golden_secret", "1700000000", payload); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if !verifyStripeSignature(payload, "t=1700000000,v1="+want, "whsec_golden_secret") {
		t.Fatal("the golden header does not verify")
	}
}

// TestStripeVerifierAgreesWithStripeGo cross-checks the stand-in's Stripe verifier against stripe-go's webhook
// package, an independent implementation, on headers both must judge alike (tolerance off, as in Valora), then
// pins the cases where Valora's parsing differs from Stripe's own.
func TestStripeVerifierAgreesWithStripeGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		secret := fmt.Sprintf("whsec_%x", rng.Uint64())
		payload := []byte(fmt.Sprintf(`{"id":"evt_%d","amount":%d,"note":"%s"}`, i, rng.IntN(100000), strings.Repeat("x", rng.IntN(300))))
		ts := int64(1500000000 + rng.IntN(400000000))
		signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Unix(ts, 0)})
		sig := hex.EncodeToString(signed.Signature)
		other := hex.EncodeToString(stripewebhook.ComputeSignature(time.Unix(ts, 0), payload, "whsec_other"))
		tsStr := strconv.FormatInt(ts, 10)
		tampered := append(append([]byte(nil), payload...), ' ')

		for _, tc := range []struct {
			name    string
			payload []byte
			header  string
		}{
			{"stripe-go's header", payload, signed.Header},
			{"rotation, match second", payload, "t=" + tsStr + ",v1=" + other + ",v1=" + sig},
			{"rotation, match first", payload, "t=" + tsStr + ",v1=" + sig + ",v1=" + other},
			{"with v0", payload, "t=" + tsStr + ",v0=" + other + ",v1=" + sig},
			{"unknown key", payload, "t=" + tsStr + ",v1=" + sig + ",scheme=x"},
			{"v1 first", payload, "v1=" + sig + ",t=" + tsStr},
			{"wrong secret", payload, "t=" + tsStr + ",v1=" + other},
			{"tampered body", tampered, signed.Header},
			{"other timestamp", payload, "t=" + strconv.FormatInt(ts+1, 10) + ",v1=" + sig},
			{"v0 only", payload, "t=" + tsStr + ",v0=" + sig},
			{"no v1", payload, "t=" + tsStr},
			{"no t", payload, "v1=" + sig},
			{"empty", payload, ""},
			{"truncated signature", payload, "t=" + tsStr + ",v1=" + sig[:63]},
		} {
			ours := verifyStripeSignature(tc.payload, tc.header, secret)
			theirs := stripewebhook.ValidatePayloadIgnoringTolerance(tc.payload, tc.header, secret) == nil
			if ours != theirs {
				t.Fatalf("%s (%q): stand-in says %v, stripe-go says %v", tc.name, tc.header, ours, theirs)
			}
		}
	}

	// Where Valora (contract 5.3) and Stripe part ways, the stand-in sides with Valora.
	payload := []byte(`{"id":"evt_div"}`)
	secret := "whsec_div"
	sig := hmacHex(secret, "1700000000."+string(payload))
	for _, tc := range []struct {
		name, header    string
		valora, stripeG bool
	}{
		// Valora compares hex strings; stripe-go decodes the hex first.
		{"uppercase hex", "t=1700000000,v1=" + strings.ToUpper(sig), false, true},
		// Valora trims each piece; stripe-go splits the raw header.
		{"spaces after commas", "t=1700000000, v1=" + sig, true, false},
		// Valora ignores pieces without '='; stripe-go refuses the header.
		{"stray piece", "t=1700000000,junk,v1=" + sig, true, false},
	} {
		if got := verifyStripeSignature(payload, tc.header, secret); got != tc.valora {
			t.Errorf("%s: stand-in says %v, Valora %v", tc.name, got, tc.valora)
		}
		if got := stripewebhook.ValidatePayloadIgnoringTolerance(payload, tc.header, secret) == nil; got != tc.stripeG {
			t.Errorf("%s: stripe-go says %v; the divergence this case pins is gone", tc.name, got)
		}
	}
	// t is signed as written and never parsed: a timestamp that is not a number verifies in Valora, and the last
	// t wins.
	odd := hmacHex(secret, "yesterday."+string(payload))
	if !verifyStripeSignature(payload, "t=yesterday,v1="+odd, secret) {
		t.Error("a non-numeric t that was signed over is refused")
	}
	if err := stripewebhook.ValidatePayloadIgnoringTolerance(payload, "t=yesterday,v1="+odd, secret); !errors.Is(err, stripewebhook.ErrInvalidHeader) {
		t.Errorf("stripe-go on a non-numeric t: %v", err)
	}
	if !verifyStripeSignature(payload, "t=1,t=1700000000,v1="+sig, secret) || verifyStripeSignature(payload, "t=1700000000,t=1,v1="+sig, secret) {
		t.Error("the last t does not win")
	}
	if verifyStripeSignature(payload, "t=,v1="+hmacHex(secret, "."+string(payload)), secret) {
		t.Error("an empty t verifies")
	}
	// A stale timestamp verifies: there is no tolerance.
	old := hmacHex(secret, "1."+string(payload))
	if !verifyStripeSignature(payload, "t=1,v1="+old, secret) {
		t.Error("a signature from 1970 is refused; Valora has no tolerance")
	}
}

// TestAdyenSignatureMatchesAdyensExample is the example of Adyen's HMAC documentation: its signing string and its
// base64 signature.
func TestAdyenSignatureMatchesAdyensExample(t *testing.T) {
	it := adyenItem{PspReference: "7914073381342284", MerchantAccountCode: "TestMerchant",
		MerchantReference: "TestPayment-1407325143704", EventCode: "AUTHORISATION", Success: "true"}
	it.Amount.Value, it.Amount.Currency = 1130, "EUR"
	if got, want := adyenSigningString(&it), "7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"; got != want {
		t.Fatalf("signing string %q, want %q", got, want)
	}
	key, _ := hex.DecodeString("44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056")
	if got, want := adyenSignature(key, &it), "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}

	// Escaping keeps a ':' or '\' inside a value from moving the field boundaries.
	esc := adyenItem{PspReference: "a:b", MerchantAccountCode: "Acct", MerchantReference: `c\d`, EventCode: "AUTHORISATION", Success: "true"}
	esc.Amount.Value, esc.Amount.Currency = 100, "EUR"
	if got, want := adyenSigningString(&esc), `a\:b::Acct:c\\d:100:EUR:AUTHORISATION:true`; got != want {
		t.Fatalf("escaped signing string %q, want %q", got, want)
	}
	key, _ = hex.DecodeString("00112233445566778899AABBCCDDEEFF")
	if got, want := adyenSignature(key, &esc), "xxrLS2H1FTX2DurZb2nKrDvRfyvYQXXuxyvWjryjVP8="; got != want {
		t.Fatalf("escaped signature %s, want %s", got, want)
	}
}

func TestBraintreeSignatureGolden(t *testing.T) {
	const btPayload = "PD94bWw+PGtpbmQ+dHJhbnNhY3Rpb25fc2V0dGxlZDwva2luZD4="
	const want = "3933f644dbe88bf987e4cc3226b3c9ac5e34fb0f4d7f67fcdd77fe8850c6e2e8"
	form := "bt_signature=" + url.QueryEscape("pub|"+want) + "&bt_payload=" + url.QueryEscape(btPayload)
	if res, err := verifyBraintree([]byte(form), "bt_private_golden"); res != verified || err != nil {
		t.Fatalf("golden form: %v %v", res, err)
	}
	if res, _ := verifyBraintree([]byte(form), "other"); res != badSignature {
		t.Fatalf("wrong private key: %v", res)
	}
	if res, err := verifyBraintree([]byte("bt_payload=x"), "k"); res != stopLoop || err == nil {
		t.Fatalf("missing bt_signature: %v %v", res, err)
	}
}
