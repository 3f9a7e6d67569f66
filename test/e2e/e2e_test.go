//go:build e2e

// Package e2e runs the built ./k6 and the bundled dist/ scenarios against the stand-in server, started in
// process on a free loopback port: healthy, every scenario passes; under each fault, the scenarios that guard
// that invariant fail and name it. `make test-e2e` builds what these tests run.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
	"github.com/valora-k6/valora-k6/standin/standintest"
)

var (
	root    = mustAbs("../..")
	k6Bin   = filepath.Join(root, "k6")
	distDir = filepath.Join(root, "dist")
)

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

// quick shortens every scenario so the whole matrix runs in minutes; the invariants checked are the same.
// ACCEPT_VIOLATIONS accepts Valora's known defects, which the healthy stand-in reproduces (catalog knownDefects).
var quick = map[string]string{
	"INGEST_VUS": "4", "INGEST_DURATION": "4s",
	"IDEMPOTENCY_ITERATIONS": "10",
	"BURST_VUS":              "12",
	"AUTH_VUS":               "2", "AUTH_DURATION": "4s", "AUTH_COMPARE": "true",
	"WEBHOOK_VUS":   "6",
	"DASHBOARD_VUS": "2", "DASHBOARD_DURATION": "4s",
	"PAGE_SIZE": "10", "MAX_PAGES": "20",
	"CAPACITY_START": "20", "CAPACITY_MAX": "30", "CAPACITY_STEPS": "2", "CAPACITY_STEP_DURATION": "3s",
	"TENANT_VUS": "2", "TENANT_DURATION": "2s",
	"BILLING_DISTINCT_EVENTS": "60", "BILLING_VUS": "4", "BILLING_RETRIES": "2",
}

func TestMain(m *testing.M) {
	for _, p := range []string{k6Bin, filepath.Join(distDir, "ingest_load.js"), filepath.Join(distDir, "catalog.json")} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is missing: run `make build` first (make test-e2e does)\n", p)
			os.Exit(1)
		}
	}
	if err := loadCatalog(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	quick["ACCEPT_VIOLATIONS"] = strings.Join(knownDefects(), ",")
	os.Exit(m.Run())
}

// server starts a stand-in with the given configuration and returns its environment.
func server(t *testing.T, cfg standin.Config) map[string]string {
	t.Helper()
	_, env := standintest.Start(t, cfg)
	return env
}

type result struct {
	script string
	code   int
	// reports is the REPORT_DIR the run wrote its summaries to.
	reports string
	output  string
	// failed lists the thresholds k6 itself said were crossed.
	failed []string
	// report is what the run's summary.json says of the verdict and every invariant (nil when none was written).
	report *runReport
}

func (r result) String() string {
	verdict := "(no report)"
	if r.report != nil {
		verdict = r.report.Verdict + " " + strings.Join(r.report.Reasons, "; ")
	}
	return fmt.Sprintf("%s exited %d; %s\n%s", r.script, r.code, verdict, r.output)
}

var crossed = regexp.MustCompile(`thresholds on metrics '([^']+)' (?:have been|were) crossed`)

// runK6 runs `./k6 run <script>` with the stand-in's environment plus overrides, the way a user would.
func runK6(t *testing.T, script string, env ...map[string]string) result {
	t.Helper()
	return runK6Args(t, script, nil, env...)
}

// runK6Args is runK6 with extra command-line flags.
func runK6Args(t *testing.T, script string, flags []string, env ...map[string]string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"run", "--no-color", "--no-usage-report"}, flags...)
	cmd := exec.CommandContext(ctx, k6Bin, append(args, script)...)
	cmd.Dir = root
	reports := t.TempDir()
	cmd.Env = append(os.Environ(), "REPORT_DIR="+reports, "K6_NO_USAGE_REPORT=true")
	for _, e := range env {
		for k, v := range e {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := result{script: filepath.Base(script), output: out.String(), reports: reports}
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s: %v", script, err)
		}
		res.code = exitErr.ExitCode()
	}
	for _, m := range crossed.FindAllStringSubmatch(res.output, -1) {
		for _, name := range strings.Split(m[1], ", ") {
			res.failed = append(res.failed, strings.Trim(name, "'"))
		}
	}
	res.report = readReport(reports, strings.TrimSuffix(res.script, ".js"))
	return res
}

