//go:build e2e

package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/valora-k6/valora-k6/standin"
)

// valoraLike serves the stand-in as a real Valora would look to the scenario: without the stand-in-only seam,
// whose paths fall through to Valora's SPA fallback (an HTML page with 200).
func valoraLike(t *testing.T, env map[string]string) string {
	t.Helper()
	target, err := url.Parse(env["BASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/standin/") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<!doctype html><html><body><div id=\"root\"></div></body></html>"))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBillingReconciliationNeedsTheDatabaseOnValora: against a server without the seam (a real Valora) and
// without ADMIN_DATABASE_URL, the run creates nothing and is INCOMPLETE, saying why.
func TestBillingReconciliationNeedsTheDatabaseOnValora(t *testing.T) {
	env := server(t, standin.Config{})
	res := runK6(t, scenario("billing_reconciliation"), env, quick, map[string]string{"BASE_URL": valoraLike(t, env), "ADMIN_DATABASE_URL": ""})
	if res.code != 110 || res.report == nil || res.report.Verdict != "INCOMPLETE" {
		t.Fatalf("want INCOMPLETE (110):\n%s", res)
	}
	if !strings.Contains(res.output, "ADMIN_DATABASE_URL is not set") || !strings.Contains(res.output, "nothing was created") {
		t.Errorf("the reason is not printed:\n%s", res.output)
	}
	if strings.Contains(res.output, "POST /api/customers") || strings.Contains(res.output, "moved to") {
		t.Errorf("the run went on without a way to bill:\n%s", res.output)
	}
}

// TestBillingReconciliationRefusesAnotherOrg: ORG_ID naming an org other than the key's, the one the run creates
// its subscription in, stops the run before anything is moved.
func TestBillingReconciliationRefusesAnotherOrg(t *testing.T) {
	env := server(t, standin.Config{})
	res := runK6(t, scenario("billing_reconciliation"), env, quick, map[string]string{"ORG_ID": env["TENANT_B_ORG_ID"]})
	if res.code != 108 || !strings.Contains(res.output, "refusing to move billing in an org the run did not create its subscription in") {
		t.Fatalf("want a setup abort (108) that refuses the org:\n%s", res)
	}
	if strings.Contains(res.output, "moved to") {
		t.Errorf("a cycle was moved:\n%s", res.output)
	}
}
