// Package pgtest gives tests a real, throwaway PostgreSQL server: Debian's postgresql package, initialised in a
// temporary directory and listening on a free loopback port. Nothing outside that directory is touched.
//
// One server per test binary is the cheap way:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestX(t *testing.T) {
//		url := pgtest.StartShared(t).NewDatabase(t) // a fresh database for this test
//		pgtest.ApplyValoraIdentitySchema(t, url)
//	}
//
// When the PostgreSQL binaries are missing, tests fail and say to run `make deps`; outside CI (CI unset) they
// are skipped instead.
package pgtest

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed testdata/valora_identity.sql
var valoraIdentitySQL string

//go:embed testdata/valora_billing.sql
var valoraBillingSQL string

const (
	superuser     = "postgres"
	readyTimeout  = 30 * time.Second
	stopTimeout   = 10 * time.Second
	startAttempts = 3 // a free port can be taken by someone else between probing and binding
)

// errNotInstalled marks the one failure a developer fixes with `make deps`.
var errNotInstalled = errors.New("PostgreSQL server binaries not found (Debian package postgresql); run `make deps` (scripts/install-deps.sh installs it)")

// Server is a running throwaway PostgreSQL server.
type Server struct {
	URL      string // postgres://postgres:…@127.0.0.1:port/postgres?sslmode=disable
	Host     string
	Port     int
	User     string
	Password string // random per server; password authentication is on, so a wrong one is refused
	Version  string // major version, e.g. "15"

	dir     string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	stopErr error
	stopped sync.Once
	dbSeq   atomic.Int64
}

// Start starts a server for this test alone; it is stopped and deleted when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// StartShared returns the test binary's shared server, starting it on first use. Run stops it; give each test
// its own database (NewDatabase) rather than sharing tables.
func StartShared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		fail(t, shared.err)
	}
	return shared.srv
}

// Run runs the tests and then stops the shared server, if one was started. Call it from TestMain:
// os.Exit(pgtest.Run(m)).
func Run(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

func fail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNotInstalled) && os.Getenv("CI") == "" {
		t.Skipf("pgtest: %v", err)
	}
	t.Fatalf("pgtest: %v", err)
}

// DatabaseURL is the URL of database name on this server.
func (s *Server) DatabaseURL(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.User, s.Password),
		Host:     net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

var dbName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// CreateDatabase creates database name (lowercase letters, digits and _), drops it when the test ends and
// returns its URL.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	if !dbName.MatchString(name) {
		t.Fatalf("pgtest: database name %q: want lowercase letters, digits and _, at most 63, not starting with a digit", name)
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := s.exec("CREATE DATABASE " + ident); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if s.isStopped() {
			return
		}
		if err := s.exec("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.DatabaseURL(name)
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// NewDatabase creates a database named after the test and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	base := strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	suffix := fmt.Sprintf("_%d", s.dbSeq.Add(1))
	if limit := 63 - len("t_") - len(suffix); len(base) > limit {
		base = base[:limit]
	}
	return s.CreateDatabase(t, "t_"+base+suffix)
}

// ApplyValoraIdentitySchema creates Valora's users, organizations, organization_members and sessions tables in
// the database at url.
func ApplyValoraIdentitySchema(t testing.TB, url string) {
	t.Helper()
	applySQL(t, url, "identity", valoraIdentitySQL)
}

// ApplyValoraBillingSchema creates Valora's subscriptions, billing_cycles and usage_events tables (the columns
// the billing package reads and writes) in the database at url.
func ApplyValoraBillingSchema(t testing.TB, url string) {
	t.Helper()
	applySQL(t, url, "billing", valoraBillingSQL)
}

func applySQL(t testing.TB, url, what, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: apply Valora %s schema: %v", what, err)
	}
}

// exec runs one statement on the postgres database. CREATE/DROP DATABASE cannot run in a transaction, which
// the simple protocol (no arguments) guarantees.
func (s *Server) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Stop shuts the server down and deletes its directory. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopped.Do(func() {
		s.stopErr = s.shutdown()
		if err := os.RemoveAll(s.dir); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	})
	return s.stopErr
}

