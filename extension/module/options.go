package module

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/valora-k6/valora-k6/extension/ids"
	"github.com/valora-k6/valora-k6/extension/session"
	"github.com/valora-k6/valora-k6/extension/webhook"
)

// An options interface of index.d.ts is declared once, as a Go struct whose fields carry `js:"key"` tags
// (`js:"key,required"` for a required key) and a `what` tag saying what the value is, for errors. The Go type
// of a field decides what it accepts:
//
//	string    a string; an `enum:"Name"` tag restricts it to the values of enums[Name]
//	[]string  a string or an array of strings
//	*int64    a whole number (bounds set with limit)
//	*bool     a boolean
//
// read is strict: a key the struct does not declare is a TypeError naming it and the accepted keys, and so is
// a value of the wrong kind. An absent, undefined or null key is not given; an empty string is not given
// either (the default applies), while a blank one ("  ") is refused. A required string must not be blank, and
// a required list must hold at least one string, none of them blank. The drift test compares these structs
// with index.d.ts: keys, optionality and types.
type optionsSpec struct {
	iface   string // the interface's name in index.d.ts
	typ     reflect.Type
	fields  []optionField
	keyList string // the accepted keys, for messages
}

type fieldKind int

const (
	fieldString fieldKind = iota
	fieldStrings
	fieldInt
	fieldBool
)

type optionField struct {
	key      string
	index    int
	kind     fieldKind
	required bool
	what     string
	enum     string // enum name for enum-restricted strings
	min, max int64  // bounds of fieldInt
}

// ts is the field's type as index.d.ts declares it.
func (f *optionField) ts() string {
	switch f.kind {
	case fieldStrings:
		return "string | string[]"
	case fieldInt:
		return "number"
	case fieldBool:
		return "boolean"
	}
	if f.enum != "" {
		return f.enum
	}
	return "string"
}

// newOptionsSpec reads the declaration of options struct T. A malformed declaration is a programming error,
// caught by every test that loads the package.
func newOptionsSpec[T any](iface string) *optionsSpec {
	typ := reflect.TypeFor[T]()
	s := &optionsSpec{iface: iface, typ: typ}
	var keys []string
	for idx := range typ.NumField() {
		sf := typ.Field(idx)
		tag, ok := sf.Tag.Lookup("js")
		if !ok {
			panic(fmt.Sprintf("options %s: field %s has no js tag", iface, sf.Name))
		}
		key, flags, _ := strings.Cut(tag, ",")
		f := optionField{key: key, index: idx, required: flags == "required", what: sf.Tag.Get("what"),
			enum: sf.Tag.Get("enum"), min: -maxSafeInteger, max: maxSafeInteger}
		switch sf.Type {
		case reflect.TypeFor[string]():
			f.kind = fieldString
		case reflect.TypeFor[[]string]():
			f.kind = fieldStrings
		case reflect.TypeFor[*int64]():
			f.kind = fieldInt
		case reflect.TypeFor[*bool]():
			f.kind = fieldBool
		default:
			panic(fmt.Sprintf("options %s: field %s has unsupported type %s", iface, sf.Name, sf.Type))
		}
		if f.enum != "" {
			if _, known := enums[f.enum]; !known || f.kind != fieldString {
				panic(fmt.Sprintf("options %s: field %s names unknown enum %q", iface, sf.Name, f.enum))
			}
		}
		if f.what == "" && f.enum != "" {
			f.what = "one of " + strings.Join(enums[f.enum], ", ")
		}
		s.fields = append(s.fields, f)
		keys = append(keys, key)
	}
	s.keyList = strings.Join(keys, ", ")
	return s
}

// limit bounds a number field; returns s for chaining at declaration.
func (s *optionsSpec) limit(key string, min, max int64) *optionsSpec {
	f := s.field(key)
	if f == nil || f.kind != fieldInt {
		panic(fmt.Sprintf("options %s: no number field %q to limit", s.iface, key))
	}
	f.min, f.max = min, max
	return s
}

func (s *optionsSpec) field(key string) *optionField {
	for i := range s.fields {
		if s.fields[i].key == key {
			return &s.fields[i]
		}
	}
	return nil
}

