//go:build e2e

// Package report checks the HTML report k6's built-in web dashboard exports for a run: it runs the smoke
// scenario against the stand-in with the export on, renders the file in headless Chromium with no network, and
// compares what was drawn with the run's own summary JSON. It needs ./k6, dist/ (`make test-e2e` builds them)
// and Debian's chromium (`make deps` installs it).
//
// The run's reports and the screenshot go to $REPORT_DIR/report-test/ when REPORT_DIR is set, else to a
// temporary directory. UPDATE_SCREENSHOT=1 also copies the screenshot to docs/report-screenshot.png, the one the
// README shows.
package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valora-k6/valora-k6/standin"
	"github.com/valora-k6/valora-k6/standin/standintest"
)

var (
	root    = mustAbs("../..")
	k6Bin   = filepath.Join(root, "k6")
	script  = filepath.Join(root, "dist", "smoke.js")
	docShot = filepath.Join(root, "docs", "report-screenshot.png")
)

const scenario = "smoke"

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

var chromium string

func TestMain(m *testing.M) {
	for _, p := range []string{k6Bin, script} {
		if _, err := os.Stat(p); err != nil {
			fmt.Fprintf(os.Stderr, "report: %s is missing: run `make build` first (make test-e2e does)\n", p)
			os.Exit(1)
		}
	}
	var err error
	if chromium, err = exec.LookPath("chromium"); err != nil {
		fmt.Fprintln(os.Stderr, "report: chromium is not installed: run `make deps` (scripts/install-deps.sh)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// secretKeys are the fixture variables whose values must not reach any report.
var secretKeys = []string{"API_KEY", "ADMIN_SESSION", "ADMIN_PASSWORD", "WEBHOOK_SECRET", "ADYEN_HMAC_KEY",
	"BRAINTREE_PRIVATE_KEY"}

func TestHTMLReport(t *testing.T) {
	dir := outputDir(t)
	report := filepath.Join(dir, scenario+".report.html")

	// Valora's seeded password "admin" occurs in every report as a word; use one that can only be a leak.
	env := startStandin(t, standin.Config{AdminPassword: "pw-Zq8!html-canary"})
	runK6(t, dir, env, report)

	for _, kind := range []string{".report.html", ".summary.json", ".junit.xml", ".invariants.md"} {
		if _, err := os.Stat(filepath.Join(dir, scenario+kind)); err != nil {
			t.Errorf("the run left no %s%s in REPORT_DIR: %v", scenario, kind, err)
		}
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no HTML report: %v", err)
	}
	summary := readSummary(t, filepath.Join(dir, scenario+".summary.json"))

	// The report carries the run as gzip+base64 JSON: a secret in it would not show to a plain search.
	data := embeddedData(t, raw)
	if !strings.Contains(data, `"http_reqs"`) {
		t.Fatalf("the report's embedded data has no http_reqs metric; wrong blob?\n%.500s", data)
	}
	dom := render(t, report, "--dump-dom")
	for _, key := range secretKeys {
		for _, secret := range secretForms(env[key]) {
			for name, text := range map[string]string{"HTML": string(raw), "embedded data": data, "rendered DOM": dom} {
				if strings.Contains(text, secret) {
					t.Errorf("%s appears in the report's %s", key, name)
				}
			}
		}
	}

	if ext := externalRef.FindString(string(raw)); ext != "" {
		t.Errorf("the report is not self-contained: it loads %s", ext)
	}

	checkRendered(t, dom, summary)

	shot := filepath.Join(dir, scenario+".report.png")
	render(t, report, "--screenshot="+shot, "--window-size=1400,1800")
	checkScreenshot(t, shot)
	t.Logf("screenshot: %s", shot)
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(docShot), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docShot, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", docShot)
	}
}

// outputDir keeps the run's files under $REPORT_DIR/report-test when REPORT_DIR is set, so they can be looked at.
func outputDir(t *testing.T) string {
	base := os.Getenv("REPORT_DIR")
	if base == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(base) {
		base = filepath.Join(root, base)
	}
	dir := filepath.Join(base, "report-test")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startStandin(t *testing.T, cfg standin.Config) map[string]string {
	t.Helper()
	_, env := standintest.Start(t, cfg)
	return env
}

// runK6 runs the scenario the way docs/reports.md tells a user to, with the dashboard's export on.
func runK6(t *testing.T, dir string, env map[string]string, report string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k6Bin, "run", "--no-color", "--no-usage-report", script)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"REPORT_DIR="+dir,
		"K6_NO_USAGE_REPORT=true",
		"K6_WEB_DASHBOARD=true",
		"K6_WEB_DASHBOARD_EXPORT="+report,
		// The live server cannot be turned off (PORT=-1 picks a random port on every interface): keep it on
		// a free loopback port.
		"K6_WEB_DASHBOARD_HOST=127.0.0.1",
		"K6_WEB_DASHBOARD_PORT=0",
		// k6 writes no report for a run shorter than two snapshot periods (default 10 s).
		"K6_WEB_DASHBOARD_PERIOD=1s",
	)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// The stand-in reproduces Valora's known defects; accepting them is what a user gating on Valora does.
	cmd.Env = append(cmd.Env, "ACCEPT_VIOLATIONS="+strings.Join(knownDefects(t), ","))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("k6 run %s: %v\n%s", filepath.Base(script), err, out)
	}
	if _, err := os.Stat(report); err != nil {
		t.Fatalf("k6 wrote no HTML report (%v):\n%s", err, out)
	}
}

