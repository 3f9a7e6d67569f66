//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valora-k6/valora-k6/standin"
)

// TestProvision sets up a Valora from admin credentials alone with dist/provision.js, twice: the second run must
// reuse what the first made, including its API key and webhook secret (read back from the environment file, so a
// copy of the first file keeps working), replace nothing, and write the file with mode 0600. Then smoke runs on
// nothing but the environment file, with Valora's known defects accepted.
func TestProvision(t *testing.T) {
	fixture := server(t, standin.Config{})
	admin := map[string]string{
		"BASE_URL":       fixture["BASE_URL"],
		"ADMIN_EMAIL":    fixture["ADMIN_EMAIL"],
		"ADMIN_PASSWORD": fixture["ADMIN_PASSWORD"],
		// The original suite's defaults must not leak in: provision finds the org from the login.
		"API_KEY": "", "CUSTOMER_ID": "", "METER_CODE": "", "ORG_ID": "", "WEBHOOK_SECRET": "",
	}
	envPath := filepath.Join(t.TempDir(), "made", "by", "provision", "valora.env")

	var first map[string]string
	for run := 1; run <= 2; run++ {
		res := runK6(t, scenario("provision"), admin, map[string]string{"PROVISION_ENV_FILE": envPath})
		if res.code != 0 {
			t.Fatalf("provision run %d failed:\n%s", run, res)
		}
		if fi, err := os.Stat(envPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("provision run %d: the environment file must have mode 0600 (%v, %v)", run, fi, err)
		}
		// The first run replaces the fixture's Stripe secret, which it cannot know, and must say so; the second
		// run knows the secret from the file and must replace nothing.
		if replaced := strings.Contains(res.output, "REPLACED"); replaced != (run == 1) {
			t.Errorf("provision run %d: REPLACED printed %v, want %v:\n%s", run, replaced, run == 1, res.output)
		}
		env := readEnvFile(t, envPath)
		for _, key := range []string{"BASE_URL", "API_KEY", "ORG_ID", "CUSTOMER_ID", "METER_CODE", "WEBHOOK_SECRET"} {
			if env[key] == "" {
				t.Fatalf("provision run %d wrote no %s (have %v)", run, key, keys(env))
			}
		}
		if env["API_KEY"] == fixture["API_KEY"] || env["CUSTOMER_ID"] == fixture["CUSTOMER_ID"] {
			t.Fatalf("provision reused the stand-in's fixture instead of provisioning its own")
		}
		if strings.Contains(res.output, env["API_KEY"]) || strings.Contains(res.output, env["WEBHOOK_SECRET"]) {
			t.Errorf("provision run %d printed a secret", run)
		}
		if first == nil {
			first = env
		} else {
			for _, key := range []string{"CUSTOMER_ID", "METER_CODE", "API_KEY", "WEBHOOK_SECRET"} {
				if env[key] != first[key] {
					t.Errorf("the second run changed %s instead of reusing it: every earlier environment file breaks", key)
				}
			}
		}
	}
	// The first file, kept elsewhere, still works after the second run: its webhook secret is still Valora's.
	res := runK6(t, scenario("webhook_idempotency"), admin, first, quick)
	if res.code != 0 {
		t.Fatalf("webhook_idempotency on the first run's environment failed after the second run:\n%s", res)
	}

	env := readEnvFile(t, envPath)
	res = runK6(t, scenario("smoke"), admin, env, quick)
	if res.code != 0 {
		t.Fatalf("smoke on the provisioned environment failed:\n%s", res)
	}
}

// readEnvFile reads KEY='value' lines the way `set -a; . file` would for the values provision writes.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("env file: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("env file line %q is not KEY=value", line)
		}
		v = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, `'`)
		env[k] = v
	}
	return env
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
