package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// The known defects ours accept are exactly those of the catalog that the scenarios measured check.
func TestScenarioPairsAcceptTheKnownDefects(t *testing.T) {
	b, err := os.ReadFile("../../../dist/catalog.json")
	if err != nil {
		t.Skipf("dist/catalog.json: %v (make build writes it)", err)
	}
	var c struct {
		KnownDefects map[string]string   `json:"knownDefects"`
		Scenarios    map[string][]string `json:"scenarios"` // the invariants each checks
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	var accepted []string
	for _, sp := range scenarioPairs {
		if sp.Original.Accept != "" {
			t.Errorf("%s: the original script checks no invariant, so accepts none", sp.Key)
		}
		if sp.Ours.Accept != "" {
			accepted = append(accepted, strings.Split(sp.Ours.Accept, ",")...)
		}
	}
	var known []string
	for _, sp := range scenarioPairs {
		for _, name := range c.Scenarios[sp.Name] {
			if _, ok := c.KnownDefects[name]; ok {
				known = append(known, name)
			}
		}
	}
	slices.Sort(accepted)
	slices.Sort(known)
	if !slices.Equal(accepted, known) {
		t.Errorf("accepted %v, the catalog's known defects are %v", accepted, known)
	}
}