// knownDefects are the invariants Valora itself violates, from the catalogue the build writes (dist/catalog.json).
func knownDefects(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "dist", "catalog.json"))
	if err != nil {
		t.Fatalf("dist/catalog.json: %v (run make build)", err)
	}
	var c struct {
		KnownDefects map[string]string `json:"knownDefects"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || len(c.KnownDefects) == 0 {
		t.Fatalf("dist/catalog.json lists no known defects (%v)", err)
	}
	var out []string
	for k := range c.KnownDefects {
		out = append(out, k)
	}
	return out
}

type summaryMetric struct {
	Type     string             `json:"type"`
	Contains string             `json:"contains"`
	Values   map[string]float64 `json:"values"`
}

func readSummary(t *testing.T, path string) map[string]summaryMetric {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Metrics map[string]summaryMetric `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s.Metrics
}

var dataBlob = regexp.MustCompile(`<script id="data" type="application/json; charset=utf-8; gzip; base64">([^<]*)</script>`)

// embeddedData decodes the run data the dashboard's export embeds (newline-delimited JSON events).
func embeddedData(t *testing.T, page []byte) string {
	t.Helper()
	m := dataBlob.FindSubmatch(page)
	if m == nil {
		t.Fatal("the report has no embedded data block")
	}
	gz, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(m[1])))
	if err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("embedded data: %v", err)
	}
	return string(b)
}

// secretForms is the value and, for prefixed secrets ("vk_live_key_<id>_<secret>", "whsec_<secret>"), its
// secret tail alone.
func secretForms(v string) []string {
	forms := []string{v}
	if i := strings.LastIndexByte(v, '_'); i >= 0 && len(v)-i-1 >= 8 {
		forms = append(forms, v[i+1:])
	}
	return forms
}

// externalRef finds what a browser would fetch from the network: scripts, styles, images, frames.
var externalRef = regexp.MustCompile(`(?i)<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"`)

