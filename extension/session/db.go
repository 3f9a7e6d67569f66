package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Timeouts applied when the caller's context and URL set none, so that an unreachable host fails instead of
// hanging a k6 setup().
const (
	defaultConnectTimeout = 10 * time.Second
	closeTimeout          = 5 * time.Second
)

const databaseURLForms = "expected postgres://user:password@host:port/database?sslmode=disable " +
	"or key=value pairs (host=… port=… dbname=… user=… password=…)"

// target names a database for error messages: everything needed to tell which server failed, minus the
// password. password is kept only to scrub it from causes.
type target struct {
	host     string
	port     uint16
	database string
	user     string
	password string
}

func (t target) String() string {
	return fmt.Sprintf("host=%s port=%d database=%s user=%s", t.host, t.port, t.database, t.user)
}

// parseDatabaseURL parses a libpq URL or key=value string. pgx's parse error is not passed on: its redaction
// is best-effort, and its reason can quote pieces of a mangled URL, such as a "port" that is really the tail of
// a password containing '@' or ':'.
func parseDatabaseURL(databaseURL string) (*pgx.ConnConfig, target, error) {
	trimmed := strings.TrimSpace(databaseURL)
	if trimmed == "" {
		return nil, target{}, fmt.Errorf("%w: empty; %s", ErrInvalidDatabaseURL, databaseURLForms)
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		form := "key=value pairs"
		if strings.HasPrefix(trimmed, "postgres://") || strings.HasPrefix(trimmed, "postgresql://") {
			form = "a URL"
		}
		return nil, target{}, fmt.Errorf("%w: cannot parse it as %s; %s", ErrInvalidDatabaseURL, form, databaseURLForms)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, target{
		host:     cfg.Host,
		port:     cfg.Port,
		database: cfg.Database,
		user:     cfg.User,
		password: cfg.Password,
	}, nil
}

// connect opens one connection; the caller closes it with closeConn.
func connect(ctx context.Context, databaseURL string) (*pgx.Conn, target, error) {
	cfg, tgt, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, tgt, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, tgt, tgt.wrap("connect", err)
	}
	return conn, tgt, nil
}

// closeConn closes conn even when ctx is already done, so the server is not left with a dangling backend.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}

// dbError is a database failure described without secrets. It unwraps to the cause (for errors.Is with
// context.Canceled or errors.As with *pgconn.PgError) but never to pgconn.ConnectError, which holds the whole
// connection config, password included.
type dbError struct {
	msg   string
	cause error
}

func (e *dbError) Error() string        { return ErrDatabase.Error() + ": " + e.msg }
func (e *dbError) Unwrap() error        { return e.cause }
func (e *dbError) Is(target error) bool { return target == ErrDatabase }

// wrap describes a failed operation on t. The message is rebuilt from safe parts and scrubbed of the password in
// case a cause ever quotes it.
func (t target) wrap(op string, err error) error {
	cause := err
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		// Its text is "failed to connect to `user=… database=…`: <cause>"; keep only the cause.
		cause = connectErr.Unwrap()
	}
	text := "unknown error"
	if cause != nil {
		text = oneLine(cause.Error())
	}
	msg := t.scrub(fmt.Sprintf("%s (%s): %s", op, t, text))
	if cause != nil && t.reveals(cause.Error()) {
		cause = nil // unwrapping must not reveal what the message hides
	}
	return &dbError{msg: msg, cause: cause}
}

// scrub removes the password, also in the escaped forms a URL would carry it in.
func (t target) scrub(s string) string {
	if t.password == "" {
		return s
	}
	for _, p := range []string{t.password, url.QueryEscape(t.password), url.PathEscape(t.password)} {
		s = strings.ReplaceAll(s, p, "[redacted]")
	}
	return s
}

func (t target) reveals(s string) bool {
	return t.password != "" && t.scrub(s) != s
}

// oneLine joins the per-attempt lines pgx reports (sslmode=prefer tries TLS, then plain), dropping repeats.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// DB is one connection to Valora's database for packages beside this one; its errors, like this package's,
// never hold the password.
type DB struct {
	Conn *pgx.Conn
	tgt  target
}

// Open connects to databaseURL; the caller closes the DB with Close.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	conn, tgt, err := connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	return &DB{Conn: conn, tgt: tgt}, nil
}

// Close closes the connection, even when ctx is done.
func (d *DB) Close(ctx context.Context) { closeConn(ctx, d.Conn) }

// Wrap describes a failed operation as ErrDatabase, without the password.
func (d *DB) Wrap(op string, err error) error { return d.tgt.wrap(op, err) }
