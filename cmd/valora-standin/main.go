// Command valora-standin runs the in-memory stand-in for the Valora billing engine, healthy or with faults, and
// prints the environment a k6 scenario needs to run against it.
//
//	valora-standin                          # healthy, on 127.0.0.1:8080, env printed as export lines
//	valora-standin -faults ingest-duplicate # one invariant broken
//	valora-standin -faults list             # the faults and the invariant each breaks
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/valora-k6/valora-k6/standin"
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by SIGINT or SIGTERM, which start the graceful shutdown.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// usageError is a bad command line: reported in one line, exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type options struct {
	cfg        standin.Config
	addr       string
	envFile    string
	quiet      bool
	listFaults bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("valora-standin", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (host:port; port 0 picks a free one)")
	fs.IntVar(&o.cfg.Customers, "customers", 120, "fixture customers to page through (besides the k6 customer)")
	fs.BoolVar(&o.cfg.RateLimit, "rate-limit", false, "enable Valora's usage limiter (org 25/s burst 50, endpoint 15/s burst 30, per customer+meter lock)")
	fs.IntVar(&o.cfg.Capacity, "capacity", 0, "serve POST /api/usage at no more than N requests/s, queueing up to a second of them (0: no limit, as Valora)")
	faults := fs.String("faults", "", "comma-separated faults to switch on; \"list\" prints them")
	flavor := fs.String("flavor", "valora", "the server played: valora, or railzway (Railzway 4ff8772 with its scope-table fix)")
	fs.IntVar(&o.cfg.KeyLimit, "key-limit", 1000, "railzway: /api requests allowed per raw key in each -key-window")
	fs.DurationVar(&o.cfg.KeyWindow, "key-window", 10*time.Minute, "railzway: the per-key limiter's fixed window")
	fs.Int64Var(&o.cfg.UsageQuota, "usage-quota", 0, "railzway: usage events an org may store before 402 quota_exceeded (0: no quota)")
	fs.IntVar(&o.cfg.CustomerQuota, "customer-quota", 0, "railzway: customers an org may have before 402 quota_exceeded (0: no quota)")
	fs.BoolVar(&o.listFaults, "list-faults", false, "print the faults and the invariant each breaks")
	fs.DurationVar(&o.cfg.SlowDelay, "slow-delay", 600*time.Millisecond, "delay added to every response by the slow fault")
	fs.Float64Var(&o.cfg.ErrorRate, "error-rate", 0.1, "the errors-5xx fault fails every round(1/R)-th request; R in (0,1]")
	fs.DurationVar(&o.cfg.RollupInterval, "rollup-interval", time.Minute, "scheduler tick: each tick applies the oldest 50 pending billing events (all orgs) to the dashboard balances")
	fs.DurationVar(&o.cfg.SnapshotInterval, "snapshot-interval", 2*time.Second, "usage snapshot tick: each enriches the 50 oldest accepted usage events")
	fs.DurationVar(&o.cfg.BillingInterval, "billing-interval", time.Minute, "scheduler tick of the billing jobs: cycles, closing, rating, invoices")
	fs.Int64Var(&o.cfg.MaxBodyBytes, "max-body-bytes", 0, "answer 413 to request bodies larger than this, on every route (0: no cap, as Valora)")
	fs.DurationVar(&o.cfg.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "close a connection whose request headers take longer than this")
	fs.Int64Var(&o.cfg.Seed, "seed", 0, "derive fixture ids and secrets from this seed (0: random)")
	fs.StringVar(&o.cfg.AdminEmail, "admin-email", "admin@railzway.com", "fixture owner's email")
	fs.StringVar(&o.cfg.AdminPassword, "admin-password", "admin", "fixture owner's password")
	fs.StringVar(&o.envFile, "env-file", "", "write the fixture env as KEY='value' lines to this file (mode 0600) instead of printing it")
	fs.BoolVar(&o.quiet, "quiet", false, "no log output on stderr")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Sprintf("unexpected argument %q (all settings are flags)", fs.Arg(0))}
	}
	switch {
	case o.cfg.Customers < 1:
		return o, usageError{fmt.Sprintf("invalid value %d for flag -customers: must be at least 1", o.cfg.Customers)}
	case o.cfg.Capacity < 0 || o.cfg.Capacity > 100000:
		return o, usageError{fmt.Sprintf("invalid value %d for flag -capacity: must be 0 (no limit) to 100000 requests/s", o.cfg.Capacity)}
	case o.cfg.ErrorRate <= 0 || o.cfg.ErrorRate > 1:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -error-rate: must be in (0,1]", o.cfg.ErrorRate)}
	case o.cfg.SlowDelay <= 0:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -slow-delay: must be positive", o.cfg.SlowDelay)}
	case o.cfg.RollupInterval < time.Millisecond:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -rollup-interval: must be at least 1ms", o.cfg.RollupInterval)}
	case o.cfg.SnapshotInterval < time.Millisecond:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -snapshot-interval: must be at least 1ms", o.cfg.SnapshotInterval)}
	case o.cfg.BillingInterval < time.Millisecond:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -billing-interval: must be at least 1ms", o.cfg.BillingInterval)}
	case o.cfg.MaxBodyBytes < 0:
		return o, usageError{fmt.Sprintf("invalid value %d for flag -max-body-bytes: must be 0 (no cap) or positive", o.cfg.MaxBodyBytes)}
	case o.cfg.ReadHeaderTimeout <= 0:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -read-header-timeout: must be positive", o.cfg.ReadHeaderTimeout)}
	case o.cfg.KeyLimit < 1:
		return o, usageError{fmt.Sprintf("invalid value %d for flag -key-limit: must be at least 1", o.cfg.KeyLimit)}
	case o.cfg.KeyWindow < time.Millisecond:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -key-window: must be at least 1ms", o.cfg.KeyWindow)}
	case o.cfg.CustomerQuota < 0:
		return o, usageError{fmt.Sprintf("invalid value %d for flag -customer-quota: must be 0 (no quota) or positive", o.cfg.CustomerQuota)}
	case o.cfg.UsageQuota < 0:
		return o, usageError{fmt.Sprintf("invalid value %d for flag -usage-quota: must be 0 (no quota) or positive", o.cfg.UsageQuota)}
	case strings.TrimSpace(o.addr) == "":
		return o, usageError{"invalid value \"\" for flag -addr: must be host:port"}
	}
	fl, err := standin.ParseFlavor(*flavor)
	if err != nil {
		return o, usageError{"invalid value for flag -flavor: " + err.Error()}
	}
	o.cfg.Flavor = fl
	if strings.TrimSpace(*faults) == "list" {
		o.listFaults = true
	} else {
		f, err := standin.ParseFaults(*faults)
		if err != nil {
			return o, usageError{"invalid value for flag -faults: " + err.Error()}
		}
		o.cfg.Faults = f
		for _, info := range standin.Faults() {
			for _, x := range f {
				if x == info.Name && !info.AppliesTo(o.cfg.Flavor) {
					return o, usageError{fmt.Sprintf("invalid value for flag -faults: %s does not apply to -flavor %s", x, o.cfg.Flavor)}
				}
			}
		}
	}
	return o, nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: valora-standin [flags]

