//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
)

// TestInterruptedIsNotPassed: Ctrl-C (SIGINT) four seconds into a 20-second run. k6 exits 105, and the summary,
// the JUnit report and the markdown report all say INTERRUPTED.
func TestInterruptedIsNotPassed(t *testing.T) {
	env := server(t, standin.Config{})
	reports := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6Bin, "run", "--no-color", "--no-usage-report", scenario("ingest_load"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "REPORT_DIR="+reports, "INGEST_VUS=2", "INGEST_DURATION=20s")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 105 {
		t.Errorf("exit %d, want k6's 105 for an external abort\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "· INTERRUPTED") || strings.Contains(out.String(), "· PASSED") {
		t.Errorf("the summary must say INTERRUPTED, never PASSED:\n%s", out.String())
	}
	junit, _ := os.ReadFile(filepath.Join(reports, "ingest_load.junit.xml"))
	if !bytes.Contains(junit, []byte(`value="INTERRUPTED"`)) || bytes.Contains(junit, []byte(`failures="0"`)) {
		t.Errorf("the JUnit report must carry the INTERRUPTED verdict as a failure:\n%s", junit)
	}
	md, _ := os.ReadFile(filepath.Join(reports, "ingest_load.invariants.md"))
	if !bytes.Contains(md, []byte("Verdict: INTERRUPTED")) {
		t.Errorf("the markdown report must say INTERRUPTED:\n%s", md)
	}
}

// TestNoThresholdsNeverPassesAViolation: with --no-thresholds k6 evaluates nothing, but a violated invariant still
// makes the verdict FAILED and the exit non-zero.
func TestNoThresholdsNeverPassesAViolation(t *testing.T) {
	env := server(t, standin.Config{Faults: []standin.Fault{standin.FaultIngestSharedID}})
	res := runK6Args(t, scenario("ingest_load"), []string{"--no-thresholds"}, env, quick)
	if res.code == 0 || res.report == nil || res.report.Verdict != "FAILED" {
		t.Fatalf("want FAILED with a non-zero exit:\n%s", res)
	}
	if strings.Contains(res.output, "· PASSED") {
		t.Errorf("PASSED printed over a violation")
	}
	if res.code != 110 {
		t.Errorf("exit %d, want 110 (the run marked failed, since k6 evaluated no threshold)", res.code)
	}
}

// TestUncheckedMainInvariantIsIncomplete: webhook_idempotency without admin access cannot see the balance, so it
// cannot check webhook_effect_once, even against a stand-in that processes every event twice: INCOMPLETE (110),
// with the reason. Declared optional, the same run passes and says so.
func TestUncheckedMainInvariantIsIncomplete(t *testing.T) {
	env := server(t, standin.Config{Faults: []standin.Fault{standin.FaultWebhookReplay}})
	noAdmin := map[string]string{"ADMIN_SESSION": "", "ADMIN_EMAIL": "", "ADMIN_PASSWORD": ""}
	res := runK6(t, scenario("webhook_idempotency"), env, quick, noAdmin)
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE, exit 110:\n%s", res)
	}
	eff, _ := res.report.invariant("webhook_effect_once")
	if eff.Status != "not checked" || !strings.Contains(eff.Note, "no admin access") {
		t.Errorf("webhook_effect_once: want NOT CHECKED for want of admin access, got %+v", eff)
	}
	res = runK6(t, scenario("webhook_idempotency"), env, quick, noAdmin,
		map[string]string{"OPTIONAL_INVARIANTS": "webhook_effect_once"})
	if res.code != 0 || res.report == nil || res.report.Verdict != "PASSED" {
		t.Fatalf("with OPTIONAL_INVARIANTS=webhook_effect_once: want PASSED:\n%s", res)
	}
	if eff, _ := res.report.invariant("webhook_effect_once"); !eff.Optional || !strings.Contains(eff.Note, "OPTIONAL_INVARIANTS") {
		t.Errorf("the optional invariant must say it was declared optional: %+v", eff)
	}
}

