package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Adyen's published example key and item; the expected signature was computed two independent ways:
//
//	printf '%s' '7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true' |
//	  openssl dgst -sha256 -mac HMAC -macopt hexkey:44782DEF…A056 -binary | base64
//	python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(bytes.fromhex(KEY), S.encode(), hashlib.sha256).digest()).decode())'
const (
	adyenKeyHex = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	adyenSample = "7914073381342284::TestMerchant:TestPayment-1407325143704:1130:EUR:AUTHORISATION:true"
	adyenSigA   = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="
	// Escaped fields (see adyenEscapingItem), same Python one-liner over adyenEscaped.
	adyenEscaped = `psp\:1:orig\\ref:Merchant\:Acc:ref\\\:x:500:USD:REFUND:false`
	adyenSigB    = "rbNcQf+jduAyhJdfDw7FvuTMg0nwoBzlNFYNyGjirOU="
)

var adyenSampleItem = AdyenItem{
	Amount:              AdyenAmount{Currency: "EUR", Value: 1130},
	EventCode:           "AUTHORISATION",
	MerchantAccountCode: "TestMerchant",
	MerchantReference:   "TestPayment-1407325143704",
	PspReference:        "7914073381342284",
	Success:             "true",
	// Not signed: must not change the signature.
	EventDate:      "2026-01-05T09:42:25+01:00",
	Reason:         "1234:7777:12/2012",
	AdditionalData: map[string]string{"metadata.customer_id": "42"},
}

var adyenEscapingItem = AdyenItem{
	Amount:              AdyenAmount{Currency: "USD", Value: 500},
	EventCode:           "REFUND",
	MerchantAccountCode: "Merchant:Acc",
	MerchantReference:   `ref\:x`,
	OriginalReference:   `orig\ref`,
	PspReference:        "psp:1",
	Success:             "false",
}

func TestAdyenSigningGolden(t *testing.T) {
	for _, c := range []struct {
		item          AdyenItem
		signing, want string
	}{
		{adyenSampleItem, adyenSample, adyenSigA},
		{adyenEscapingItem, adyenEscaped, adyenSigB},
	} {
		if got := AdyenSigningString(c.item); got != c.signing {
			t.Errorf("AdyenSigningString = %s, want %s", got, c.signing)
		}
		got, err := AdyenSignature(adyenKeyHex, c.item)
		if err != nil || got != c.want {
			t.Errorf("AdyenSignature(%s) = %s, %v; want %s", c.signing, got, err, c.want)
		}
		if lower, _ := AdyenSignature(strings.ToLower(adyenKeyHex), c.item); lower != c.want {
			t.Error("hex key case must not matter")
		}
	}
}

