package module

import (
	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/usageecho"
)

// The verdicts of checkUsageEcho, as index.d.ts declares them.
const (
	usageEchoed     = "echoed"
	usageRepeatedID = "repeated-id"
	usageDiffers    = "differs"
)

// sentEvent reads the body a script posted; a body that is not an event is the script's mistake.
func (c call) sentEvent(idx int) usageecho.Sent {
	sent, err := usageecho.ParseSent(c.str(idx))
	if err != nil {
		c.typeError("%s: %v", c.label(idx), err)
	}
	return sent
}

// checkUsageEcho(answer, sent, idSet) → "echoed" when the answer echoes what was sent and its id is new to the
// set, "repeated-id" when it echoes it with an id the set already holds, "differs" when it does not echo it (its
// id is then not offered). One call per answer on ingest_load's hot path.
func checkUsageEcho(c call) sobek.Value {
	answer, sent, set := c.str(0), c.sentEvent(1), c.name(2)
	id, ok := usageecho.Check(answer, &sent)
	switch {
	case !ok:
		return c.rt.ToValue(usageDiffers)
	case c.i.root.shared.set(set, true).add(id):
		return c.rt.ToValue(usageEchoed)
	}
	return c.rt.ToValue(usageRepeatedID)
}

// usageEchoDifferences(answer, sent) → how the answer differs from what was sent; [] when it echoes it
func usageEchoDifferences(c call) sobek.Value {
	answer, sent := c.str(0), c.sentEvent(1)
	return newStringArray(c.rt, usageecho.Differences(answer, &sent))
}
