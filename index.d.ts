/**
 * Types of the k6/x/valora module, built into the custom ./k6 by `make build`.
 *
 * Every export here exists at runtime and nothing else does: Go tests (extension/module) read this file and
 * fail when the two disagree, in names, parameters, optionality, option keys, unions and returned shapes.
 * IDs above 2^53 cross into JavaScript as decimal strings.
 *
 * Arguments are checked strictly. A missing, undefined or null required argument, a value of the wrong kind,
 * an unknown option key, a number that is not a whole number in range (NaN and Infinity included), or more
 * arguments than declared throws a TypeError naming the function, the argument or option, and what is
 * accepted. An optional argument or option that is undefined or null takes its default, and so does an
 * optional string option that is "" (a blank one, "  ", is refused). Other failures (a database, the file
 * system) throw an Error naming the function. No message ever holds a secret.
 */
declare module "k6/x/valora" {
  /** A request body: a string is signed as its UTF-8 bytes, an ArrayBuffer as-is. */
  export type Bytes = string | ArrayBuffer;

  // ---------------------------------------------------------------- webhooks: Stripe

  export interface StripeSignOptions {
    /** The endpoint secret (`whsec_…`, used literally), or several to emit one `v1` entry each (rotation). */
    secret: string | string[];
    /** Unix seconds, 1 to 253402300799 (the year 9999). Defaults to now. */
    timestamp?: number;
  }

  export interface StripeSignature {
    /** The whole `Stripe-Signature` header value: `t=<timestamp>,v1=<hex>[,v1=<hex>…]`. */
    header: string;
    /** The `v1` signature made with the first secret. */
    signature: string;
    /** One `v1` signature per secret, in the order given. */
    signatures: string[];
    /** The `t` value that was signed. */
    timestamp: number;
  }

  /** Signs the exact bytes of `payload` the way Stripe does: HMAC-SHA256(secret, "<t>.<payload>"), lowercase hex. */
  export function signStripe(payload: Bytes, options: StripeSignOptions): StripeSignature;

  /**
   * The `Stripe-Signature` header value alone, for hot paths: the same signature as signStripe, with positional
   * arguments and a string result. `secret` may be an array (one `v1` each); `timestamp` (unix seconds, at least
   * 1) defaults to now.
   */
  export function stripeSignatureHeader(payload: Bytes, secret: string | string[], timestamp?: number): string;

  /** The Stripe event types Valora processes. */
  export type StripeEventType =
    | "charge.succeeded"
    | "payment_intent.succeeded"
    | "payment_intent.payment_failed"
    | "charge.refunded";

  export interface StripeEventOptions {
    type: StripeEventType;
    /** Valora customer id (decimal string), written to `data.object.metadata.customer_id`. */
    customerId: string;
    /** Minor units; must be > 0. Default 1000. */
    amount?: number;
    /** ISO currency, lowercase as Stripe sends it. Default "usd". */
    currency?: string;
    /** Event id, `evt_…`. Default: a fresh one, unique across VUs, instances and runs. */
    id?: string;
    /** `data.object.id`: `ch_…` for charge events, `pi_…` for payment intent events. Default: a fresh one. */
    objectId?: string;
    /** Unix seconds for `created`, 1 to 253402300799. Default now. */
    created?: number;
    /** Optional Valora invoice id, written to `data.object.metadata.invoice_id`. */
    invoiceId?: string;
  }

  export interface WebhookEvent {
    /** The provider event id Valora de-duplicates on. */
    id: string;
    /** The provider's event type or code. */
    type: string;
    /** The serialised body. Sign this string and send this string: nothing may re-serialise it. */
    body: string;
  }

  /** Builds a valid Stripe event of a type Valora processes. */
  export function stripeEvent(options: StripeEventOptions): WebhookEvent;

  // ---------------------------------------------------------------- webhooks: Adyen

  export type AdyenEventCode = "AUTHORISATION" | "REFUND" | "CANCELLATION" | "OFFER_CLOSED";

