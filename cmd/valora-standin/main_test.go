package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
)

// started runs the command with args until the test ends and returns its first stdout line and the rest of
// its stdout as it arrives.
func started(t *testing.T, ctx context.Context, args ...string) (listening string, lines *bufio.Scanner, done <-chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		code := run(ctx, args, pw, &stderr)
		pw.Close()
		exit <- code
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("no output; stderr: %s", stderr.String())
	}
	t.Cleanup(func() { go io.Copy(io.Discard, pr) })
	return sc.Text(), sc, exit
}

func TestRunPrintsEnvAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t0 := time.Now()
	first, sc, done := started(t, ctx, "-addr", "127.0.0.1:0", "-customers", "3", "-quiet", "-seed", "5")
	if !strings.HasPrefix(first, "valora-standin listening on http://127.0.0.1:") {
		t.Fatalf("first line %q", first)
	}
	t.Logf("listening after %v", time.Since(t0)) // a figure, not a pass mark: the machine may be busy
	env := map[string]string{}
	for len(env) < len(standin.EnvKeys()) && sc.Scan() {
		line := sc.Text()
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !strings.HasPrefix(line, "export ") || !ok || !strings.HasPrefix(v, "'") || !strings.HasSuffix(v, "'") {
			t.Fatalf("line %q is not export KEY='value'", line)
		}
		env[k] = strings.Trim(v, "'")
	}
	base := strings.TrimPrefix(first, "valora-standin listening on ")
	if env["BASE_URL"] != base {
		t.Fatalf("BASE_URL %q, listening on %q", env["BASE_URL"], base)
	}
	req, _ := http.NewRequest("GET", base+"/api/customers?page_size=1", nil)
	req.Header.Set("Authorization", "Bearer "+env["API_KEY"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown")
	}
	if _, err := http.Get(base + "/health"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

// TestRunStopsOnSIGTERM sends the signal to the test process itself, which main's NotifyContext turns into a
// cancellation, as it does for the real binary.
func TestRunStopsOnSIGTERM(t *testing.T) {
	ctx, stop := signalContext()
	defer stop()
	_, sc, done := started(t, ctx, "-addr", "127.0.0.1:0", "-customers", "1", "-quiet")
	go func() {
		for sc.Scan() {
		}
	}()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not stop the server")
	}
}

func TestEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "standin.env")
	if err := os.WriteFile(path, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, sc, done := started(t, ctx, "-addr", "127.0.0.1:0", "-customers", "2", "-quiet", "-env-file", path, "-admin-password", "it's",
		"-rollup-interval", "1500ms")
	if !strings.HasPrefix(first, "valora-standin listening on ") {
		t.Fatalf("first line %q", first)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("env file mode %v, want 0600", fi.Mode().Perm())
	}
	content, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	if len(lines) != len(standin.EnvKeys()) {
		t.Fatalf("%d lines: %s", len(lines), content)
	}
	if !strings.Contains(string(content), `ADMIN_PASSWORD='it'\''s'`+"\n") || !strings.HasPrefix(lines[0], "BASE_URL='http://127.0.0.1:") {
		t.Fatalf("content %s", content)
	}
	for _, want := range []string{"VALORA_ROLLUP_INTERVAL='1s500ms'\n", "TENANT_B_API_KEY='vk_live_key_", "TENANT_B_WEBHOOK_SECRET='whsec_",
		"TENANT_B_ORG_ID='", "TENANT_B_CUSTOMER_ID='", "TENANT_B_METER_CODE='api_calls'\n"} {
		if !strings.Contains(string(content), want) {
			t.Errorf("env file lacks %q:\n%s", want, content)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	if sc.Scan() {
		t.Fatalf("stdout beyond the listening line: %q", sc.Text())
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-customers", "x"}, "-customers"},
		{[]string{"-customers", "0"}, "-customers"},
		{[]string{"-error-rate", "2"}, "-error-rate"},
		{[]string{"-capacity", "-1"}, "-capacity"},
		{[]string{"-capacity", "100001"}, "-capacity"},
		{[]string{"-slow-delay", "0s"}, "-slow-delay"},
		{[]string{"-rollup-interval", "0s"}, "-rollup-interval"},
		{[]string{"-rollup-interval", "100us"}, "-rollup-interval"},
		{[]string{"-max-body-bytes", "-1"}, "-max-body-bytes"},
		{[]string{"-read-header-timeout", "0s"}, "-read-header-timeout"},
		{[]string{"-webhook-delay", "50ms"}, "-webhook-delay"}, // gone: the rollup tick decides when balances move
		{[]string{"-faults", "slow,bogus"}, "-faults"},
		{[]string{"-bogus"}, "-bogus"},
		{[]string{"extra"}, "extra"},
		{[]string{"-addr", "256.1.1.1:1"}, "256.1.1.1"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		want := 2
		if tc.args[0] == "-addr" {
			want = 1 // a valid flag, but the address cannot be listened on
		}
		if code != want || !strings.Contains(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line naming %s", tc.args, code, stderr.String(), want, tc.want)
		}
	}
}

func TestListFaults(t *testing.T) {
	for _, args := range [][]string{{"-faults", "list"}, {"-list-faults"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		out := stdout.String()
		for _, f := range standin.Faults() {
			line := string(f.Name) + strings.Repeat(" ", 2)
			if !strings.Contains(out, "\n"+line) || !strings.Contains(out, "  "+f.Invariant+"\n") {
				t.Fatalf("%v: %s or its invariant missing from\n%s", args, f.Name, out)
			}
		}
		// The scenarios that catch a fault are the catalogue's business: the listing points there and names none.
		if strings.Contains(out, "CAUGHT BY") || !strings.Contains(out, "scenarios/suite/") || !strings.Contains(out, "dist/catalog.json") {
			t.Fatalf("%v: the listing should point at the catalogue instead of naming scenarios:\n%s", args, out)
		}
		if !strings.Contains(out, "Braintree signature check never runs") {
			t.Fatalf("%v: no Braintree note in\n%s", args, out)
		}
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, io.Discard); code != 0 {
		t.Fatalf("-h: %d %s", code, stdout.String())
	}
	for _, want := range []string{"-env-file", "-rollup-interval", "default 1m", "-max-body-bytes", "413", "default 0: no cap",
		"-read-header-timeout", "default 10s", "Braintree", "every N-th request, N = round(1/R)", "default 0.1: every 10th"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-h does not mention %q:\n%s", want, stdout.String())
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"": "''", "a b": "'a b'", "it's": `'it'\''s'`, `$x"\`: `'$x"\'`} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFlagsReachConfig(t *testing.T) {
	o, err := parseFlags([]string{"-rollup-interval", "2s", "-max-body-bytes", "1048576", "-read-header-timeout", "3s"})
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.RollupInterval != 2*time.Second || o.cfg.MaxBodyBytes != 1<<20 || o.cfg.ReadHeaderTimeout != 3*time.Second {
		t.Fatalf("config %+v", o.cfg)
	}
	o, err = parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.RollupInterval != time.Minute || o.cfg.MaxBodyBytes != 0 || o.cfg.ReadHeaderTimeout != 10*time.Second || o.cfg.ErrorRate != 0.1 {
		t.Fatalf("defaults %+v: want Valora's 1m tick, no body cap, 10s header timeout, error rate 0.1", o.cfg)
	}

	// The body cap is in force on the running server, unauthenticated webhook route included.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, sc, done := started(t, ctx, "-addr", "127.0.0.1:0", "-customers", "1", "-quiet", "-max-body-bytes", "64")
	go func() {
		for sc.Scan() {
		}
	}()
	base := strings.TrimPrefix(first, "valora-standin listening on ")
	res, err := http.Post(base+"/api/payments/webhooks/stripe", "application/json", strings.NewReader(`{"pad":"`+strings.Repeat("x", 100)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 413 || !strings.Contains(string(body), `"type":"payload_too_large"`) {
		t.Fatalf("over the cap: %d %s", res.StatusCode, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestErrorRateFlag: -error-rate 0.3 makes the errors-5xx fault fail every third request (round(1/0.3) = 3),
// exactly, on the running server; /health is neither failed nor counted.
func TestErrorRateFlag(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, sc, done := started(t, ctx, "-addr", "127.0.0.1:0", "-customers", "1", "-quiet", "-faults", "errors-5xx", "-error-rate", "0.3")
	env := map[string]string{}
	for len(env) < len(standin.EnvKeys()) && sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		env[k] = strings.Trim(v, "'")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	base := strings.TrimPrefix(first, "valora-standin listening on ")
	var got []int
	for i := 0; i < 9; i++ {
		req, _ := http.NewRequest("GET", base+"/api/customers?page_size=1", nil)
		req.Header.Set("Authorization", "Bearer "+env["API_KEY"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got = append(got, res.StatusCode)
		health, err := http.Get(base + "/health")
		if err != nil {
			t.Fatal(err)
		}
		health.Body.Close()
		if health.StatusCode != 200 {
			t.Fatalf("/health answered %d under errors-5xx", health.StatusCode)
		}
	}
	want := []int{200, 200, 500, 200, 200, 500, 200, 200, 500}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v (every third request fails)", got, want)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}
