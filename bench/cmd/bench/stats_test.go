package main

import (
	"math"
	"testing"
)

func TestSpreadOf(t *testing.T) {
	s := spreadOf([]float64{3, 1, 2, 10})
	if s.Median != 2.5 || s.Min != 1 || s.Max != 10 {
		t.Fatalf("got %+v", s)
	}
	if s := spreadOf([]float64{5, 1, 3}); s.Median != 3 {
		t.Fatalf("odd count: median %v", s.Median)
	}
	if s := spreadOf(nil); !math.IsNaN(s.Median) {
		t.Fatalf("empty: %+v", s)
	}
}

func TestRatiosPairRunsByPosition(t *testing.T) {
	got := ratios([]float64{2, 9, 4}, []float64{1, 3})
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("got %v", got)
	}
}

func TestSlope(t *testing.T) {
	if s := slope([]float64{50, 200, 500}, []float64{100, 250, 550}); math.Abs(s-1) > 1e-9 {
		t.Fatalf("slope %v, want 1", s)
	}
	if s := slope([]float64{1, 1}, []float64{1, 2}); !math.IsNaN(s) {
		t.Fatalf("vertical: %v", s)
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1 000", 1234567: "1 234 567", -12345: "−12 345"} {
		if got := num(in); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
	if got := pctText(spread{Median: 0.973, Min: 0.951, Max: 1.01}); got != "−2.7 % (−4.9 … +1.0 %)" {
		t.Errorf("pctText: %q", got)
	}
	if got := perOp(7.5e-6); got != "7.5 µs" {
		t.Errorf("perOp: %q", got)
	}
}