Runs an in-memory stand-in for the Valora billing engine with a ready fixture, and prints the environment
variables a k6 scenario needs. SIGINT or SIGTERM shuts it down gracefully.

Flags:
  -addr host:port        listen address (default 127.0.0.1:8080; port 0 picks a free one)
  -customers N           fixture customers to page through, besides the k6 customer (default 120)
  -rate-limit            enable Valora's usage limiter (off by default, as in the usual deployment)
  -capacity N            serve POST /api/usage at no more than N requests/s (Config.Capacity), as a server of
                         known capacity: requests wait their turn in a FIFO queue of N (one second of work), so
                         latency grows with the backlog; a request that finds the queue full is answered 503
                         service_unavailable with Retry-After: 1 at once (default 0: no limit, as Valora)
  -flavor F              valora (default) or railzway: Railzway 4ff8772's shapes, scopes, per-key limiter,
                         org hints, features and entitlements, 402 quotas, no /admin/payment-providers
                         (with its one-line scope-table fix; the fault railzway-ingest-scope undoes it)
  -key-limit N           railzway: /api requests per raw key in each window (default 1000, as Railzway)
  -key-window D          railzway: the per-key limiter's fixed window (default 10m, as Railzway)
  -usage-quota N         railzway: usage events per org before 402 quota_exceeded (default 0: no quota)
  -customer-quota N      railzway: customers per org before 402 quota_exceeded (default 0: no quota)
  -faults a,b            switch faults on; "-faults list" (or -list-faults) prints them
                         (the Braintree signature check never runs for a real Braintree form, healthy or
                         faulty: every body that is not JSON is refused first, as in Valora)
  -slow-delay D          delay of the slow fault (default 600ms)
  -error-rate R          R in (0,1]: the errors-5xx fault fails every N-th request, N = round(1/R), counted
                         over every request but /health since the faults were set (default 0.1: every 10th)
  -rollup-interval D     the scheduler tick (default 1m, fixed in Valora): a processed payment changes the
                         dashboard balance only when a tick's rollup applies it, and each tick applies the
                         oldest 50 pending billing events of all orgs; written to the env as
                         VALORA_ROLLUP_INTERVAL so scenarios know how long to wait
  -snapshot-interval D  the usage snapshot tick (default 2s, as Valora): each run enriches the 50 oldest
                         accepted usage events (by recorded_at); only enriched events are ever billed
  -billing-interval D    the scheduler tick of the billing jobs (default 1m, fixed in Valora): ensure a cycle
                         per ACTIVE subscription, close the cycles whose period_end passed, rate them, issue
                         and finalize one invoice per cycle. GET/POST /standin/billing/… (API key) reads a
                         subscription's cycles and moves them into the past: a seam only the stand-in has
  -max-body-bytes N      answer 413 (JSON error envelope, type payload_too_large) to any request body over N
                         bytes, on every route including the unauthenticated webhook route (default 0: no cap,
                         as Valora, which reads every body whole)
  -read-header-timeout D close a connection whose request headers have not arrived within D (default 10s), so a
                         trickling client cannot hold it forever; idle keep-alive connections close after 2m.
                         Valora has neither limit; like Valora, there is no read or write timeout on bodies
  -seed N                derive fixture ids and secrets from N (default 0: random)
  -admin-email E         fixture owner's email (default admin@railzway.com)
  -admin-password P      fixture owner's password (default admin)
  -env-file PATH         write the env as KEY='value' lines (mode 0600) instead of printing export lines
  -quiet                 no log output on stderr
