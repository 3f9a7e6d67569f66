package main

import (
	"fmt"
	"math"
)

// A target is judged over the whole measured spread, never the median alone: met when every repetition meets
// it, missed when none does, not established when the repetitions fall on both sides.
const (
	verdictMet            = "**met**"
	verdictMissed         = "**missed**"
	verdictNotEstablished = "**not established**"
	verdictNotMeasured    = "not measured"
)

// target is a bound on a ratio of ours to what it is compared with.
type target struct {
	text string // as the document states it: "≥ 0.95×"
	ok   func(ratio float64) bool
}

func atLeast(text string, lo float64) target {
	return target{text, func(r float64) bool { return r >= lo }}
}
func atMost(text string, hi float64) target {
	return target{text, func(r float64) bool { return r <= hi }}
}

var (
	// The extension alone: its import and its id on the hot path cost at most 3 %.
	extRate = atLeast("≥ 0.97×", 0.97)
	extCPU  = atMost("≤ 1.03×", 1.03)
	extMem  = atMost("≤ 1.03×", 1.03)
	// Our scenarios, every invariant checked on every response, against the script they replace.
	oursRate = atLeast("≥ 0.95×", 0.95)
	oursCPU  = atMost("≤ 1.10×", 1.10)
	oursMem  = atMost("≤ 1.25×", 1.25)
)

// judge is the verdict of t over the per-repetition ratios in s.
func judge(s spread, t target) string {
	if len(s.Values) == 0 {
		return verdictNotMeasured
	}
	met, missed := 0, 0
	for _, v := range s.Values {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return verdictNotMeasured
		case t.ok(v):
			met++
		default:
			missed++
		}
	}
	switch {
	case missed == 0:
		return verdictMet
	case met == 0:
		return verdictMissed
	}
	return verdictNotEstablished
}

// ratioX prints a ratio spread as "0.97× (0.93–1.01×)".
func ratioX(s spread) string {
	switch {
	case len(s.Values) == 0 || math.IsNaN(s.Median):
		return "–"
	case len(s.Values) == 1:
		return fmt.Sprintf("%.2f×", s.Median)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f×)", s.Median, s.Min, s.Max)
}

// finite reports whether every figure is a number (no NaN, no infinity): what bench-quick asserts of each section.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
