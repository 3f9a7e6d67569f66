//go:build examples

// Package examples runs every script in examples/ as a user would (`./k6 run examples/<name>.ts`, TypeScript
// straight to k6) against the stand-in Valora, started in process on a free loopback port, and the
// database-minting one against a throwaway PostgreSQL holding Valora's identity tables. It also typechecks the
// examples from a project of their own that finds the types of k6/x/valora only through this package's `types`
// entry, as a user's project would. `make examples` builds ./k6 first and runs these tests.
package examples

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/valora-k6/valora-k6/internal/pgtest"
	"github.com/valora-k6/valora-k6/standin"
	"github.com/valora-k6/valora-k6/standin/standintest"
)

var (
	root        = mustAbs("../..")
	k6Bin       = filepath.Join(root, "k6")
	examplesDir = filepath.Join(root, "examples")
)

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return abs
}

func TestMain(m *testing.M) {
	if _, err := os.Stat(k6Bin); err != nil {
		fmt.Fprintf(os.Stderr, "examples: %s is missing: run `make build` first (make examples does)\n", k6Bin)
		os.Exit(1)
	}
	os.Exit(pgtest.Run(m))
}

type result struct {
	code   int
	output string
}

// runExample runs examples/<name>.ts with only the given environment (nothing of the caller's leaks in: a
// developer's BASE_URL must not point an example at another server).
func runExample(t *testing.T, name string, env map[string]string, flags ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"run", "--no-color", "--quiet", "--no-usage-report"}, flags...)
	cmd := exec.CommandContext(ctx, k6Bin, append(args, filepath.Join("examples", name+".ts"))...)
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "K6_NO_USAGE_REPORT=true"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := result{output: out.String()}
	if exitErr, ok := err.(*exec.ExitError); ok {
		res.code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", name, err)
	}
	return res
}

func mustPass(t *testing.T, name string, res result) {
	t.Helper()
	if res.code != 0 {
		t.Fatalf("%s exited %d:\n%s", name, res.code, res.output)
	}
	if !strings.Contains(res.output, "checks_succeeded") || strings.Contains(res.output, "✗") {
		t.Fatalf("%s checked nothing, or a check failed:\n%s", name, res.output)
	}
}

// exampleNames lists examples/*.ts: every entry file, which each needs a runner below and a line in the README.
func exampleNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.ts"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".d.ts") {
			names = append(names, strings.TrimSuffix(filepath.Base(f), ".ts"))
		}
	}
	if len(names) == 0 {
		t.Fatal("no examples in examples/")
	}
	return names
}

func TestExamples(t *testing.T) {
	_, fixture := standintest.Start(t, standin.Config{})
	runners := map[string]func(t *testing.T){
		// As xk6 lint's smoke checker runs it: no server, no variable.
		"smoke":        func(t *testing.T) { mustPass(t, "smoke", runExample(t, "smoke", nil)) },
		"session_mint": func(t *testing.T) { testSessionMint(t) },
		"split_ids":    func(t *testing.T) { testSplitIDs(t, fixture) },
	}
	for _, name := range []string{"stripe_webhook", "adyen_webhook", "idempotency", "session_login", "cross_vu"} {
		runners[name] = func(t *testing.T) { mustPass(t, name, runExample(t, name, fixture)) }
	}

	readme, err := os.ReadFile(filepath.Join(examplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(readme), "examples/"+name+".ts") {
				t.Errorf("examples/README.md does not say how to run examples/%s.ts", name)
			}
			run, ok := runners[name]
			if !ok {
				t.Fatalf("examples/%s.ts has no runner in this test: add one, with the environment it needs", name)
			}
			run(t)
		})
	}
}

// TestExamplesFail proves that the runs above can fail: a wrong webhook secret must fail the Stripe example.
func TestExamplesFail(t *testing.T) {
	_, fixture := standintest.Start(t, standin.Config{})
	fixture["WEBHOOK_SECRET"] = "whsec_not_the_endpoint_secret"
	if res := runExample(t, "stripe_webhook", fixture); res.code != 99 {
		t.Fatalf("with a wrong secret, stripe_webhook should fail its checks threshold (exit 99), got %d:\n%s",
			res.code, res.output)
	}
}