// render loads the report in headless Chromium with a fresh profile and every host unresolvable, so it must
// render from the file alone; the virtual time budget lets its scripts draw before the DOM or screenshot is taken.
func render(t *testing.T, report string, args ...string) string {
	t.Helper()
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	flags := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile,
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--virtual-time-budget=10000",
	}
	cmd := exec.CommandContext(ctx, chromium, append(append(flags, args...), "file://"+report)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

// summaryRow is one row of the report's Summary tables: a metric name, then its aggregates as drawn.
var summaryRow = regexp.MustCompile(`<tr[^>]*><td align="left"[^>]*>([^<]+)</td>((?:<td align="right"[^>]*>[^<]*</td>)+)</tr>`)
var cell = regexp.MustCompile(`<td align="right"[^>]*>([^<]*)</td>`)

// checkRendered compares the Summary tables the dashboard drew with the run's summary JSON: every metric that
// got samples has a row, and the counts and rates are the run's.
func checkRendered(t *testing.T, dom string, summary map[string]summaryMetric) {
	t.Helper()
	rows := map[string][]string{}
	for _, m := range summaryRow.FindAllStringSubmatch(dom, -1) {
		var cells []string
		for _, c := range cell.FindAllStringSubmatch(m[2], -1) {
			cells = append(cells, html.UnescapeString(c[1]))
		}
		rows[html.UnescapeString(m[1])] = cells
	}
	if len(rows) == 0 {
		t.Fatalf("the rendered report has no summary table (blank or broken page?):\n%.2000s", dom)
	}
	for name, m := range summary {
		// Tagged sub-metrics live in the charts, not the tables; a counter with no samples is not drawn.
		if strings.Contains(name, "{") || (m.Type == "counter" && m.Values["count"] == 0) {
			continue
		}
		cells, ok := rows[name]
		if !ok {
			t.Errorf("metric %s of the run is missing from the rendered report", name)
			continue
		}
		switch {
		case m.Type == "counter" && m.Contains == "default":
			if got, ok := parseHuman(cells[0]); !ok || !(near(got, m.Values["count"], 0.01) || withinShown(cells[0], got, m.Values["count"])) {
				t.Errorf("%s: the report shows count %q, the run counted %v", name, cells[0], m.Values["count"])
			}
		case m.Type == "rate":
			got, ok := parseHuman(strings.TrimSuffix(cells[0], "%"))
			if !ok || math.Abs(got-100*m.Values["rate"]) > 0.1 {
				t.Errorf("%s: the report shows rate %q, the run's is %v", name, cells[0], m.Values["rate"])
			}
		}
	}
	if _, ok := rows["http_reqs"]; !ok {
		t.Errorf("the rendered report has no http_reqs row")
	}
}

// parseHuman reads the dashboard's short numbers: "987", "22.4k", "1.2M".
func parseHuman(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1e9, strings.TrimSuffix(s, "G")
	}
	f, err := strconv.ParseFloat(s, 64)
	return f * mult, err == nil
}

// withinShown allows for the rounding of the digits a short number shows: "3.2k" stands for 3150–3250.
func withinShown(shown string, got, want float64) bool {
	s := strings.TrimRight(strings.TrimSpace(shown), "kMG")
	unit := got / mustFloat(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		unit /= math.Pow(10, float64(len(s)-i-1))
	}
	return math.Abs(got-want) <= unit/2
}

func mustFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f == 0 {
		return 1
	}
	return f
}

// near allows for the dashboard rounding to three significant digits.
func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want)+0.5 }

// checkScreenshot rejects a blank page: the dashboard's charts fill a good part of the window in many colours.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1400 || b.Dy() != 1800 {
		t.Errorf("screenshot is %dx%d, want 1400x1800", b.Dx(), b.Dy())
	}
	inked, colours := inkAndColours(img)
	if inked < 0.05 || colours < 50 {
		t.Errorf("screenshot looks blank: %.1f%% non-white pixels, %d colours", 100*inked, colours)
	}
}

func inkAndColours(img image.Image) (float64, int) {
	b := img.Bounds()
	seen := map[[3]uint32]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				inked++
			}
		}
	}
	return float64(inked) / float64(b.Dx()*b.Dy()), len(seen)
}

func TestParseHuman(t *testing.T) {
	for in, want := range map[string]float64{"987": 987, "22.4k": 22400, "1.2M": 1.2e6, "0.0": 0, "100.0": 100} {
		if got, ok := parseHuman(in); !ok || got != want {
			t.Errorf("parseHuman(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := parseHuman("--"); ok {
		t.Error(`parseHuman("--") succeeded`)
	}
}
