package module

import (
	"crypto/rand"
	"errors"
	"slices"
	"strings"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/common"

	"github.com/valora-k6/valora-k6/extension/ids"
)

// snowflake() → decimal string (ids exceed 2^53, so they never cross as numbers)
func (i *Instance) snowflake() string {
	return i.next("snowflake").String()
}

// decodeSnowflake(id) → {time, node, step}
func (i *Instance) decodeSnowflake(id sobek.Value) *sobek.Object {
	const fn = "decodeSnowflake"
	rt := i.vu.Runtime()
	if _, isNum := id.Export().(string); !isNum && !common.IsNullish(id) {
		throwType(rt, "%s: pass the id as a decimal string, got %s (snowflakes exceed 2^53 and lose digits as numbers)", fn, typeName(id))
	}
	s := stringArg(rt, fn, "id", id)
	parsed, err := ids.ParseID(s)
	if err != nil {
		throwType(rt, "%s: %v (pass the id as a decimal string: snowflakes exceed 2^53)", fn, err)
	}
	p := ids.Decode(parsed)
	return newObject(rt, "time", p.Time.UnixMilli(), "node", p.Node, "step", p.Step)
}

// idempotencyKey(prefix?) → "<prefix>-<unique>"
func (i *Instance) idempotencyKey(prefix sobek.Value) string {
	const fn = "idempotencyKey"
	rt := i.vu.Runtime()
	p := ""
	if !common.IsNullish(prefix) {
		p = stringArg(rt, fn, "prefix", prefix)
	}
	key, err := ids.IdempotencyKey(p, i.next(fn))
	if err != nil {
		if errors.Is(err, ids.ErrInvalidPrefix) {
			throwType(rt, "%s: %v", fn, err)
		}
		throwErr(rt, fn, err)
	}
	return key
}

// providerId(kind) → "evt_…", "ch_…", …
func (i *Instance) providerID(kind sobek.Value) string {
	const fn = "providerId"
	rt := i.vu.Runtime()
	k := stringArg(rt, fn, "kind", kind)
	if !slices.Contains(ids.ProviderKinds, k) {
		throwType(rt, "%s: unknown kind %q; accepted: %s", fn, k, strings.Join(ids.ProviderKinds, ", "))
	}
	id, err := ids.ProviderID(k, i.next(fn), rand.Reader)
	if err != nil {
		throwErr(rt, fn, err)
	}
	return id
}

// nodeId() → the snowflake node of this instance
func (i *Instance) nodeID() int64 {
	gen, err := i.root.generator(i.vu, "nodeId")
	if err != nil {
		throwErr(i.vu.Runtime(), "nodeId", err)
	}
	return gen.Node()
}

func (i *Instance) next(fn string) ids.ID {
	gen, err := i.root.generator(i.vu, fn)
	if err != nil {
		throwErr(i.vu.Runtime(), fn, err)
	}
	return gen.Next()
}