// read decodes argument idx of c into dst, a pointer to a value of the spec's struct type.
func (s *optionsSpec) read(c call, idx int, dst any) {
	v := c.required(idx)
	obj, isObj := isOptionsObject(v)
	if !isObj {
		c.typeError("argument %q must be an options object (keys: %s), got %s", c.e.params[idx].name, s.keyList, typeName(v))
	}
	for _, k := range obj.Keys() {
		if s.field(k) == nil {
			c.typeError("unknown option %q; accepted: %s", clip(k), s.keyList)
		}
	}
	out := reflect.ValueOf(dst).Elem()
	for i := range s.fields {
		f := &s.fields[i]
		label := fmt.Sprintf("option %q", f.key)
		fv := obj.Get(f.key)
		if isNullish(fv) {
			if f.required {
				c.typeError("%s is required (%s)", label, f.what)
			}
			continue
		}
		target := out.Field(f.index)
		switch f.kind {
		case fieldString:
			var str string
			if f.enum != "" {
				str = c.readEnum(label, fv, f.enum, enums[f.enum])
			} else {
				str = c.readString(label, fv)
			}
			if f.required || str != "" {
				c.notBlank(label, f, str)
			}
			target.SetString(str)
		case fieldStrings:
			list := c.readStrings(label, fv)
			if f.required {
				if len(list) == 0 {
					c.typeError("%s must not be empty (%s)", label, f.what)
				}
				for n, item := range list {
					if strings.TrimSpace(item) == "" {
						c.typeError("%s: item %d must not be blank (%s)", label, n, f.what)
					}
				}
			}
			target.Set(reflect.ValueOf(list))
		case fieldInt:
			n := c.readInteger(label, f.what, fv, f.min, f.max)
			target.Set(reflect.ValueOf(&n))
		case fieldBool:
			b := c.readBool(label, fv)
			target.Set(reflect.ValueOf(&b))
		}
	}
}

func (c call) notBlank(label string, f *optionField, s string) {
	if strings.TrimSpace(s) == "" {
		c.typeError("%s must not be blank (%s)", label, f.what)
	}
}

// enums are the string unions of index.d.ts, by name, each with the Go list that is its single source.
var enums = map[string][]string{
	"StripeEventType": webhook.StripeEventTypes,
	"AdyenEventCode":  webhook.AdyenEventCodes,
	"ProviderIdKind":  ids.ProviderKinds,
}

// The options interfaces of index.d.ts, each declared by the struct its export reads.
var (
	stripeSignSpec  = newOptionsSpec[stripeSignOptions]("StripeSignOptions").limit("timestamp", 1, maxUnixSeconds)
	stripeEventSpec = newOptionsSpec[stripeEventOptions]("StripeEventOptions").
			limit("amount", 1, maxSafeInteger).limit("created", 1, maxUnixSeconds)
	adyenEventSpec    = newOptionsSpec[adyenEventOptions]("AdyenEventOptions").limit("amount", 1, maxSafeInteger)
	adyenSignSpec     = newOptionsSpec[adyenSignOptions]("AdyenSignOptions")
	braintreeSignSpec = newOptionsSpec[braintreeSignOptions]("BraintreeSignOptions")
	mintSessionsSpec  = newOptionsSpec[mintSessionsOptions]("MintSessionsOptions").
				limit("count", 1, session.MaxCount).limit("ttlSeconds", 1, int64(session.MaxTTL/time.Second))
	revokeSessionsSpec = newOptionsSpec[revokeSessionsOptions]("RevokeSessionsOptions")
	billingStateSpec   = newOptionsSpec[billingStateOptions]("BillingStateOptions")
	moveBillingSpec    = newOptionsSpec[moveBillingOptions]("MoveBillingOptions")
)

// optionSpecs lists every options interface, for the drift test.
var optionSpecs = []*optionsSpec{
	stripeSignSpec, stripeEventSpec, adyenEventSpec, adyenSignSpec, braintreeSignSpec, mintSessionsSpec,
	revokeSessionsSpec, billingStateSpec, moveBillingSpec,
}

var optionSpecsByName = func() map[string]*optionsSpec {
	m := make(map[string]*optionsSpec, len(optionSpecs))
	for _, s := range optionSpecs {
		m[s.iface] = s
	}
	return m
}()