func scenario(name string) string { return filepath.Join(distDir, name+".js") }

// TestModuleSmoke runs every export of k6/x/valora inside the built ./k6.
func TestModuleSmoke(t *testing.T) {
	res := runK6(t, filepath.Join(root, "test/k6/module_smoke.js"))
	if res.code != 0 {
		t.Fatalf("module smoke test failed:\n%s", res)
	}
}

// TestReportsKeepSecrets runs the smoke scenario with reports on and searches its output and every report for
// the fixture's secrets.
func TestReportsKeepSecrets(t *testing.T) {
	// Valora's seeded password "admin" is a word every report contains; use one that can only leak.
	env := server(t, standin.Config{AdminPassword: "pw-Zq8!leak-canary"})
	res := runK6(t, scenario("smoke"), env, quick)
	if res.code != 0 {
		t.Fatalf("smoke failed:\n%s", res)
	}
	texts := map[string]string{"output": res.output}
	entries, err := os.ReadDir(res.reports)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(res.reports, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		texts[e.Name()] = string(raw)
	}
	for _, want := range []string{"smoke.summary.json", "smoke.junit.xml", "smoke.invariants.md"} {
		if _, ok := texts[want]; !ok {
			t.Errorf("report %s was not written (have %v)", want, entries)
		}
	}
	var summary map[string]any
	if err := json.Unmarshal([]byte(texts["smoke.summary.json"]), &summary); err != nil {
		t.Errorf("smoke.summary.json is not JSON: %v", err)
	}
	if _, ok := summary["setup_data"]; ok {
		t.Errorf("smoke.summary.json carries setup_data")
	}
	for _, key := range []string{"API_KEY", "WEBHOOK_SECRET", "ADMIN_PASSWORD", "ADMIN_SESSION", "ADYEN_HMAC_KEY", "BRAINTREE_PRIVATE_KEY"} {
		secret := env[key]
		if secret == "" {
			t.Fatalf("fixture has no %s", key)
		}
		if len(secret) < 5 {
			t.Fatalf("fixture secret %s is too short to search for", key)
		}
		for name, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("%s appears in %s", key, name)
			}
		}
	}
}

// TestSecretSource: the secrets can come from k6's own secret sources (here `--secret-source=file=…`) instead of
// the environment; the run works on them, and they appear in no output and no report.
func TestSecretSource(t *testing.T) {
	env := server(t, standin.Config{AdminPassword: "pw-Source-canary-9"})
	var file strings.Builder
	plain := map[string]string{}
	for k, v := range env {
		plain[k] = v
	}
	for _, key := range []string{"API_KEY", "ADMIN_PASSWORD", "WEBHOOK_SECRET", "ADYEN_HMAC_KEY"} {
		fmt.Fprintf(&file, "%s=%s\n", key, env[key])
		plain[key] = "" // not in the environment: only the secret source has it
	}
	path := filepath.Join(t.TempDir(), "secrets.txt")
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runK6Args(t, scenario("smoke"), []string{"--secret-source=file=" + path}, plain, quick)
	if res.code != 0 {
		t.Fatalf("smoke with its secrets from a secret source failed:\n%s", res)
	}
	texts := map[string]string{"output": res.output}
	entries, _ := os.ReadDir(res.reports)
	for _, e := range entries {
		raw, _ := os.ReadFile(filepath.Join(res.reports, e.Name()))
		texts[e.Name()] = string(raw)
	}
	for _, key := range []string{"API_KEY", "ADMIN_PASSWORD", "WEBHOOK_SECRET", "ADYEN_HMAC_KEY"} {
		for name, text := range texts {
			if strings.Contains(text, env[key]) {
				t.Errorf("%s from the secret source appears in %s", key, name)
			}
		}
	}
}
