/**
 * Types of the k6/x/valora module, built into the custom ./k6 by `make build`.
 *
 * Every export here exists at runtime and nothing else does: a Go test (extension/module) reads this file and
 * fails when the two disagree. IDs above 2^53 cross into JavaScript as decimal strings.
 */
declare module "k6/x/valora" {
  /** A request body: a string is signed as its UTF-8 bytes, an ArrayBuffer as-is. */
  export type Bytes = string | ArrayBuffer;

  // ---------------------------------------------------------------- webhooks: Stripe

  export interface StripeSignOptions {
    /** The endpoint secret (`whsec_…`, used literally), or several to emit one `v1` entry each (rotation). */
    secret: string | string[];
    /** Unix seconds. Defaults to now. */
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
   * arguments and a string result. `secret` may be an array (one `v1` each); `timestamp` defaults to now.
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
    /** Event id. Default: a fresh `evt_…`, unique across VUs and instances. */
    id?: string;
    /** `data.object.id`. Default: a fresh `ch_…` (charge events) or `pi_…` (payment intent events). */
    objectId?: string;
    /** Unix seconds for `created`. Default now. */
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
    /** Default: a fresh 16-character PSP reference. Valora's event id is `<pspReference>_<eventCode>`. */
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
   * A Valora-compatible snowflake id (bwmarrin/snowflake layout), as a decimal string. The node is derived from
   * this instance's execution segment, so instances of a distributed run never collide.
   */
  export function snowflake(): string;

  export interface SnowflakeParts {
    /** Milliseconds since the Unix epoch. */
    time: number;
    node: number;
    step: number;
  }

  export function decodeSnowflake(id: string): SnowflakeParts;

  /** A usage idempotency key, unique across VUs and instances: `<prefix>-<unique part>`. Default prefix "k6". */
  export function idempotencyKey(prefix?: string): string;

  export type ProviderIdKind = "evt" | "ch" | "pi" | "re" | "cus" | "in";

  /** A Stripe-style id such as `evt_…`, unique across VUs and instances. */
  export function providerId(kind: ProviderIdKind): string;

  /** The snowflake node this k6 instance generates ids with. */
  export function nodeId(): number;

  /**
   * How many of a scenario's `total` VUs (or iterations) this instance runs when the test is split with
   * `--execution-segment`, scaled exactly as k6's executors scale them; `total` when the test is not split.
   */
  export function instanceShare(total: number): number;

  // ---------------------------------------------------------------- sessions

  /**
   * The `_sid` value from one or more `Set-Cookie` header values. Throws when there is none, when it is blank,
   * or when the cookie clears the session (`Max-Age=0`).
   */
  export function sessionFromSetCookie(setCookie: string | string[]): string;

  /** Lowercase hex SHA-256 of the trimmed token: what Valora stores in `sessions.session_token_hash`. */
  export function hashSessionToken(token: string): string;

  export interface MintSessionsOptions {
    /** PostgreSQL connection string of Valora's database. Never logged. */
    databaseUrl: string;
    /** The user's email (case-insensitive). */
    email: string;
    /** Number of sessions. Default 1. */
    count?: number;
    /** The active org of the new sessions; must be one the user belongs to. Default: none, like a fresh login. */
    orgId?: string;
    /** Default 86400. */
    ttlSeconds?: number;
    /** Stored in `sessions.user_agent`. Default "valora-k6". */
    userAgent?: string;
  }

  /** Inserts `count` live sessions for the user into Valora's `sessions` table and returns their raw tokens. */
  export function mintSessions(options: MintSessionsOptions): string[];

  export interface RevokeSessionsOptions {
    databaseUrl: string;
    tokens: string[];
  }

  /** Revokes sessions by raw token; returns how many were live. */
  export function revokeSessions(options: RevokeSessionsOptions): number;

  // ---------------------------------------------------------------- cross-VU invariants
  // State shared by every VU of this k6 process (one instance of a distributed run).

  /** True the first time `value` is offered to the named set by any VU; false on every repeat. */
  export function firstSeen(set: string, value: string): boolean;

  /** How many distinct values the named set holds. */
  export function setSize(set: string): number;

  /** Records `value` under `key` if nothing is recorded yet, and returns the value recorded first. */
  export function agree(key: string, value: string): string;

  /**
   * Blocks until `parties` VUs have called barrier with the same name, then releases them together. Returns false
   * if the timeout (default 30 s) passed first. Use it to make VUs act at the same instant.
   */
  export function barrier(name: string, parties: number, timeoutSeconds?: number): boolean;
}