// TestUnsoundSettingsAreRefused: settings under which an invariant cannot be tested stop the run with a
// configuration error that names them, before any load.
func TestUnsoundSettingsAreRefused(t *testing.T) {
	env := server(t, standin.Config{Faults: []standin.Fault{standin.FaultIngestDuplicate}})
	cases := []struct {
		name   string
		script string
		flags  []string
		env    map[string]string
		want   string
	}{
		{"one burst VU", "ingest_burst", nil, map[string]string{"BURST_VUS": "1"}, "BURST_VUS: must be at least 2"},
		{"no teardown", "webhook_idempotency", []string{"--no-teardown"}, nil, "--no-teardown"},
		{"one webhook VU", "webhook_idempotency", nil, map[string]string{"WEBHOOK_VUS": "1"}, "WEBHOOK_VUS: must be at least 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runK6Args(t, scenario(c.script), c.flags, env, quick, c.env)
			if res.code != 107 || !strings.Contains(res.output, c.want) {
				t.Errorf("want exit 107 naming %q:\n%s", c.want, res)
			}
		})
	}
	// Split over three instances, three burst VUs leave one per instance: each refuses.
	for i, res := range runSplit(t, "ingest_burst", env, quick, map[string]string{"BURST_VUS": "3"}) {
		if res.code != 107 || !strings.Contains(res.output, "BURST_VUS: 3 VUs give this instance 1") {
			t.Errorf("instance %d: want a configuration error naming BURST_VUS:\n%s", i, res)
		}
	}
}

// TestConfigurationErrors: every bad variable gets one line that names it, without a JS stack trace.
func TestConfigurationErrors(t *testing.T) {
	env := server(t, standin.Config{})
	cases := []struct{ key, value, script, want string }{
		{"INGEST_VUS", "99999999999999999999", "ingest_load", "INGEST_VUS: must be at most 10000"},
		{"INGEST_DURATION", "0s", "ingest_load", "INGEST_DURATION: must be longer than 0"},
		{"INGEST_DURATION", "30", "ingest_load", "INGEST_DURATION: needs a unit, e.g. 30s"},
		{"PAGE_SIZE", "99999999", "pagination", "PAGE_SIZE: must be at most 1000"},
		{"PAYMENT_PROVIDER", "../../admin", "webhook_idempotency", "PAYMENT_PROVIDER: not one of stripe, adyen, braintree"},
		{"PAGINATION_SEED", "100000", "pagination", "PAGINATION_SEED: must be at most 500"},
		{"ACCEPT_VIOLATIONS", "no_such_invariant", "ingest_load", "is not an invariant of this suite"},
		{"WEBHOOK_BALANCE_TIMEOUT", "15", "webhook_idempotency", "WEBHOOK_BALANCE_TIMEOUT: needs a unit"},
	}
	for _, c := range cases {
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			res := runK6(t, scenario(c.script), env, quick, map[string]string{c.key: c.value})
			if res.code != 107 || !strings.Contains(res.output, c.want) {
				t.Fatalf("want exit 107 with %q:\n%s", c.want, res)
			}
			if strings.Contains(res.output, "\tat ") || strings.Contains(res.output, "file:///") {
				t.Errorf("the configuration error carries a stack trace:\n%s", res.output)
			}
		})
	}
}

// TestErrorsBlameTheRightVariable: a BASE_URL that is not Valora's root, a server that fails, and the original
// suite's sample key used because API_KEY was unset are each told as what they are.
func TestErrorsBlameTheRightVariable(t *testing.T) {
	env := server(t, standin.Config{})
	t.Run("BASE_URL with a path", func(t *testing.T) {
		res := runK6(t, scenario("ingest_load"), env, quick, map[string]string{"BASE_URL": env["BASE_URL"] + "/valora"})
		if res.code != 108 || !strings.Contains(res.output, "BASE_URL") || strings.Contains(res.output, "API_KEY check failed") {
			t.Errorf("want an abort naming BASE_URL:\n%s", res)
		}
	})
	t.Run("a server answering 500", func(t *testing.T) {
		fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" {
				_, _ = w.Write([]byte(`{"status":"ok"}`))
				return
			}
			w.WriteHeader(http.StatusInternalServerError)
		}))
		defer fail.Close()
		res := runK6(t, scenario("ingest_load"), env, quick, map[string]string{"BASE_URL": fail.URL})
		if res.code != 108 || !strings.Contains(res.output, "Valora failed") {
			t.Errorf("want an abort saying the server failed, not the key:\n%s", res)
		}
	})
	t.Run("API_KEY unset", func(t *testing.T) {
		res := runK6(t, scenario("ingest_load"), env, quick, map[string]string{"API_KEY": ""})
		if res.code != 108 || !strings.Contains(res.output, "API_KEY (unset, so the original suite's sample value was used)") {
			t.Errorf("want the abort to say API_KEY was unset and the sample key used:\n%s", res)
		}
	})
}