  export interface AdyenEventOptions {
    eventCode: AdyenEventCode;
    /** Valora customer id, written to `additionalData["metadata.customer_id"]`. */
    customerId: string;
    /** Default true. Sent as the string "true"/"false", as Adyen does. */
    success?: boolean;
    /** Minor units. Default 1000. */
    amount?: number;
    /** Default "USD". */
    currency?: string;
    /**
     * Default: a fresh 26-character reference (A-Z 0-9) carrying this run's id, so it never repeats across runs;
     * Adyen's own are 16 characters, Valora takes any. Valora's event id is `<pspReference>_<eventCode>`.
     */
    pspReference?: string;
    originalReference?: string;
    /** Default "ValoraK6". */
    merchantAccountCode?: string;
    /** Default: the customer id. */
    merchantReference?: string;
    /** RFC 3339. Default now. */
    eventDate?: string;
    invoiceId?: string;
  }

  /** Builds an unsigned Adyen notification with one item; sign it with signAdyen. */
  export function adyenEvent(options: AdyenEventOptions): WebhookEvent;

  export interface AdyenSignOptions {
    /** The HMAC key as Adyen shows it: hex. */
    hmacKey: string;
  }

  /** Returns the notification with `additionalData.hmacSignature` set on every item. */
  export function signAdyen(payload: Bytes, options: AdyenSignOptions): string;

  // ---------------------------------------------------------------- webhooks: Braintree

  export interface BraintreeSignOptions {
    /** Must not contain `|` or `&`, which separate the pairs of `bt_signature`. */
    publicKey: string;
    privateKey: string;
  }

  export interface BraintreeSignature {
    /** `<public key>|<hex HMAC-SHA256(private key, bt_payload)>`. */
    signature: string;
    /** The form-encoded body `bt_signature=…&bt_payload=…`. */
    form: string;
  }

  /** Signs a `bt_payload` (base64 of the notification XML) the way Valora verifies Braintree. */
  export function signBraintree(payload: string, options: BraintreeSignOptions): BraintreeSignature;

  // ---------------------------------------------------------------- IDs

  /**
   * A Valora-compatible snowflake id (bwmarrin/snowflake layout: 41 bits of milliseconds since the Twitter epoch,
   * 10 of node, 12 of step), as a decimal string. One generator serves every VU of the process, on a node in
   * 2..1023 (1 is Valora's): the segment's index in `--execution-segment-sequence` when the test is split with
   * one, else 2 + floor(segment start × 1022) when split without, else random. So the instances of one split run
   * never collide; two unsplit runs started together share a node with probability 1/1022, and then repeat an
   * id only when both mint one in the same millisecond with the same step. Keys and provider ids carry the run
   * id and never repeat across runs.
   */
  export function snowflake(): string;

  export interface SnowflakeParts {
    /** Milliseconds since the Unix epoch. */
    time: number;
    node: number;
    step: number;
  }

  export function decodeSnowflake(id: string): SnowflakeParts;

  /**
   * A usage idempotency key, unique across VUs, instances and runs: `<prefix>-<run id><id>`, the run id being
   * 13 base36 characters drawn at random (64 bits) once per k6 process, the id a fresh snowflake in base36. Every
   * key of a run starts with `<prefix>-<run id>`. The prefix is 1 to 64 of A-Z a-z 0-9 . _ : -; "k6" when absent
   * or "".
   */
  export function idempotencyKey(prefix?: string): string;

  export type ProviderIdKind = "evt" | "ch" | "pi" | "re" | "cus" | "in";

  /**
   * A Stripe-style id: `<kind>_` and 24 base62 characters (the run id, a fresh snowflake, two random characters),
   * unique across VUs, instances and runs.
   */
  export function providerId(kind: ProviderIdKind): string;

  /** The snowflake node this k6 process generates ids with (see snowflake). */
  export function nodeId(): number;

  /**
   * How many of a scenario's `total` VUs (or iterations) this instance runs when the test is split with
   * `--execution-segment`, scaled exactly as k6's executors scale them; `total` when the test is not split.
   * `total` is a whole number, at least 0.
   */
  export function instanceShare(total: number): number;

