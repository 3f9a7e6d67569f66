package module

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/grafana/sobek"
)

// Bounds of the numbers scripts pass. JavaScript numbers are exact integers up to 2^53 - 1.
const (
	maxSafeInteger = 1<<53 - 1
	maxUnixSeconds = 253402300799 // 9999-12-31T23:59:59Z: anything later is a mistake, not a timestamp
	maxListItems   = 100_000      // secrets, Set-Cookie values or tokens: more is a mistake (and a sparse array of 2^32-1 would take forever)
)

// call is one call from JavaScript into an export: the runtime, the VU's instance, the export's declaration
// and the arguments as passed. Its accessors read one argument each and throw a TypeError naming the
// function, the argument and what is accepted when it is missing or of the wrong kind.
type call struct {
	rt   *sobek.Runtime
	i    *Instance
	e    *export
	args []sobek.Value
}

// arg returns argument idx, undefined when it was not passed.
func (c call) arg(idx int) sobek.Value {
	if idx < len(c.args) {
		return c.args[idx]
	}
	return sobek.Undefined()
}

func (c call) label(idx int) string { return fmt.Sprintf("argument %q", c.e.params[idx].name) }

// typeError throws a TypeError whose message starts with the function's name.
func (c call) typeError(format string, args ...any) {
	panic(c.rt.NewTypeError(c.e.name + ": " + fmt.Sprintf(format, args...)))
}

// fail throws an Error for a failure that is not the script's fault in shape: the database, the file
// system. Its message starts with the function's name.
func (c call) fail(err error) {
	panic(newError(c.rt, c.e.name+": "+err.Error()))
}

// missing throws the TypeError for a required argument that is absent, undefined or null.
func (c call) missing(idx int) {
	p := &c.e.params[idx]
	if spec, ok := optionSpecsByName[p.ts]; ok {
		c.typeError("an options object is required as argument %q (keys: %s)", p.name, spec.keyList)
	}
	c.typeError("argument %q is required (%s)", p.name, p.what)
}

// required returns argument idx, throwing when it is absent, undefined or null.
func (c call) required(idx int) sobek.Value {
	v := c.arg(idx)
	if isNullish(v) {
		c.missing(idx)
	}
	return v
}

// str reads a required string argument; it may be empty.
func (c call) str(idx int) string {
	return c.readString(c.label(idx), c.required(idx))
}

// name reads a required string argument that must not be empty: a set, key, counter or barrier name.
func (c call) name(idx int) string {
	s := c.str(idx)
	if s == "" {
		c.typeError("%s must not be empty (%s)", c.label(idx), c.e.params[idx].what)
	}
	return s
}

// optStr reads an optional string argument; absent, undefined and null give "", false.
func (c call) optStr(idx int) (string, bool) {
	v := c.arg(idx)
	if isNullish(v) {
		return "", false
	}
	return c.readString(c.label(idx), v), true
}

// bytes reads a required payload: a string (its UTF-8 bytes) or an ArrayBuffer (as it is).
func (c call) bytes(idx int) []byte {
	return c.readBytes(c.label(idx), c.required(idx))
}

// strList reads a required string or array of strings.
func (c call) strList(idx int) []string {
	return c.readStrings(c.label(idx), c.required(idx))
}

// integer reads a required whole number in min..max.
func (c call) integer(idx int, min, max int64) int64 {
	return c.readInteger(c.label(idx), c.e.params[idx].what, c.required(idx), min, max)
}

// optInteger reads an optional whole number in min..max; absent, undefined and null give 0, false.
func (c call) optInteger(idx int, min, max int64) (int64, bool) {
	v := c.arg(idx)
	if isNullish(v) {
		return 0, false
	}
	return c.readInteger(c.label(idx), c.e.params[idx].what, v, min, max), true
}

// enum reads a required string that must be one of the named enum's values.
func (c call) enum(idx int) string {
	p := &c.e.params[idx]
	return c.readEnum(c.label(idx), c.required(idx), p.ts, enums[p.ts])
}

func (c call) readString(label string, v sobek.Value) string {
	if !sobek.IsString(v) {
		c.typeError("%s must be a string, got %s", label, typeName(v))
	}
	return v.String()
}

func (c call) readBytes(label string, v sobek.Value) []byte {
	if sobek.IsString(v) {
		return []byte(v.String())
	}
	if obj, ok := v.(*sobek.Object); ok && obj.ExportType() == arrayBufferType {
		if ab, ok := obj.Export().(sobek.ArrayBuffer); ok {
			return ab.Bytes()
		}
	}
	c.typeError("%s must be a string or an ArrayBuffer, got %s", label, typeName(v))
	return nil
}

