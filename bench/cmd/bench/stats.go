package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// spread is a median with the smallest and largest value of the repetitions behind it.
type spread struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"`
}

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{Median: m, Min: s[0], Max: s[len(s)-1], Values: xs}
}

func medianOr0(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return spreadOf(xs).Median
}

// MarshalJSON writes an empty spread as null: JSON has no NaN.
func (s spread) MarshalJSON() ([]byte, error) {
	if len(s.Values) == 0 {
		return []byte("null"), nil
	}
	type plain spread
	return json.Marshal(plain(s))
}

// ratios divides a[i] by b[i]: the runs at the same position were measured back to back.
func ratios(a, b []float64) []float64 {
	out := make([]float64, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		out = append(out, a[i]/b[i])
	}
	return out
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / d
}

// ratioText prints a ratio spread as "0.973 (0.951–0.990)".
func ratioText(s spread) string {
	return fmt.Sprintf("%.3f (%.3f–%.3f)", s.Median, s.Min, s.Max)
}

// pctText prints a ratio spread as a change: "−2.7 % (−4.9 … −1.0 %)".
func pctText(s spread) string {
	return fmt.Sprintf("%s %% (%s … %s %%)", signed((s.Median-1)*100), signed((s.Min-1)*100), signed((s.Max-1)*100))
}

func signed(v float64) string {
	if v < 0 {
		return fmt.Sprintf("−%.1f", -v)
	}
	return fmt.Sprintf("+%.1f", v)
}

// num prints a figure with thousands separated by a thin space, as in "12 345".
func num(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	s := fmt.Sprintf("%.0f", v)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	if neg {
		return "−" + string(out)
	}
	return string(out)
}

// perOp prints seconds per operation in the unit that reads best.
func perOp(sec float64) string {
	switch {
	case math.IsNaN(sec):
		return "–"
	case sec >= 1e-3:
		return fmt.Sprintf("%.2f ms", sec*1e3)
	case sec >= 1e-6:
		return fmt.Sprintf("%.1f µs", sec*1e6)
	default:
		return fmt.Sprintf("%.0f ns", sec*1e9)
	}
}