  // ---------------------------------------------------------------- sessions

  /**
   * The `_sid` value from one or more `Set-Cookie` header values. Throws a TypeError when there is none, when it
   * is blank, or when the cookie clears the session (`Max-Age=0`); the message never holds the cookie's value.
   */
  export function sessionFromSetCookie(setCookie: string | string[]): string;

  /** Lowercase hex SHA-256 of the trimmed token: what Valora stores in `sessions.session_token_hash`. A blank token is refused. */
  export function hashSessionToken(token: string): string;

  export interface MintSessionsOptions {
    /** PostgreSQL connection string of Valora's database. Never logged. */
    databaseUrl: string;
    /** The user's email (case-insensitive). */
    email: string;
    /** Number of sessions, 1 to 10000. Default 1. */
    count?: number;
    /** The active org of the new sessions; must be one the user belongs to. Default: none, like a fresh login. */
    orgId?: string;
    /** 1 to 604800 (Valora's own session lifetime). Default 86400. */
    ttlSeconds?: number;
    /** Stored in `sessions.user_agent`. Default "valora-k6". */
    userAgent?: string;
  }

  /** Inserts `count` live sessions for the user into Valora's `sessions` table and returns their raw tokens. */
  export function mintSessions(options: MintSessionsOptions): string[];

  export interface RevokeSessionsOptions {
    databaseUrl: string;
    /** Raw tokens; one token may be passed as a string. None: nothing is revoked and the database is not reached. */
    tokens?: string | string[];
  }

  /** Revokes sessions by raw token; returns how many were live. */
  export function revokeSessions(options: RevokeSessionsOptions): number;

  // ---------------------------------------------------------------- billing
  // Valora has no HTTP route for billing cycles: a test moves a subscription's start and its OPEN cycle into the
  // past in Valora's database, as Valora's own e2e tests do, so the scheduler closes, rates and invoices the cycle
  // on its next tick. Only a subscription the run created is touched: its id, org, customer and the run tag in
  // its metadata (key "valora_k6_run") must all match, or an Error says so and nothing is read or written.

  export interface BillingStateOptions {
    /** PostgreSQL connection string of Valora's database. Never logged. */
    databaseUrl: string;
    orgId: string;
    subscriptionId: string;
    customerId: string;
    /** The value of the subscription's metadata key "valora_k6_run", set when the run created it. */
    runTag: string;
  }

  export interface BillingCycleRow {
    id: string;
    /** OPEN, CLOSING or CLOSED. */
    status: string;
    /** RFC 3339, UTC. */
    periodStart: string;
    periodEnd: string;
    /** RFC 3339 once the invoice job ran for the cycle, else null. */
    invoicedAt: string | null;
    /** The last failure of a scheduler job on the cycle; "" when none. */
    lastError: string;
  }

  export interface BillingState {
    /** The subscription's status. */
    status: string;
    /** Its start_at, RFC 3339, UTC. */
    startAt: string;
    /** The customer's usage events still "accepted": the snapshot worker has not enriched them yet. */
    accepted: number;
    /** Its billing cycles, by period_start. */
    cycles: BillingCycleRow[];
  }

  /** Reads the subscription's billing state from Valora's database. */
  export function billingState(options: BillingStateOptions): BillingState;

  export interface MoveBillingOptions {
    databaseUrl: string;
    orgId: string;
    subscriptionId: string;
    customerId: string;
    runTag: string;
    /** RFC 3339: the subscription's new start_at. */
    startAt?: string;
    /** RFC 3339: the OPEN cycle's new period_start; with periodEnd, which must be later. */
    periodStart?: string;
    periodEnd?: string;
  }

  /**
   * Moves the subscription's start_at and/or its OPEN cycle's period (an Error when it has no OPEN cycle yet: the
   * scheduler opens one on the tick after activation) and returns the state after the move.
   */
  export function moveBilling(options: MoveBillingOptions): BillingState;

