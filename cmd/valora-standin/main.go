// Command valora-standin runs the in-memory stand-in for the Valora billing engine, healthy or with faults, and
// prints the environment a k6 scenario needs to run against it.
//
//	valora-standin                          # healthy, on 127.0.0.1:8080, env printed as export lines
//	valora-standin -faults ingest-duplicate # one invariant broken
//	valora-standin -faults list             # the faults, the invariant each breaks, the scenarios that catch it
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
	faults := fs.String("faults", "", "comma-separated faults to switch on; \"list\" prints them")
	fs.BoolVar(&o.listFaults, "list-faults", false, "print the faults, the invariant each breaks and the scenarios that must catch it")
	fs.DurationVar(&o.cfg.SlowDelay, "slow-delay", 600*time.Millisecond, "delay added to every response by the slow fault")
	fs.Float64Var(&o.cfg.ErrorRate, "error-rate", 0.1, "share of requests the errors-5xx fault fails, in (0,1]")
	fs.DurationVar(&o.cfg.WebhookAsyncDelay, "webhook-delay", 50*time.Millisecond, "delay before a processed payment changes the dashboard balance")
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
	case o.cfg.ErrorRate <= 0 || o.cfg.ErrorRate > 1:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -error-rate: must be in (0,1]", o.cfg.ErrorRate)}
	case o.cfg.SlowDelay <= 0:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -slow-delay: must be positive", o.cfg.SlowDelay)}
	case o.cfg.WebhookAsyncDelay <= 0:
		return o, usageError{fmt.Sprintf("invalid value %v for flag -webhook-delay: must be positive", o.cfg.WebhookAsyncDelay)}
	case strings.TrimSpace(o.addr) == "":
		return o, usageError{"invalid value \"\" for flag -addr: must be host:port"}
	}
	if strings.TrimSpace(*faults) == "list" {
		o.listFaults = true
	} else {
		f, err := standin.ParseFaults(*faults)
		if err != nil {
			return o, usageError{"invalid value for flag -faults: " + err.Error()}
		}
		o.cfg.Faults = f
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
  -faults a,b            switch faults on; "-faults list" (or -list-faults) prints them
  -slow-delay D          delay of the slow fault (default 600ms)
  -error-rate R          share of requests failed by the errors-5xx fault, in (0,1] (default 0.1)
  -webhook-delay D       delay before a processed payment changes the balance (default 50ms)
  -seed N                derive fixture ids and secrets from N (default 0: random)
  -admin-email E         fixture owner's email (default admin@railzway.com)
  -admin-password P      fixture owner's password (default admin)
  -env-file PATH         write the env as KEY='value' lines (mode 0600) instead of printing export lines
  -quiet                 no log output on stderr
`)
}

func printFaults(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tCAUGHT BY\tINVARIANT IT BREAKS")
	for _, f := range standin.Faults() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, strings.Join(f.Scenarios, ","), f.Invariant)
	}
	tw.Flush()
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