func TestAdyenEscapingKeepsFieldsApart(t *testing.T) {
	// Without escaping both items would sign "x:y:z:…"; with it they must differ.
	a := AdyenItem{PspReference: "x", OriginalReference: "y:z", Success: "true"}
	b := AdyenItem{PspReference: "x:y", OriginalReference: "z", Success: "true"}
	if AdyenSigningString(a) == AdyenSigningString(b) {
		t.Fatalf("signing strings collide: %s", AdyenSigningString(a))
	}
	c := AdyenItem{PspReference: `x\`, OriginalReference: "y"}
	d := AdyenItem{PspReference: `x`, OriginalReference: `\y`}
	if AdyenSigningString(c) == AdyenSigningString(d) {
		t.Fatalf("backslash signing strings collide: %s", AdyenSigningString(c))
	}
	if got, want := AdyenSigningString(AdyenItem{Amount: AdyenAmount{Value: -5}}), "::::-5:::"; got != want {
		t.Errorf("empty item = %q, want %q", got, want)
	}
}

func TestAdyenKeyErrors(t *testing.T) {
	for _, key := range []string{"", "zz", "ABC", "44782DEF 547A", "0x44782DEF"} {
		if _, err := AdyenSignature(key, adyenSampleItem); !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("AdyenSignature(key %q) error = %v, want ErrInvalidSecret", key, err)
		}
		if _, err := SignAdyen(adyenNotificationJSON(t, 1), key); !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("SignAdyen(key %q) error = %v, want ErrInvalidSecret", key, err)
		}
		if err := VerifyAdyen(adyenNotificationJSON(t, 1), key); !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("VerifyAdyen(key %q) error = %v, want ErrInvalidSecret", key, err)
		}
	}
	_, err := AdyenSignature("deadbeefSECRET", adyenSampleItem)
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "deadbeef") {
		t.Errorf("error %v must not quote the key", err)
	}
}

// adyenNotificationJSON builds a notification of n copies of the sample item with distinct pspReferences.
func adyenNotificationJSON(t testing.TB, n int) []byte {
	t.Helper()
	var note adyenNotification
	for i := range n {
		item := adyenSampleItem
		item.PspReference += strings.Repeat("9", i)
		note.NotificationItems = append(note.NotificationItems, adyenItemWrapper{Item: item})
	}
	b, err := json.Marshal(note)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignAndVerifyAdyen(t *testing.T) {
	signed, err := SignAdyen(adyenNotificationJSON(t, 2), adyenKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyAdyen(signed, adyenKeyHex); err != nil {
		t.Fatalf("VerifyAdyen(SignAdyen(x)) = %v", err)
	}
	var note adyenNotification
	if err := json.Unmarshal(signed, &note); err != nil {
		t.Fatal(err)
	}
	if got := note.NotificationItems[0].Item.AdditionalData[AdyenSignatureKey]; got != adyenSigA {
		t.Errorf("first item signature = %s, want the golden %s", got, adyenSigA)
	}
	if note.NotificationItems[1].Item.AdditionalData[AdyenSignatureKey] == adyenSigA {
		t.Error("second item (other pspReference) got the first item's signature")
	}
	if got := note.NotificationItems[0].Item.AdditionalData["metadata.customer_id"]; got != "42" {
		t.Errorf("additionalData lost metadata.customer_id: %q", got)
	}

	// Re-signing replaces the signature rather than failing or duplicating it.
	resigned, err := SignAdyen(signed, adyenKeyHex)
	if err != nil || !bytes.Equal(resigned, signed) {
		t.Errorf("re-signing changed the body or failed: %v\n%s\n%s", err, signed, resigned)
	}
}

func TestSignAdyenPreservesUnknownFields(t *testing.T) {
	in := `{
	  "live": "false",
	  "extra": {"nested": [1, 2.50, true, null], "big": 123456789012345678901234567890},
	  "notificationItems": [
	    {"NotificationRequestItem": {
	      "additionalData": {"authCode": "1234", "count": 3, "nested": {"a": "b"}},
	      "amount": {"currency": "EUR", "value": 1130, "extra": "kept"},
	      "eventCode": "AUTHORISATION",
	      "eventDate": "2026-01-05T09:42:25+01:00",
	      "merchantAccountCode": "TestMerchant",
	      "merchantReference": "TestPayment-1407325143704",
	      "operations": ["CANCEL", "CAPTURE"],
	      "paymentMethod": "visa",
	      "pspReference": "7914073381342284",
	      "success": "true"
	    }, "wrapperExtra": 1},
	    {"NotificationRequestItem": {"amount": {"currency": "EUR", "value": 1}, "eventCode": "REFUND",
	      "pspReference": "B", "success": "true", "additionalData": null}}
	  ]
	}`
	out, err := SignAdyen([]byte(in), adyenKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	got, want := decodeNumbers(t, out), decodeNumbers(t, []byte(in))
	items := want["notificationItems"].([]any)
	first := items[0].(map[string]any)["NotificationRequestItem"].(map[string]any)
	first["additionalData"].(map[string]any)[AdyenSignatureKey] = adyenSigA
	second := items[1].(map[string]any)["NotificationRequestItem"].(map[string]any)
	secondSig, err := AdyenSignature(adyenKeyHex, AdyenItem{Amount: AdyenAmount{Currency: "EUR", Value: 1},
		EventCode: "REFUND", PspReference: "B", Success: "true"})
	if err != nil {
		t.Fatal(err)
	}
	second["additionalData"] = map[string]any{AdyenSignatureKey: secondSig}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SignAdyen changed more than the signatures:\n got %v\nwant %v", got, want)
	}
	if !bytes.Contains(out, []byte("123456789012345678901234567890")) {
		t.Error("a large number lost precision")
	}
}

func decodeNumbers(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignAdyenInvalidPayload(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":                   `{"notificationItems":`,
		"empty body":                 ``,
		"array":                      `[]`,
		"null":                       `null`,
		"no notificationItems":       `{"live":"false"}`,
		"empty items":                `{"notificationItems":[]}`,
		"items not an array":         `{"notificationItems":{}}`,
		"item not an object":         `{"notificationItems":[1]}`,
		"no NotificationRequestItem": `{"notificationItems":[{"Other":{}}]}`,
		"item is null":               `{"notificationItems":[{"NotificationRequestItem":null}]}`,
		"value is a string":          `{"notificationItems":[{"NotificationRequestItem":{"amount":{"value":"1"}}}]}`,
		"success is a bool":          `{"notificationItems":[{"NotificationRequestItem":{"success":true}}]}`,
		"additionalData is an array": `{"notificationItems":[{"NotificationRequestItem":{"additionalData":[]}}]}`,
	} {
		if _, err := SignAdyen([]byte(body), adyenKeyHex); !errors.Is(err, ErrInvalidPayload) {
			t.Errorf("SignAdyen(%s): error = %v, want ErrInvalidPayload", name, err)
		}
	}
}

func TestVerifyAdyenNegative(t *testing.T) {
	signed, err := SignAdyen(adyenNotificationJSON(t, 2), adyenKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(items []map[string]any)) []byte {
		m := map[string]any{}
		if err := json.Unmarshal(signed, &m); err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		for _, w := range m["notificationItems"].([]any) {
			items = append(items, w.(map[string]any)["NotificationRequestItem"].(map[string]any))
		}
		f(items)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	escaped, err := SignAdyen(mustJSON(t, adyenNotification{NotificationItems: []adyenItemWrapper{{Item: adyenEscapingItem}}}), adyenKeyHex)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		body []byte
		key  string
		want error
	}{
		{"valid", signed, adyenKeyHex, nil},
		{"valid with escaping", escaped, adyenKeyHex, nil},
		{"unsigned fields may change", mutate(func(it []map[string]any) { it[0]["reason"] = "changed"; it[1]["eventDate"] = "x" }), adyenKeyHex, nil},
		{"tampered value", mutate(func(it []map[string]any) { it[0]["amount"].(map[string]any)["value"] = 1131 }), adyenKeyHex, ErrSignatureMismatch},
		{"tampered currency", mutate(func(it []map[string]any) { it[1]["amount"].(map[string]any)["currency"] = "USD" }), adyenKeyHex, ErrSignatureMismatch},
		{"tampered success", mutate(func(it []map[string]any) { it[0]["success"] = "false" }), adyenKeyHex, ErrSignatureMismatch},
		{"tampered merchantReference", mutate(func(it []map[string]any) { it[1]["merchantReference"] = "other" }), adyenKeyHex, ErrSignatureMismatch},
		{"signature of another item", mutate(func(it []map[string]any) {
			it[1]["additionalData"].(map[string]any)[AdyenSignatureKey] = it[0]["additionalData"].(map[string]any)[AdyenSignatureKey]
		}), adyenKeyHex, ErrSignatureMismatch},
		{"escaping: field boundary moved", mutate(func(it []map[string]any) {
			it[0]["pspReference"], it[0]["originalReference"] = "7914073381342284:", ""
		}), adyenKeyHex, ErrSignatureMismatch},
		{"wrong key", signed, strings.Repeat("ab", 32), ErrSignatureMismatch},
		{"missing signature on the second item", mutate(func(it []map[string]any) {
			delete(it[1]["additionalData"].(map[string]any), AdyenSignatureKey)
		}), adyenKeyHex, ErrMissingHeader},
		{"empty signature", mutate(func(it []map[string]any) {
			it[0]["additionalData"].(map[string]any)[AdyenSignatureKey] = ""
		}), adyenKeyHex, ErrMissingHeader},
		{"no additionalData", mutate(func(it []map[string]any) { delete(it[0], "additionalData") }), adyenKeyHex, ErrMissingHeader},
		{"unsigned notification", adyenNotificationJSON(t, 1), adyenKeyHex, ErrMissingHeader},
		{"non-hex key", signed, "not-hex", ErrInvalidSecret},
		{"bad JSON", []byte(`{`), adyenKeyHex, ErrInvalidPayload},
		{"no items", []byte(`{"notificationItems":[]}`), adyenKeyHex, ErrInvalidPayload},
		{"non-string additionalData", []byte(`{"notificationItems":[{"NotificationRequestItem":{"additionalData":{"n":1}}}]}`), adyenKeyHex, ErrInvalidPayload},
	}
	for _, c := range cases {
		err := VerifyAdyen(c.body, c.key)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: VerifyAdyen = %v, want %v", c.name, err, c.want)
		}
	}
	err = VerifyAdyen(mutate(func(it []map[string]any) { delete(it[1]["additionalData"].(map[string]any), AdyenSignatureKey) }), adyenKeyHex)
	if err == nil || !strings.Contains(err.Error(), "notificationItems[1]") {
		t.Errorf("error %v should name the failing item", err)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validAdyenParams() AdyenEventParams {
	return AdyenEventParams{
		EventCode: "AUTHORISATION", Success: true, CustomerID: "2008111837777760256", Amount: 1130,
		Currency: "EUR", PspReference: "0000F98O8ITPORUO", MerchantAccountCode: "ValoraTest",
		MerchantReference: "order-1", EventDate: "2026-01-05T09:42:25Z", InvoiceID: "2008111837777760300",
	}
}

func TestAdyenEventGolden(t *testing.T) {
	got, err := AdyenEvent(validAdyenParams())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"live":"false","notificationItems":[{"NotificationRequestItem":{"additionalData":` +
		`{"metadata.customer_id":"2008111837777760256","metadata.invoice_id":"2008111837777760300"},` +
		`"amount":{"currency":"EUR","value":1130},"eventCode":"AUTHORISATION","eventDate":"2026-01-05T09:42:25Z",` +
		`"merchantAccountCode":"ValoraTest","merchantReference":"order-1","pspReference":"0000F98O8ITPORUO","success":"true"}}]}`
	if string(got) != want {
		t.Errorf("AdyenEvent =\n%s\nwant\n%s", got, want)
	}
}

func TestAdyenEventSignVerify(t *testing.T) {
	for _, code := range AdyenEventCodes {
		for _, success := range []bool{true, false} {
			p := validAdyenParams()
			p.EventCode, p.Success, p.InvoiceID, p.EventDate = code, success, "", ""
			if code == "REFUND" {
				p.OriginalReference = "8814073381342284"
			}
			body, err := AdyenEvent(p)
			if err != nil {
				t.Fatalf("%s/%v: %v", code, success, err)
			}
			signed, err := SignAdyen(body, adyenKeyHex)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyAdyen(signed, adyenKeyHex); err != nil {
				t.Fatalf("%s/%v: %v", code, success, err)
			}
			var note adyenNotification
			if err := json.Unmarshal(signed, &note); err != nil || len(note.NotificationItems) != 1 {
				t.Fatalf("signed body %s: %v", signed, err)
			}
			item := note.NotificationItems[0].Item
			wantSuccess := map[bool]string{true: "true", false: "false"}[success]
			if item.Success != wantSuccess || item.EventCode != code || item.Amount.Value != 1130 ||
				item.OriginalReference != p.OriginalReference || item.AdditionalData["metadata.customer_id"] != p.CustomerID {
				t.Errorf("%s/%v: item %+v", code, success, item)
			}
			if _, has := item.AdditionalData["metadata.invoice_id"]; has {
				t.Error("invoice id present although not given")
			}
			if got := AdyenEventID(item); got != "0000F98O8ITPORUO_"+code {
				t.Errorf("AdyenEventID = %s", got)
			}
		}
	}
}

func TestAdyenEventErrors(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*AdyenEventParams)
		want   error
	}{
		{"unknown code", func(p *AdyenEventParams) { p.EventCode = "CAPTURE" }, ErrUnknownEventType},
		{"lower-case code", func(p *AdyenEventParams) { p.EventCode = "authorisation" }, ErrUnknownEventType},
		{"empty customer", func(p *AdyenEventParams) { p.CustomerID = "" }, ErrInvalidPayload},
		{"non-numeric customer", func(p *AdyenEventParams) { p.CustomerID = "abc" }, ErrInvalidPayload},
		{"zero amount", func(p *AdyenEventParams) { p.Amount = 0 }, ErrInvalidPayload},
		{"empty currency", func(p *AdyenEventParams) { p.Currency = "" }, ErrInvalidPayload},
		{"empty pspReference", func(p *AdyenEventParams) { p.PspReference = "" }, ErrInvalidPayload},
		{"empty merchant account", func(p *AdyenEventParams) { p.MerchantAccountCode = " " }, ErrInvalidPayload},
		{"empty merchant reference", func(p *AdyenEventParams) { p.MerchantReference = "" }, ErrInvalidPayload},
		{"bad event date", func(p *AdyenEventParams) { p.EventDate = "05/01/2026" }, ErrInvalidPayload},
	}
	for _, c := range cases {
		p := validAdyenParams()
		c.modify(&p)
		if body, err := AdyenEvent(p); !errors.Is(err, c.want) || body != nil {
			t.Errorf("%s: AdyenEvent = %s, %v; want %v", c.name, body, err, c.want)
		}
	}
	_, err := AdyenEvent(AdyenEventParams{EventCode: "X"})
	for _, code := range AdyenEventCodes {
		if !strings.Contains(err.Error(), code) {
			t.Errorf("unknown code error %q does not list %s", err, code)
		}
	}
}

func BenchmarkAdyenSignature(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AdyenSignature(adyenKeyHex, adyenSampleItem); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignAdyen(b *testing.B) {
	body := adyenNotificationJSON(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignAdyen(body, adyenKeyHex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAdyen(b *testing.B) {
	body, err := SignAdyen(adyenNotificationJSON(b, 1), adyenKeyHex)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyAdyen(body, adyenKeyHex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdyenEvent(b *testing.B) {
	p := validAdyenParams()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AdyenEvent(p); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAdyenErrorsSpeakJSON: a body of the wrong shape is described in JSON's terms, never by the Go types it
// is decoded into.
func TestAdyenErrorsSpeakJSON(t *testing.T) {
	const key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	for body, want := range map[string]string{
		`{"notificationItems":[{"NotificationRequestItem":{"amount":{"value":"1000"}}}]}`: "amount.value is a JSON string, it must be a number",
		`{"notificationItems":[{"NotificationRequestItem":{"success":true}}]}`:            "success is a JSON bool, it must be a string",
	} {
		for _, err := range []error{
			func() error { _, err := SignAdyen([]byte(body), key); return err }(),
			VerifyAdyen([]byte(body), key),
		} {
			if err == nil || !errors.Is(err, ErrInvalidPayload) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want ErrInvalidPayload saying %q", body, err, want)
			}
			if err != nil && strings.Contains(err.Error(), "int64") || err != nil && strings.Contains(err.Error(), "Go ") {
				t.Errorf("%s: error %q names a Go type", body, err)
			}
		}
	}
}
