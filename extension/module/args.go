package module

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/common"
)

// optionKeys lists the keys each options object accepts, by the name of its interface in index.d.ts.
// Parsing rejects any other key (a typo such as `secrets` must not be silently ignored), and a test checks
// these lists against index.d.ts.
var optionKeys = map[string][]string{
	"StripeSignOptions":     {"secret", "timestamp"},
	"StripeEventOptions":    {"type", "customerId", "amount", "currency", "id", "objectId", "created", "invoiceId"},
	"AdyenEventOptions":     {"eventCode", "customerId", "success", "amount", "currency", "pspReference", "originalReference", "merchantAccountCode", "merchantReference", "eventDate", "invoiceId"},
	"AdyenSignOptions":      {"hmacKey"},
	"BraintreeSignOptions":  {"publicKey", "privateKey"},
	"MintSessionsOptions":   {"databaseUrl", "email", "count", "orgId", "ttlSeconds", "userAgent"},
	"RevokeSessionsOptions": {"databaseUrl", "tokens"},
}

// throwType throws a JavaScript TypeError: the script passed something of the wrong shape.
func throwType(rt *sobek.Runtime, format string, args ...any) {
	panic(rt.NewTypeError(fmt.Sprintf(format, args...)))
}

// throwErr throws a Go error as a JavaScript Error, prefixed with the function that failed.
func throwErr(rt *sobek.Runtime, fn string, err error) {
	common.Throw(rt, fmt.Errorf("%s: %w", fn, err))
}

// options reads one options object strictly: unknown keys and wrong types are TypeErrors naming the function,
// the key and what is accepted.
type options struct {
	rt  *sobek.Runtime
	fn  string
	obj *sobek.Object
}

func readOptions(rt *sobek.Runtime, fn, iface string, v sobek.Value, required bool) *options {
	allowed := optionKeys[iface]
	if common.IsNullish(v) {
		if required {
			throwType(rt, "%s: an options object is required (keys: %s)", fn, strings.Join(allowed, ", "))
		}
		return &options{rt: rt, fn: fn}
	}
	// A type assertion, not Export(): exporting would copy the whole object into a Go map on every call, and
	// signStripe is called once per request.
	obj, isObj := v.(*sobek.Object)
	if !isObj || obj.ClassName() != "Object" {
		throwType(rt, "%s: options must be an object (keys: %s), got %s", fn, strings.Join(allowed, ", "), typeName(v))
	}
	for _, k := range obj.Keys() {
		if !slices.Contains(allowed, k) {
			throwType(rt, "%s: unknown option %q; accepted: %s", fn, k, strings.Join(allowed, ", "))
		}
	}
	return &options{rt: rt, fn: fn, obj: obj}
}

func (o *options) get(key string) sobek.Value {
	if o.obj == nil {
		return nil
	}
	v := o.obj.Get(key)
	if common.IsNullish(v) {
		return nil
	}
	return v
}

func (o *options) missing(key, what string) {
	throwType(o.rt, "%s: option %q is required (%s)", o.fn, key, what)
}

// str returns a string option; "" when absent.
func (o *options) str(key string, required bool, what string) string {
	v := o.get(key)
	if v == nil {
		if required {
			o.missing(key, what)
		}
		return ""
	}
	s, ok := v.Export().(string)
	if !ok {
		throwType(o.rt, "%s: option %q must be a string (%s), got %s", o.fn, key, what, typeName(v))
	}
	if required && strings.TrimSpace(s) == "" {
		throwType(o.rt, "%s: option %q must not be empty (%s)", o.fn, key, what)
	}
	return s
}

// integer returns an integral number option and whether it was given.
func (o *options) integer(key, what string) (int64, bool) {
	v := o.get(key)
	if v == nil {
		return 0, false
	}
	return toInteger(o.rt, o.fn, fmt.Sprintf("option %q", key), what, v), true
}

func (o *options) boolean(key string) (value, given bool) {
	v := o.get(key)
	if v == nil {
		return false, false
	}
	b, ok := v.Export().(bool)
	if !ok {
		throwType(o.rt, "%s: option %q must be a boolean, got %s", o.fn, key, typeName(v))
	}
	return b, true
}

// strs accepts one string or an array of strings.
func (o *options) strs(key string, required bool, what string) []string {
	v := o.get(key)
	if v == nil {
		if required {
			o.missing(key, what)
		}
		return nil
	}
	var out []string
	switch x := v.Export().(type) {
	case string:
		out = []string{x}
	case []any:
		for idx, e := range x {
			s, ok := e.(string)
			if !ok {
				throwType(o.rt, "%s: option %q must hold only strings; item %d is %T", o.fn, key, idx, e)
			}
			out = append(out, s)
		}
	default:
		throwType(o.rt, "%s: option %q must be a string or an array of strings (%s), got %s", o.fn, key, what, typeName(v))
	}
	if required && len(out) == 0 {
		throwType(o.rt, "%s: option %q must not be empty (%s)", o.fn, key, what)
	}
	return out
}

// toInteger converts a JS number that must be a whole, finite number within the int64 range JS can represent.
func toInteger(rt *sobek.Runtime, fn, name, what string, v sobek.Value) int64 {
	var f float64
	switch x := v.Export().(type) {
	case int64:
		return x
	case float64:
		f = x
	default:
		throwType(rt, "%s: %s must be a number (%s), got %s", fn, name, what, typeName(v))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		throwType(rt, "%s: %s must be a whole number (%s), got %v", fn, name, what, f)
	}
	return int64(f)
}

// stringArg reads a required positional string argument.
func stringArg(rt *sobek.Runtime, fn, name string, v sobek.Value) string {
	if common.IsNullish(v) {
		throwType(rt, "%s: argument %q is required", fn, name)
	}
	s, ok := v.Export().(string)
	if !ok {
		throwType(rt, "%s: argument %q must be a string, got %s", fn, name, typeName(v))
	}
	return s
}

// bytesArg reads a payload given as a string (its UTF-8 bytes) or an ArrayBuffer (as-is).
func bytesArg(rt *sobek.Runtime, fn, name string, v sobek.Value) []byte {
	if common.IsNullish(v) {
		throwType(rt, "%s: argument %q is required (a string or an ArrayBuffer)", fn, name)
	}
	switch x := v.Export().(type) {
	case string:
		return []byte(x)
	case sobek.ArrayBuffer:
		return x.Bytes()
	default:
		throwType(rt, "%s: argument %q must be a string or an ArrayBuffer, got %s", fn, name, typeName(v))
		return nil
	}
}

func typeName(v sobek.Value) string {
	if v == nil || sobek.IsUndefined(v) {
		return "undefined"
	}
	if sobek.IsNull(v) {
		return "null"
	}
	switch v.Export().(type) {
	case string:
		return "a string"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case sobek.ArrayBuffer:
		return "an ArrayBuffer"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v.Export())
	}
}

// newObject builds a plain JavaScript object (JSON.stringify and spreading work as scripts expect).
func newObject(rt *sobek.Runtime, kv ...any) *sobek.Object {
	obj := rt.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := obj.Set(kv[i].(string), kv[i+1]); err != nil {
			common.Throw(rt, err)
		}
	}
	return obj
}

func newStringArray(rt *sobek.Runtime, items []string) *sobek.Object {
	vals := make([]any, len(items))
	for i, s := range items {
		vals[i] = s
	}
	return rt.NewArray(vals...)
}