// testSessionMint mints sessions in a PostgreSQL with Valora's identity tables, where the fixture's owner exists.
func testSessionMint(t *testing.T) {
	url := pgtest.StartShared(t).NewDatabase(t)
	pgtest.ApplyValoraIdentitySchema(t, url)
	const userID, orgID = "2008111837777760300", "2008111837777760256"
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `
		INSERT INTO users (id, email, provider, display_name, password_hash, is_default, metadata, created_at, updated_at)
		VALUES (`+userID+`, 'admin@railzway.com', 'local', 'Admin', 'x', true, '{}', now(), now());
		INSERT INTO organization_members (id, org_id, user_id, role, created_at)
		VALUES (1, `+orgID+`, `+userID+`, 'OWNER', now());`); err != nil {
		t.Fatal(err)
	}

	mustPass(t, "session_mint", runExample(t, "session_mint", map[string]string{
		"ADMIN_DATABASE_URL": url, "ADMIN_EMAIL": "admin@railzway.com", "ORG_ID": orgID,
	}))

	var minted, revoked int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(revoked_at) FROM sessions WHERE user_id = $1 AND active_org_id = $2`,
		userID, orgID).Scan(&minted, &revoked); err != nil {
		t.Fatal(err)
	}
	if minted != 4 || revoked != 4 {
		t.Fatalf("want the example's 4 sessions minted for the org and all revoked in teardown, got %d minted, %d revoked",
			minted, revoked)
	}
}

var instanceLine = regexp.MustCompile(`instance node (\d+) runs (\d+) of (\d+) VUs`)

// testSplitIDs runs split_ids as two instances at once, with the execution segments k6-operator would give them.
func testSplitIDs(t *testing.T, fixture map[string]string) {
	segments := []string{"0:1/2", "1/2:1"}
	results := make([]result, len(segments))
	var wg sync.WaitGroup
	for i, seg := range segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runExample(t, "split_ids", fixture,
				"--execution-segment", seg, "--execution-segment-sequence", "0,1/2,1")
		}()
	}
	wg.Wait()
	nodes := map[string]bool{}
	vus := 0
	for i, res := range results {
		mustPass(t, "split_ids "+segments[i], res)
		m := instanceLine.FindStringSubmatch(res.output)
		if m == nil {
			t.Fatalf("split_ids %s did not say its node and share:\n%s", segments[i], res.output)
		}
		nodes[m[1]] = true
		n, _ := strconv.Atoi(m[2])
		vus += n
	}
	if len(nodes) != len(segments) {
		t.Errorf("the instances generated ids on the same snowflake node: %v", nodes)
	}
	if vus != 6 {
		t.Errorf("the instances' shares add up to %d VUs, want the example's 6", vus)
	}
}

// TestTypesFromAUserProject typechecks the examples in a project of their own, where the types of k6/x/valora
// come only from this package as npm packs it (its `types` entry), next to @types/k6: what a user gets with
// `npm install --save-dev github:valora-k6/valora-k6#<tag>` and `"types": ["k6", "valora-k6"]`.
func TestTypesFromAUserProject(t *testing.T) {
	packDir := t.TempDir()
	cmd := exec.Command("npm", "pack", "--json", "--pack-destination", packDir)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm pack: %v", err)
	}
	var packed []struct {
		Filename string
		Files    []struct{ Path string }
	}
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack --json: %v\n%s", err, out)
	}
	var files []string
	for _, f := range packed[0].Files {
		files = append(files, f.Path)
	}
	slices.Sort(files)
	if want := []string{"LICENSE", "NOTICE", "README.md", "index.d.ts", "package.json"}; !slices.Equal(files, want) {
		t.Errorf("the package holds %v, want %v", files, want)
	}

	project := t.TempDir()
	untar(t, filepath.Join(packDir, packed[0].Filename), filepath.Join(project, "node_modules", "valora-k6"))
	if err := os.MkdirAll(filepath.Join(project, "node_modules", "@types"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "node_modules", "@types", "k6"),
		filepath.Join(project, "node_modules", "@types", "k6")); err != nil {
		t.Fatal(err)
	}
	copyDir(t, examplesDir, project, func(name string) bool {
		return strings.HasSuffix(name, ".ts") // not tsconfig.json: the project's own follows
	})
	tsconfig := `{
  "compilerOptions": {
    "target": "ES2022", "module": "ES2022", "moduleResolution": "bundler", "lib": ["ES2022"],
    "types": ["k6", "valora-k6"],
    "strict": true, "noEmit": true, "allowImportingTsExtensions": true, "skipLibCheck": false
  },
  "include": ["*.ts", "lib/*.ts"]
}
`
	if err := os.WriteFile(filepath.Join(project, "tsconfig.json"), []byte(tsconfig), 0o644); err != nil {
		t.Fatal(err)
	}
	tsc := exec.Command(filepath.Join(root, "node_modules", ".bin", "tsc"), "-p", project)
	if out, err := tsc.CombinedOutput(); err != nil {
		t.Fatalf("the examples do not typecheck in a project that takes the types from the package: %v\n%s", err, out)
	}

	// And without the package the same project must not typecheck, or the test proves nothing.
	if err := os.RemoveAll(filepath.Join(project, "node_modules", "valora-k6")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(filepath.Join(root, "node_modules", ".bin", "tsc"), "-p", project).CombinedOutput(); err == nil {
		t.Fatalf("the project typechecked without the valora-k6 package:\n%s", out)
	}
}

// TestPackageVersionMatchesTag: on a release commit (HEAD tagged vX.Y.Z), package.json says X.Y.Z.
func TestPackageVersionMatchesTag(t *testing.T) {
	cmd := exec.Command("git", "tag", "--points-at", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("no git metadata: %v", err)
	}
	var pkg struct{ Version string }
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	semver := regexp.MustCompile(`^v(\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)$`)
	for _, tag := range strings.Fields(string(out)) {
		if m := semver.FindStringSubmatch(tag); m != nil && m[1] != pkg.Version {
			t.Errorf("HEAD is tagged %s but package.json says version %q (docs/releasing.md)", tag, pkg.Version)
		}
	}
}

func untar(t *testing.T, tgz, dest string) {
	t.Helper()
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg || strings.Contains(rel, "..") {
			continue
		}
		p := filepath.Join(dest, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyDir(t *testing.T, src, dest string, keep func(name string) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !keep(d.Name()) {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dest, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dest, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