  // ---------------------------------------------------------------- cross-VU invariants
  // State shared by every VU of this k6 process (one instance of a distributed run). Cheap enough for hot
  // paths. Set, key, counter and barrier names are non-empty strings; values are any strings, "" included.

  /** True the first time `value` is offered to the named set by any VU; false on every repeat. */
  export function firstSeen(set: string, value: string): boolean;

  /** Whether any VU has offered `value` to the named set (with firstSeen). Adds nothing. */
  export function seen(set: string, value: string): boolean;

  /** How many distinct values the named set holds (0 for a set nothing was offered to). */
  export function setSize(set: string): number;

  /** Records `value` under `key` if nothing is recorded yet, and returns the value recorded first. */
  export function agree(key: string, value: string): string;

  /**
   * Adds `delta` (a whole number, negative allowed; default 0, which only reads) to the named counter, atomically,
   * and returns the new total. Counters start at 0. A total beyond ±(2^53 - 1) is refused and changes nothing.
   */
  export function count(name: string, delta?: number): number;

  /**
   * Blocks until `parties` VUs have called barrier with the same name, then releases them together. Returns false
   * if the timeout passed first: `timeoutSeconds` is more than 0 and at most 86400 (one day), default 30. Use it to
   * make VUs act at the same instant.
   */
  export function barrier(name: string, parties: number, timeoutSeconds?: number): boolean;

  export interface RunStatus {
    /** True once this k6 process received SIGINT or SIGTERM (k6 still handles it: the test stops). */
    interrupted: boolean;
    /** "SIGINT" or "SIGTERM": the first of them received; null when none was. */
    signal: string | null;
    /** False when k6 runs with `--no-thresholds` (K6_NO_THRESHOLDS), so thresholds decide nothing. */
    thresholds: boolean;
  }

  /** What this k6 process knows about the run, for teardown() and handleSummary(). Works in any context. */
  export function runStatus(): RunStatus;

  // ---------------------------------------------------------------- files
  // For reports and the provisioned environment file. Paths are relative to the process's working directory
  // (not to the script, as k6's open() is). An empty path, or one with a NUL byte, is a TypeError; what the
  // operating system refuses is an Error naming the path and its reason. Work in any context.

  /** Creates the directory and any missing parents (mkdir -p, mode 0755 before the umask). An existing one is fine. */
  export function ensureDir(path: string): void;

  /**
   * Replaces the file atomically: writes a temporary file in the same directory, flushes it, renames it over
   * `path`, so readers see the old content or the new, never part. The directory must exist (an Error otherwise;
   * ensureDir makes it). `mode` is permission bits only, 0 to 0o777, applied exactly; default 0o600. A symbolic
   * link at `path` is replaced, not followed.
   */
  export function writeFile(path: string, content: Bytes, mode?: number): void;

  /** The file's content as UTF-8 text, or null when there is no such file. */
  export function readFile(path: string): string | null;

  // ---------------------------------------------------------------- usage ingest
  // The ingest_echo invariant in one call: an answer of POST /api/usage must say back what was posted (customer_id,
  // meter_code, value, idempotency_key trimmed, recorded_at as the same instant to the nanosecond) and carry an id
  // that is a decimal string. Both answer shapes are read: Valora's bare event, and Railzway's {"data": {…}} (when
  // the body has no id of its own). `sent` must be a JSON object with those five fields (a TypeError otherwise).

  /**
   * Checks the answer against what was sent and, when it echoes it, offers its id to the named set (as firstSeen).
   * "echoed": it echoes what was sent and the id is new to the set; "repeated-id": it echoes it, but another
   * answer already carried that id; "differs": it does not echo what was sent (nothing is offered to the set).
   */
  export function checkUsageEcho(answer: string, sent: string, idSet: string): "echoed" | "repeated-id" | "differs";

  /** How the answer differs from what was sent, one entry per field; [] when it echoes it. */
  export function usageEchoDifferences(answer: string, sent: string): string[];
}
