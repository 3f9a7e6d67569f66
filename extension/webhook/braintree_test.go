package webhook

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// Golden Braintree vector, computed independently:
//
//	printf '%s' "$PAYLOAD" | openssl dgst -sha256 -hmac 'bt_private_key'
//	python3 -c 'import hmac,hashlib; print(hmac.new(b"bt_private_key", PAYLOAD.encode(), hashlib.sha256).hexdigest())'
//
// where PAYLOAD is base64("<notification><kind>transaction_settled</kind></notification>").
const (
	btPublic  = "bt_public_key"
	btPrivate = "bt_private_key"
	btPayload = "PG5vdGlmaWNhdGlvbj48a2luZD50cmFuc2FjdGlvbl9zZXR0bGVkPC9raW5kPjwvbm90aWZpY2F0aW9uPg=="
	btHMAC    = "6a613c28ba420cc5a9d24bb6f2a7aa85c35eb12d6592e2400cda3dbcb736f3e3"
)

func TestBraintreeSignatureGolden(t *testing.T) {
	if got, want := BraintreeSignature(btPublic, btPrivate, btPayload), btPublic+"|"+btHMAC; got != want {
		t.Errorf("BraintreeSignature = %s, want %s", got, want)
	}
	decoded, _ := base64.StdEncoding.DecodeString(btPayload)
	if !strings.Contains(string(decoded), "<kind>transaction_settled</kind>") {
		t.Fatal("golden payload does not decode as expected")
	}
}

func TestBraintreeForm(t *testing.T) {
	payload := "a+b/c=\n" + btPayload // base64 with '+', '/', '=' and a newline, as Braintree sends
	form := BraintreeForm(btPublic, btPrivate, payload)
	if !strings.HasPrefix(form, "bt_signature="+btPublic+"%7C") || !strings.Contains(form, "&bt_payload=a%2Bb%2Fc%3D%0A") {
		t.Errorf("BraintreeForm = %s", form)
	}
	values, err := url.ParseQuery(form)
	if err != nil {
		t.Fatal(err)
	}
	if values.Get("bt_payload") != payload || values.Get("bt_signature") != BraintreeSignature(btPublic, btPrivate, payload) {
		t.Errorf("form does not round-trip: %v", values)
	}
	if err := VerifyBraintreeForm([]byte(form), btPrivate); err != nil {
		t.Errorf("VerifyBraintreeForm(BraintreeForm(x)) = %v", err)
	}
}

func TestVerifyBraintree(t *testing.T) {
	good := btPublic + "|" + btHMAC
	cases := []struct {
		name, sig, payload, key string
		want                    error
	}{
		{"valid", good, btPayload, btPrivate, nil},
		{"several pairs, second matches", "other_pub|" + strings.Repeat("0", 64) + "&" + good, btPayload, btPrivate, nil},
		{"pieces without | ignored", "junk&" + good, btPayload, btPrivate, nil},
		{"any public key", "whatever|" + btHMAC, btPayload, btPrivate, nil},
		{"empty public key", "|" + btHMAC, btPayload, btPrivate, nil},
		{"wrong private key", good, btPayload, "other_private", ErrSignatureMismatch},
		{"tampered payload", good, "X" + btPayload[1:], btPrivate, ErrSignatureMismatch},
		{"uppercase hex", btPublic + "|" + strings.ToUpper(btHMAC), btPayload, btPrivate, ErrSignatureMismatch},
		{"truncated", good[:len(good)-1], btPayload, btPrivate, ErrSignatureMismatch},
		{"no matching pair", "a|b&c|d", btPayload, btPrivate, ErrSignatureMismatch},
		{"empty signature", "", btPayload, btPrivate, ErrMissingHeader},
		{"no pair", btHMAC, btPayload, btPrivate, ErrMalformedHeader},
		{"only separators", "&&", btPayload, btPrivate, ErrMalformedHeader},
		{"empty private key", good, btPayload, "", ErrInvalidSecret},
		{"blank private key", good, btPayload, "  ", ErrInvalidSecret},
	}
	for _, c := range cases {
		err := VerifyBraintree(c.sig, c.payload, c.key)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: VerifyBraintree = %v, want %v", c.name, err, c.want)
		}
		if err != nil && strings.TrimSpace(c.key) != "" && strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: error %q contains the private key", c.name, err)
		}
	}
}

func TestVerifyBraintreeForm(t *testing.T) {
	sig := url.QueryEscape(btPublic + "|" + btHMAC)
	payload := url.QueryEscape(btPayload)
	cases := []struct {
		name, body string
		want       error
	}{
		{"valid", "bt_signature=" + sig + "&bt_payload=" + payload, nil},
		{"fields in the other order", "bt_payload=" + payload + "&bt_signature=" + sig, nil},
		{"extra fields", "x=1&bt_payload=" + payload + "&bt_signature=" + sig, nil},
		{"unescaped '+' in the payload becomes a space", "bt_signature=" + sig + "&bt_payload=" + strings.ReplaceAll(btPayload, "==", "+="), ErrSignatureMismatch},
		{"missing bt_signature", "bt_payload=" + payload, ErrMissingHeader},
		{"empty bt_signature", "bt_signature=&bt_payload=" + payload, ErrMissingHeader},
		{"missing bt_payload", "bt_signature=" + sig, ErrInvalidPayload},
		{"bad escape", "bt_signature=%zz&bt_payload=" + payload, ErrInvalidPayload},
		{"JSON body", `{"bt_signature":"x"}`, ErrInvalidPayload},
		{"empty body", "", ErrInvalidPayload},
	}
	for _, c := range cases {
		err := VerifyBraintreeForm([]byte(c.body), btPrivate)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: VerifyBraintreeForm = %v, want %v", c.name, err, c.want)
		}
	}
}

func BenchmarkBraintreeSignature(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		BraintreeSignature(btPublic, btPrivate, btPayload)
	}
}

func BenchmarkBraintreeForm(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		BraintreeForm(btPublic, btPrivate, btPayload)
	}
}

func BenchmarkVerifyBraintree(b *testing.B) {
	sig := BraintreeSignature(btPublic, btPrivate, btPayload)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyBraintree(sig, btPayload, btPrivate); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyBraintreeForm(b *testing.B) {
	body := []byte(BraintreeForm(btPublic, btPrivate, btPayload))
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyBraintreeForm(body, btPrivate); err != nil {
			b.Fatal(err)
		}
	}
}