func (s *Server) isStopped() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// shutdown asks for a fast shutdown (SIGINT) and kills the server if that takes too long.
func (s *Server) shutdown() error {
	if s.cmd == nil || s.isStopped() {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("postgres did not stop within %s; killed it", stopTimeout)
	}
}

// start initialises a cluster and starts postgres on it.
func start() (*Server, error) {
	binDir, version, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:    "127.0.0.1",
		User:    superuser,
		Version: version,
		dir:     dir,
		logPath: filepath.Join(dir, "postgres.log"),
		exited:  make(chan struct{}),
	}
	close(s.exited) // nothing runs yet; launch replaces it
	ok := false
	defer func() {
		if !ok {
			_ = s.Stop()
		}
	}()

	if err := s.initdb(binDir, cred); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		err = s.launch(binDir, cred, port)
		if err == nil {
			break
		}
		if attempt == startAttempts || !strings.Contains(s.logTail(), "could not bind") {
			return nil, err
		}
	}
	ok = true
	return s, nil
}

// findBinDir picks the newest /usr/lib/postgresql/<version>/bin, or $PGTEST_BINDIR.
func findBinDir() (dir, version string, err error) {
	if dir := os.Getenv("PGTEST_BINDIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err != nil {
			return "", "", fmt.Errorf("%w: PGTEST_BINDIR=%s has no postgres", errNotInstalled, dir)
		}
		return dir, "", nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	var dirs []string
	for _, m := range matches {
		if _, err := os.Stat(filepath.Join(filepath.Dir(m), "postgres")); err == nil {
			dirs = append(dirs, filepath.Dir(m))
		}
	}
	if len(dirs) == 0 {
		return "", "", errNotInstalled
	}
	major := func(d string) int { n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return n }
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) < major(dirs[j]) })
	best := dirs[len(dirs)-1]
	return best, filepath.Base(filepath.Dir(best)), nil
}

// serverCredential is who runs initdb and postgres: PostgreSQL refuses to run as root, so root hands over to the
// postgres system user the Debian package creates. nil means "as ourselves".
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: running as root needs the postgres system user: %v", errNotInstalled, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user has uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) initdb(binDir string, cred *syscall.Credential) error {
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	s.Password = hex.EncodeToString(pw)
	pwFile := filepath.Join(s.dir, "pwfile")
	if err := os.WriteFile(pwFile, []byte(s.Password+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		for _, p := range []string{s.dir, pwFile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	cmd := exec.Command(filepath.Join(binDir, "initdb"),
		"--pgdata", filepath.Join(s.dir, "data"),
		"--username", superuser,
		"--pwfile", pwFile,
		"--auth-host", "scram-sha-256",
		"--auth-local", "trust",
		"--encoding", "UTF8",
		"--locale", "C",
		"--no-sync", // a throwaway cluster need not survive a power cut
	)
	cmd.Dir = s.dir // the caller's directory may not be readable by the postgres user
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	_ = os.Remove(pwFile)
	if err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// launch starts postgres in the foreground, as our child, rather than through pg_ctl: with Pdeathsig the kernel
// stops the server even when the test binary dies without running cleanups (a panic or -timeout), so no
// orphaned postgres outlives a test run.
func (s *Server) launch(binDir string, cred *syscall.Credential, port int) error {
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(binDir, "postgres"),
		"-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(port),
		"-h", s.Host,
		"-k", s.dir, // the unix socket stays in the temporary directory too
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB",
		"-c", "max_connections=100",
	)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}

	s.cmd = cmd
	s.exited = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that forked exits, not the process: keep that thread for the
		// server's whole life. The goroutine ends, and the thread with it, only once postgres has exited.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(s.exited)
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}

	s.Port = port
	s.URL = s.DatabaseURL("postgres")
	deadline := time.Now().Add(readyTimeout)
	for {
		if err := s.ping(); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited (%v) before accepting connections; log:\n%s", s.waitErr, s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.shutdown()
			return fmt.Errorf("postgres not ready within %s; log:\n%s", readyTimeout, s.logTail())
		}
	}
}

func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePort asks the kernel for a loopback port nobody is using right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