`)
}

func printFaults(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tINVARIANT IT BREAKS")
	for _, f := range standin.Faults() {
		fmt.Fprintf(tw, "%s\t%s\n", f.Name, f.Invariant)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nWhich scenarios must catch each fault, and exactly what each must trip, is the suite's catalogue:")
	fmt.Fprintln(w, "each scenario descriptor's catches (scenarios/suite/), collected by the build into dist/catalog.json.")
	fmt.Fprintln(w, "\nThe webhook faults concern Stripe and Adyen: the Braintree signature check never runs for a real Braintree")
	fmt.Fprintln(w, "notification, healthy or not, because every body that is not JSON (a Braintree form) is refused with")
	fmt.Fprintln(w, "400 invalid_payload first, as Valora does.")
}

// shellQuote quotes a value for POSIX sh: inside single quotes, an embedded quote closes the string, is
// escaped with a backslash and reopens it.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func envLines(env map[string]string, prefix string) string {
	var b strings.Builder
	for _, k := range standin.EnvKeys() {
		b.WriteString(prefix + k + "=" + shellQuote(env[k]) + "\n")
	}
	return b.String()
}

// writeEnvFile replaces path atomically with a file only the owner can read: it holds the fixture's secrets.
func writeEnvFile(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".valora-standin-env-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "valora-standin: %v (see -h)\n", err)
		return 2
	}
	if o.listFaults {
		printFaults(stdout)
		return 0
	}
	if o.quiet {
		o.cfg.Logger = slog.New(slog.DiscardHandler)
	} else {
		o.cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}

	srv, err := standin.New(o.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "valora-standin: %v\n", err)
		return 1
	}
	baseURL, err := srv.Start(o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "valora-standin: %v\n", err)
		return 1
	}
	env := srv.Fixture().Env(baseURL)
	if o.envFile != "" {
		if err := writeEnvFile(o.envFile, envLines(env, "")); err != nil {
			fmt.Fprintf(stderr, "valora-standin: -env-file: %v\n", err)
			_ = srv.Close(context.Background())
			return 1
		}
	}
	fmt.Fprintf(stdout, "valora-standin listening on %s\n", baseURL)
	if o.envFile == "" {
		fmt.Fprint(stdout, envLines(env, "export "))
	}
	if faults := srv.ActiveFaults(); len(faults) > 0 {
		o.cfg.Logger.Info("faults on", "faults", fmt.Sprint(faults))
	}

	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Close(shutdown); err != nil {
		fmt.Fprintf(stderr, "valora-standin: shutdown: %v\n", err)
		return 1
	}
	o.cfg.Logger.Info("stopped")
	return 0
}
