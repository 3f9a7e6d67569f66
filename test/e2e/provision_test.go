//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valora-k6/valora-k6/standin"
	"github.com/valora-k6/valora-k6/standin/standintest"
)

// TestProvision sets up a Valora from admin credentials alone with dist/provision.js, twice: the second run must
// reuse what the first made, including its API key and webhook secret (read back from the environment file, so a
// copy of the first file keeps working), replace nothing, and write the file with mode 0600. The first run also
// makes tenant B (a second org through the API) and invites a MEMBER into org A; the second completes the invite
// with the id its email carried. Then smoke runs on nothing but the environment file, with Valora's known defects
// accepted: tenant_isolation's part included, on the provisioned tenant B and member.
func TestProvision(t *testing.T) {
	srv, fixture := standintest.Start(t, standin.Config{})
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
		extra := map[string]string{"PROVISION_ENV_FILE": envPath}
		if run == 2 {
			// What the invite email's link carries (Valora returns the id to no one).
			sent := srv.Invites()
			if len(sent) != 1 || sent[0].Role != "MEMBER" || sent[0].OrgID != first["ORG_ID"] {
				t.Fatalf("the first run must invite one MEMBER into org A; sent %+v", sent)
			}
			extra["TENANT_MEMBER_INVITE_ID"] = sent[0].ID
		}
		res := runK6(t, scenario("provision"), admin, extra)
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
		for _, key := range []string{"BASE_URL", "API_KEY", "ORG_ID", "CUSTOMER_ID", "METER_CODE", "WEBHOOK_SECRET",
			"TENANT_B_API_KEY", "TENANT_B_ORG_ID", "TENANT_B_CUSTOMER_ID", "TENANT_B_METER_CODE", "TENANT_B_WEBHOOK_SECRET"} {
			if env[key] == "" {
				t.Fatalf("provision run %d wrote no %s (have %v)", run, key, keys(env))
			}
		}
		if env["API_KEY"] == fixture["API_KEY"] || env["CUSTOMER_ID"] == fixture["CUSTOMER_ID"] {
			t.Fatalf("provision reused the stand-in's fixture instead of provisioning its own")
		}
		if env["TENANT_B_ORG_ID"] == env["ORG_ID"] || env["TENANT_B_ORG_ID"] == fixture["TENANT_B_ORG_ID"] {
			t.Fatalf("tenant B must be an org of its own, made by provision: %s", env["TENANT_B_ORG_ID"])
		}
		if (env["TENANT_MEMBER_EMAIL"] != "") != (run == 2) {
			t.Fatalf("provision run %d: TENANT_MEMBER_EMAIL %q: the invite is completed by the second run only", run, env["TENANT_MEMBER_EMAIL"])
		}
		if strings.Contains(res.output, env["API_KEY"]) || strings.Contains(res.output, env["WEBHOOK_SECRET"]) ||
			strings.Contains(res.output, env["TENANT_B_API_KEY"]) || strings.Contains(res.output, env["TENANT_B_WEBHOOK_SECRET"]) ||
			(env["TENANT_MEMBER_PASSWORD"] != "" && strings.Contains(res.output, env["TENANT_MEMBER_PASSWORD"])) {
			t.Errorf("provision run %d printed a secret", run)
		}
		if first == nil {
			first = env
		} else {
			for _, key := range []string{"CUSTOMER_ID", "METER_CODE", "API_KEY", "WEBHOOK_SECRET",
				"TENANT_B_ORG_ID", "TENANT_B_API_KEY", "TENANT_B_CUSTOMER_ID", "TENANT_B_WEBHOOK_SECRET"} {
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
