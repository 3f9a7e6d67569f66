package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/valora-k6/valora-k6/extension/webhook
BenchmarkSignStripe-2     	  785601	      1526 ns/op	 670.87 MB/s	     785 B/op	      13 allocs/op
BenchmarkSignStripe-2     	  785601	      1400 ns/op	 670.87 MB/s	     785 B/op	      13 allocs/op
BenchmarkSignStripe-2     	  785601	      1600 ns/op	 670.87 MB/s	     785 B/op	      13 allocs/op
ok  	github.com/valora-k6/valora-k6/extension/webhook	6.007s
pkg: github.com/valora-k6/valora-k6/standin
BenchmarkAPIKeyCheck-2   	 2000000	       452.5 ns/op	       0 B/op	       0 allocs/op
`
	got, err := parseGoBench(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d benchmarks: %+v", len(got), got)
	}
	s := got[0]
	if s.Package != "extension/webhook" || s.Name != "SignStripe" || s.NsPerOp.Median != 1526 ||
		s.NsPerOp.Min != 1400 || s.NsPerOp.Max != 1600 || s.BPerOp != 785 || s.Allocs != 13 || s.MBPerSec != 670.87 {
		t.Errorf("SignStripe: %+v", s)
	}
	if k := got[1]; k.Package != "standin" || k.Name != "APIKeyCheck" || k.NsPerOp.Median != 452.5 || k.Allocs != 0 {
		t.Errorf("APIKeyCheck: %+v", k)
	}
	if _, err := parseGoBench("PASS\n"); err == nil {
		t.Error("no benchmark in the output must be an error")
	}
}

func TestSteadyWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var samples []sample
	// 1 s of start-up without iterations, then 1000 it/s and 0.5 CPU-s per s for 10 s.
	for i := 0; i <= 110; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		s := sample{at: at}
		if i > 10 {
			run := float64(i-10) / 10
			s.iterations = int64(run * 1000)
			s.k6CPU = 2 + run*0.5
			s.standinCPU = run * 0.25
		}
		samples = append(samples, s)
	}
	res := k6Result{}
	steady(&res, samples, 10*time.Second, 100*time.Millisecond)
	if res.WholeRun {
		t.Fatal("fell back to whole-run figures")
	}
	if d := res.Rate - 1000; d > 1 || d < -1 {
		t.Errorf("rate %v, want 1000", res.Rate)
	}
	if d := res.CPUPerIter - 0.0005; d > 1e-9 || d < -1e-9 {
		t.Errorf("CPU per iteration %v, want 0.0005 (start-up CPU excluded)", res.CPUPerIter)
	}
	if d := res.StandinCores - 0.25; d > 1e-9 || d < -1e-9 {
		t.Errorf("stand-in cores %v, want 0.25", res.StandinCores)
	}

	short := k6Result{Iterations: 500, Usage: usage{CPU: 1, Wall: 2 * time.Second}}
	steady(&short, samples[:12], time.Second, 100*time.Millisecond)
	if !short.WholeRun || short.Rate != 500 || short.CPUPerIter != 0.002 {
		t.Errorf("too short a run must give whole-run figures: %+v", short)
	}
}

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	content := "BASE_URL='http://127.0.0.1:18200'\nAPI_KEY='k'\nCUSTOMER_ID='1'\nMETER_CODE='m'\nADMIN_PASSWORD='it'\\''s'\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if env["BASE_URL"] != "http://127.0.0.1:18200" || env["ADMIN_PASSWORD"] != "it's" {
		t.Errorf("got %v", env)
	}
	os.WriteFile(path, []byte("BASE_URL='x'\n"), 0o600)
	if _, err := readEnvFile(path); err == nil {
		t.Error("an environment without API_KEY must be refused")
	}
}

func TestRotated(t *testing.T) {
	got := rotated([]string{"a", "b", "c"}, 4)
	if got[0] != "b" || got[1] != "c" || got[2] != "a" {
		t.Errorf("got %v", got)
	}
}
