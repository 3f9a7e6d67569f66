package module

import (
	"errors"

	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/ids"
	"github.com/valora-k6/valora-k6/valoraid"
)

// snowflake() → decimal string (ids exceed 2^53, so they never cross as numbers)
func snowflake(c call) sobek.Value {
	return c.rt.ToValue(c.idSource().gen.Next().String())
}

// decodeSnowflake(id) → {time, node, step}
func decodeSnowflake(c call) sobek.Value {
	v := c.required(0)
	if sobek.IsNumber(v) || sobek.IsBigInt(v) {
		c.typeError("%s must be a decimal string, got %s (snowflakes exceed 2^53 and lose digits as numbers)",
			c.label(0), typeName(v))
	}
	parsed, err := ids.ParseID(c.str(0))
	if err != nil {
		c.typeError("%s: %v (pass the id as a decimal string: snowflakes exceed 2^53)", c.label(0), err)
	}
	p := valoraid.Decode(parsed)
	return newObject(c.rt, "time", p.Time.UnixMilli(), "node", p.Node, "step", p.Step)
}

// idempotencyKey(prefix?) → "<prefix>-<run id><unique id>"; an empty prefix means the default, "k6"
func idempotencyKey(c call) sobek.Value {
	prefix, _ := c.optStr(0)
	src := c.idSource()
	key, err := ids.IdempotencyKey(prefix, src.run, src.gen.Next())
	if err != nil {
		if errors.Is(err, ids.ErrInvalidPrefix) {
			c.typeError("%s: %v", c.label(0), err)
		}
		c.fail(err)
	}
	return c.rt.ToValue(key)
}

// providerId(kind) → "evt_…", "ch_…", …
func providerID(c call) sobek.Value {
	kind := c.enum(0)
	return c.rt.ToValue(c.newProviderID(kind))
}

// nodeId() → the snowflake node of this process
func nodeID(c call) sobek.Value {
	return c.rt.ToValue(c.idSource().gen.Node())
}