// TestSecretsInURLsAndShortSecrets: credentials in BASE_URL never show, a short password is hidden where it stands
// alone without garbling addresses that contain its characters.
func TestSecretsInURLsAndShortSecrets(t *testing.T) {
	// A port nothing listens on: the run aborts as unreachable and prints the URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	res := runK6(t, scenario("ingest_load"), map[string]string{
		"BASE_URL":           "http://k6user:Pw-In-Url-77@" + addr,
		"API_KEY":            "vk_live_key_ABC_0123456789abcdef",
		"ADMIN_DATABASE_URL": "postgres://valora:1@127.0.0.1:1/valora",
		"ADMIN_EMAIL":        "admin@railzway.com",
	}, quick)
	if res.code != 108 {
		t.Fatalf("want an abort on the unreachable BASE_URL:\n%s", res)
	}
	if strings.Contains(res.output, "Pw-In-Url-77") {
		t.Errorf("BASE_URL's credentials were printed:\n%s", res.output)
	}
	if !strings.Contains(res.output, addr) {
		t.Errorf("the unreachable address must still be named (%s):\n%s", addr, res.output)
	}
	if strings.Contains(res.output, "[redacted]27.0.0") {
		t.Errorf("a one-character password garbled an address:\n%s", res.output)
	}
}

// TestMissingReportDirIsCreated: REPORT_DIR may name a directory that does not exist yet.
func TestMissingReportDirIsCreated(t *testing.T) {
	env := server(t, standin.Config{})
	dir := filepath.Join(t.TempDir(), "not", "yet")
	res := runK6(t, scenario("api_key_auth_perf"), env, quick, map[string]string{"REPORT_DIR": dir})
	if res.code != 0 {
		t.Fatalf("run failed:\n%s", res)
	}
	for _, f := range []string{"api_key_auth_perf.summary.json", "api_key_auth_perf.junit.xml", "api_key_auth_perf.invariants.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("report %s was not written to the missing REPORT_DIR: %v", f, err)
		}
	}
}

// TestAuthRatioIsOptIn: the original auth_overhead_ratio threshold flips on a healthy Valora, so it is a threshold
// only with AUTH_RATIO_THRESHOLD=true; the overhead in milliseconds is always one.
func TestAuthRatioIsOptIn(t *testing.T) {
	env := server(t, standin.Config{})
	res := runK6(t, scenario("api_key_auth_perf"), env, quick)
	if res.code != 0 || res.report == nil {
		t.Fatalf("run failed:\n%s", res)
	}
	if res.report.hasThreshold("auth_overhead_ratio") || !res.report.hasThreshold("auth_overhead_ms") {
		t.Errorf("by default auth_overhead_ms is a threshold and auth_overhead_ratio is not")
	}
	res = runK6(t, scenario("api_key_auth_perf"), env, quick, map[string]string{"AUTH_RATIO_THRESHOLD": "true"})
	if res.report == nil || !res.report.hasThreshold("auth_overhead_ratio") {
		t.Errorf("AUTH_RATIO_THRESHOLD=true must add the ratio threshold:\n%s", res)
	}
}

// TestLimiterExplainsIngestLoad: with Valora's limiter on, 4 VUs posting flat out on one customer and meter meet
// its token buckets (and its per-(customer, meter) lock), and the original 429-rate threshold fails: the output
// names the limiter that answered and says the threshold fails by design.
func TestLimiterExplainsIngestLoad(t *testing.T) {
	env := server(t, standin.Config{RateLimit: true})
	res := runK6(t, scenario("ingest_load"), env, quick)
	if res.code != 99 {
		t.Fatalf("want the 429-rate threshold to fail (99):\n%s", res)
	}
	if !strings.Contains(res.output, "X-Rate-Limited-Reason") || !strings.Contains(res.output, "by design") {
		t.Errorf("the output must name the limiter that answered and say the threshold fails by design:\n%s", res.output)
	}
}

// TestBarrierTimeoutIsNotChecked: k6's --vus/--iterations replace the scenario with fewer VUs than BURST_VUS, so
// the burst's barrier times out. The posts were never simultaneous: the burst invariants are NOT CHECKED, never
// HELD, and the run is INCOMPLETE.
func TestBarrierTimeoutIsNotChecked(t *testing.T) {
	env := server(t, standin.Config{})
	res := runK6Args(t, scenario("ingest_burst"), []string{"--vus", "2", "--iterations", "2"}, env, quick)
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE (110) when the barrier times out:\n%s", res)
	}
	for _, name := range []string{"burst_no_5xx", "burst_accepted", "burst_same_record"} {
		if r, _ := res.report.invariant(name); r.Status != "not checked" || !strings.Contains(r.Note, "barrier timed out") {
			t.Errorf("%s: want NOT CHECKED because the barrier timed out, got %+v", name, r)
		}
	}
}
