package usageecho

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sentBody = `{"customer_id":"2008111839082188800","meter_code":"api_calls","value":7,` +
	`"recorded_at":"2026-01-05T09:42:25.123Z","idempotency_key":"k6-usage-load-abc"}`

func sent(t *testing.T) Sent {
	t.Helper()
	s, err := ParseSent(sentBody)
	require.NoError(t, err)
	return s
}

// echo is Valora's answer to sentBody with the fields replaced.
func echo(replace ...string) string {
	fields := map[string]string{
		"id": `"2008111840000000001"`, "customer_id": `"2008111839082188800"`, "meter_code": `"api_calls"`,
		"value": `7`, "idempotency_key": `"k6-usage-load-abc"`, "recorded_at": `"2026-01-05T09:42:25.123000000Z"`,
	}
	for i := 0; i+1 < len(replace); i += 2 {
		if replace[i+1] == "" {
			delete(fields, replace[i])
		} else {
			fields[replace[i]] = replace[i+1]
		}
	}
	var parts []string
	for _, k := range []string{"id", "ID", "customer_id", "meter_code", "value", "idempotency_key", "recorded_at", "created_at"} {
		if v, ok := fields[k]; ok {
			parts = append(parts, `"`+k+`":`+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestEchoHolds(t *testing.T) {
	s := sent(t)
	for name, answer := range map[string]string{
		"Valora's bare event":           echo(),
		"Railzway's data envelope":      `{"data":` + echo() + `}`,
		"the id as ID":                  echo("id", "", "ID", `"2008111840000000001"`),
		"a null id, then ID":            echo("id", "null", "ID", `"2008111840000000001"`),
		"the instant at another offset": echo("recorded_at", `"2026-01-05T10:42:25.123+01:00"`),
		"the instant with fewer digits": echo("recorded_at", `"2026-01-05t09:42:25.123z"`),
		"the value as 7.0":              echo("value", `7.0`),
	} {
		id, ok := Check(answer, &s)
		assert.True(t, ok, "%s: %v", name, Differences(answer, &s))
		assert.Equal(t, "2008111840000000001", id, name)
		assert.Empty(t, Differences(answer, &s), name)
	}
}

func TestEchoDiffers(t *testing.T) {
	s := sent(t)
	for name, c := range map[string]struct{ answer, want string }{
		"not JSON":              {`<html>`, NoEvent},
		"an array":              {`[1]`, NoEvent},
		"null":                  {`null`, NoEvent},
		"no id":                 {echo("id", ""), "id undefined is not a decimal string"},
		"a numeric id":          {echo("id", `2008111840000000001`), "id 2008111840000000001 is not a decimal string"},
		"an empty id":           {echo("id", `""`), `id "" is not a decimal string`},
		"another customer":      {echo("customer_id", `"1"`), `customer_id "1" ≠ "2008111839082188800"`},
		"the customer a number": {echo("customer_id", `2008111839082188800`), "customer_id 2008111839082188800 ≠"},
		"another meter":         {echo("meter_code", `"storage"`), `meter_code "storage" ≠ "api_calls"`},
		"another value":         {echo("value", `8`), "value 8 ≠ 7"},
		"the value a string":    {echo("value", `"7"`), `value "7" ≠ 7`},
		"another key":           {echo("idempotency_key", `"k6-other"`), `idempotency_key "k6-other" ≠ "k6-usage-load-abc"`},
		"a nanosecond later":    {echo("recorded_at", `"2026-01-05T09:42:25.123000001Z"`), "recorded_at"},
		"no zone":               {echo("recorded_at", `"2026-01-05T09:42:25.123"`), "recorded_at"},
		"milliseconds only":     {echo("recorded_at", `1767606145123`), "recorded_at 1767606145123 is not the instant"},
		"Railzway's envelope with an id beside it": {`{"id":"1","data":` + echo() + `}`, "customer_id undefined"},
		"a case-folded key":                        {echo("customer_id", "", "Customer_ID", `"2008111839082188800"`), "customer_id undefined"},
	} {
		_, ok := Check(c.answer, &s)
		assert.False(t, ok, name)
		d := Differences(c.answer, &s)
		if assert.NotEmpty(t, d, name) {
			assert.Contains(t, strings.Join(d, "; "), c.want, name)
		}
	}
}

func TestParseSentRefusesWhatIsNotAnEvent(t *testing.T) {
	for body, want := range map[string]string{
		``:                    "not a JSON object",
		`[]`:                  "not a JSON object",
		`{"customer_id":"c"}`: `no "meter_code"`,
		strings.Replace(sentBody, `"value":7`, `"value":"7"`, 1): `"value"`,
	} {
		_, err := ParseSent(body)
		if assert.Error(t, err, body) {
			assert.Contains(t, err.Error(), want, body)
		}
	}
}

func TestInstantsAsDateUTCReadsThem(t *testing.T) {
	for a, b := range map[string]string{
		"2026-01-05T09:42:25Z":          "2026-01-05 09:42:25.000000000Z",
		"2026-01-32T00:00:00Z":          "2026-02-01T00:00:00Z", // Date.UTC rolls over
		"0026-01-01T00:00:00Z":          "1926-01-01T00:00:00Z", // and reads years 0 to 99 as 19xx
		" 2026-01-05T09:42:25.5-02:30 ": "2026-01-05T12:12:25.500Z",
	} {
		assert.True(t, SameInstant(a, b), "%s = %s", a, b)
	}
	for _, bad := range []string{"", "2026-01-05", "2026-01-05T09:42:25", "2026-01-05T09:42:25.Z",
		"2026-01-05T09:42:25.1234567890Z", "2026-01-05T09:42:25+0100", "２０２６-01-05T09:42:25Z"} {
		_, ok := ParseInstant(bad)
		assert.False(t, ok, "%q", bad)
	}
}