// readStrings accepts one string or an array of strings.
func (c call) readStrings(label string, v sobek.Value) []string {
	if sobek.IsString(v) {
		return []string{v.String()}
	}
	obj, ok := v.(*sobek.Object)
	if !ok || obj.ClassName() != "Array" {
		c.typeError("%s must be a string or an array of strings, got %s", label, typeName(v))
	}
	n := obj.Get("length").ToInteger()
	if n > maxListItems {
		c.typeError("%s must hold at most %d strings, got an array of %d", label, maxListItems, n)
	}
	out := make([]string, 0, min(n, 64))
	for idx := range n {
		item := obj.Get(strconv.FormatInt(idx, 10))
		if !sobek.IsString(item) {
			c.typeError("%s must hold only strings; item %d is %s", label, idx, typeName(item))
		}
		out = append(out, item.String())
	}
	return out
}

// readInteger accepts a JavaScript number that is whole, finite and within min..max.
func (c call) readInteger(label, what string, v sobek.Value, min, max int64) int64 {
	if !sobek.IsNumber(v) {
		c.typeError("%s must be a number (%s), got %s", label, what, typeName(v))
	}
	f := v.ToFloat()
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > maxSafeInteger {
		c.typeError("%s must be a whole number (%s), got %s", label, what, v.String())
	}
	n := int64(f)
	switch {
	case n < min:
		c.typeError("%s must be at least %d (%s), got %d", label, min, what, n)
	case n > max:
		c.typeError("%s must be at most %d (%s), got %d", label, max, what, n)
	}
	return n
}

func (c call) readBool(label string, v sobek.Value) bool {
	b, ok := v.Export().(bool)
	if !ok || !isPrimitive(v) {
		c.typeError("%s must be a boolean, got %s", label, typeName(v))
	}
	return b
}

func (c call) readEnum(label string, v sobek.Value, enum string, values []string) string {
	if !sobek.IsString(v) {
		c.typeError("%s must be a string, one of %s, got %s", label, strings.Join(values, ", "), typeName(v))
	}
	s := v.String()
	for _, ok := range values {
		if s == ok {
			return s
		}
	}
	c.typeError("%s: unknown %s %q; accepted: %s", label, enum, clip(s), strings.Join(values, ", "))
	return ""
}

var (
	arrayBufferType = reflect.TypeFor[sobek.ArrayBuffer]()
	plainObjectType = reflect.TypeFor[map[string]any]()
)

// isOptionsObject accepts what a script writes as an options object: a plain object (also one without a
// prototype, or a class instance), not an array, function, ArrayBuffer, typed array, Map or Date.
func isOptionsObject(v sobek.Value) (*sobek.Object, bool) {
	obj, ok := v.(*sobek.Object)
	return obj, ok && obj.ClassName() == "Object" && obj.ExportType() == plainObjectType
}

func isNullish(v sobek.Value) bool {
	return v == nil || sobek.IsUndefined(v) || sobek.IsNull(v)
}

func isPrimitive(v sobek.Value) bool {
	_, isObj := v.(*sobek.Object)
	return !isObj
}

// typeName describes a value the way a script author thinks of it ("a number", "an ArrayBuffer"), never by
// its Go type.
func typeName(v sobek.Value) string {
	switch {
	case v == nil || sobek.IsUndefined(v):
		return "undefined"
	case sobek.IsNull(v):
		return "null"
	case sobek.IsString(v):
		return "a string"
	case sobek.IsNaN(v):
		return "NaN"
	case sobek.IsInfinity(v):
		return v.String()
	case sobek.IsNumber(v):
		return "a number"
	case sobek.IsBigInt(v):
		return "a bigint"
	}
	switch x := v.(type) {
	case *sobek.Symbol:
		return "a symbol"
	case *sobek.Object:
		switch class := x.ClassName(); class {
		case "Object":
			// ArrayBuffers, typed arrays, Maps and class instances are all of class Object: name their constructor.
			if ctor, ok := x.Get("constructor").(*sobek.Object); ok {
				if name := ctor.Get("name"); name != nil && sobek.IsString(name) {
					if n := name.String(); n != "" && n != "Object" && len(n) <= 64 {
						return "an instance of " + n
					}
				}
			}
			return "an object"
		case "Array":
			return "an array"
		case "Function":
			return "a function"
		default:
			return article(class) + " " + class
		}
	}
	if _, ok := v.Export().(bool); ok {
		return "a boolean"
	}
	return "a value of another kind"
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// clip keeps messages short when a script passes a large value.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// newError builds a plain JavaScript Error (not k6's GoError), so that scripts see one kind of exception for
// failures and TypeError for bad arguments.
func newError(rt *sobek.Runtime, msg string) *sobek.Object {
	if ctor, ok := sobek.AssertConstructor(rt.GlobalObject().Get("Error")); ok {
		if obj, err := ctor(nil, rt.ToValue(msg)); err == nil {
			return obj
		}
	}
	return rt.NewGoError(errors.New(msg))
}

// newObject builds a plain JavaScript object (JSON.stringify and spreading work as scripts expect).
func newObject(rt *sobek.Runtime, kv ...any) *sobek.Object {
	obj := rt.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := obj.Set(kv[i].(string), kv[i+1]); err != nil {
			panic(err) // Set on a fresh plain object cannot fail
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
