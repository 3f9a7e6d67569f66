// Every environment variable the suite reads, declared once: name, kind, default, bounds, whether it is a secret.
// config.ts parses them; the build writes them to dist/catalog.json, and a test checks the README's table against
// them. No k6 import and no side effect here: the build evaluates this module in Node.

/** Defaults of the original suite (Valora's k6/config/env.js and the per-script tuning defaults). */
export const ORIGINAL = {
  BASE_URL: "http://localhost:8080",
  API_KEY: "vk_live_key_F98QDZLSN9J4_f2fcf6e5ca11cd463b182956bf5d338f13186ea52ec84f1e4acd24db0d6a9d79",
  ORG_ID: "2008111837777760256",
  CUSTOMER_ID: "2008111839082188800",
  METER_CODE: "hybrid-usage-meter-teste2e-ratinghybrid",
} as const;

export type Kind =
  | "string"
  | "secret"
  | "int"
  | "bool"
  | "duration"
  | "url"
  | "id"
  | "enum"
  | "invariants"
  | "json"
  | "headers"
  | "hex"
  | "path";

export interface VarSpec {
  name: string;
  kind: Kind;
  /** The default as a user would write it; "" = unset means off/empty. */
  def: string;
  min?: number;
  max?: number;
  /** Accepted values of an enum. */
  values?: readonly string[];
  secret?: boolean;
  /** Which scenarios read it ("all" or names). */
  usedBy: string;
  doc: string;
}

/** Every variable the suite reads. The README's variable table is checked against this list. */
export const VARIABLES: readonly VarSpec[] = [
  // the original suite's
  { name: "BASE_URL", kind: "url", def: ORIGINAL.BASE_URL, usedBy: "all", doc: "Valora's root URL" },
  {
    name: "API_KEY",
    kind: "secret",
    def: ORIGINAL.API_KEY,
    secret: true,
    usedBy: "all",
    doc: "API key for /api (unset: the original suite's sample key, which a real Valora refuses)",
  },
  { name: "ORG_ID", kind: "id", def: ORIGINAL.ORG_ID, usedBy: "admin", doc: "X-Org-Id for /admin" },
  { name: "CUSTOMER_ID", kind: "id", def: ORIGINAL.CUSTOMER_ID, usedBy: "ingest", doc: "customer with an ACTIVE subscription" },
  { name: "METER_CODE", kind: "string", def: ORIGINAL.METER_CODE, max: 200, usedBy: "ingest", doc: "meter code to ingest on" },
  { name: "ADMIN_SESSION", kind: "secret", def: "", secret: true, usedBy: "admin", doc: "a live _sid cookie value" },
  { name: "INGEST_VUS", kind: "int", def: "20", min: 1, max: 10000, usedBy: "ingest_load", doc: "VUs" },
  { name: "INGEST_DURATION", kind: "duration", def: "5m", min: 1, max: 86400, usedBy: "ingest_load", doc: "how long" },
  {
    name: "IDEMPOTENCY_ITERATIONS",
    kind: "int",
    def: "10",
    min: 3,
    max: 10000,
    usedBy: "ingest_idempotency",
    doc: "retries of the original event (exact, whitespace-padded key, changed payload in turn: at least 3)",
  },
  {
    name: "BURST_VUS",
    kind: "int",
    def: "30",
    min: 2,
    max: 5000,
    usedBy: "ingest_burst",
    doc: "VUs posting one event at one instant (at least 2 per instance)",
  },
  { name: "DASHBOARD_VUS", kind: "int", def: "15", min: 1, max: 10000, usedBy: "billing_dashboard", doc: "VUs" },
  {
    name: "DASHBOARD_DURATION",
    kind: "duration",
    def: "2m",
    min: 1,
    max: 86400,
    usedBy: "billing_dashboard",
    doc: "how long",
  },
  { name: "PAGE_SIZE", kind: "int", def: "50", min: 1, max: 1000, usedBy: "pagination", doc: "page size of the walk" },
  { name: "MAX_PAGES", kind: "int", def: "10", min: 1, max: 10000, usedBy: "pagination", doc: "pages to walk at most" },
  { name: "AUTH_VUS", kind: "int", def: "5", min: 1, max: 10000, usedBy: "api_key_auth_perf", doc: "VUs" },
  {
    name: "AUTH_DURATION",
    kind: "duration",
    def: "1m",
    min: 1,
    max: 86400,
    usedBy: "api_key_auth_perf",
    doc: "how long",
  },
  {
    name: "AUTH_COMPARE",
    kind: "bool",
    def: "false",
    usedBy: "api_key_auth_perf",
    doc: "also send each request without a key and measure the overhead",
  },
  {
    name: "WEBHOOK_VUS",
    kind: "int",
    def: "10",
    min: 2,
    max: 1000,
    usedBy: "webhook_idempotency",
    doc: "VUs delivering one event at one instant (at least 2 per instance)",
  },
  {
    name: "PAYMENT_PROVIDER",
    kind: "enum",
    def: "",
    values: ["stripe", "adyen", "braintree"],
    usedBy: "webhook_idempotency",
    doc: "the webhook route for WEBHOOK_PAYLOAD",
  },
  {
    name: "WEBHOOK_PAYLOAD",
    kind: "json",
    def: "",
    usedBy: "webhook_idempotency",
    doc: "a raw webhook body to replay, exactly as signed",
  },
  {
    name: "WEBHOOK_HEADERS",
    kind: "headers",
    def: "",
    secret: true,
    usedBy: "webhook_idempotency",
    doc: 'JSON object of headers sent with WEBHOOK_PAYLOAD, e.g. {"Stripe-Signature":"t=…,v1=…"}',
  },
  // the suite's own
  {
    name: "ADMIN_EMAIL",
    kind: "string",
    def: "",
    max: 320,
    usedBy: "admin, webhook, smoke, provision",
    doc: "log in instead of copying ADMIN_SESSION",
  },
  {
    name: "ADMIN_PASSWORD",
    kind: "secret",
    def: "",
    secret: true,
    usedBy: "admin, webhook, smoke, provision",
    doc: "the password of ADMIN_EMAIL",
  },
  {
    name: "SESSION_PER_VU",
    kind: "bool",
    def: "false",
    usedBy: "admin",
    doc: "one login per VU instead of one shared session",
  },
  {
    name: "ADMIN_DATABASE_URL",
    kind: "secret",
    def: "",
    secret: true,
    usedBy: "admin",
    doc: "postgres:// URL of Valora's database: mint one session per VU, no logins",
  },
  {
    name: "WEBHOOK_SECRET",
    kind: "secret",
    def: "",
    secret: true,
    usedBy: "webhook, smoke, provision",
    doc: "Stripe endpoint secret: build and sign events in-test",
  },
  {
    name: "ADYEN_HMAC_KEY",
    kind: "hex",
    def: "",
    secret: true,
    usedBy: "webhook, smoke, provision",
    doc: "also deliver signed Adyen notifications (hex key)",
  },
  {
    name: "STRICT_WEBHOOK_TIMESTAMP",
    kind: "bool",
    def: "true",
    usedBy: "webhook",
    doc: "alias: false is the same as listing webhook_rejects_stale_timestamp in ACCEPT_VIOLATIONS",
  },
  {
    name: "VALORA_ROLLUP_INTERVAL",
    kind: "duration",
    def: "1m",
    min: 0.1,
    max: 3600,
    usedBy: "webhook, smoke",
    doc: "Valora's scheduler tick, on which balances move (fixed at 1m in Valora)",
  },
  {
    name: "WEBHOOK_BALANCE_TIMEOUT",
    kind: "duration",
    def: "",
    min: 1,
    max: 3600,
    usedBy: "webhook, smoke",
    doc: "how long to wait for the balance to move (unset: derived from the deliveries and the rollup tick)",
  },
  {
    name: "WEBHOOK_BALANCE_GRACE",
    kind: "duration",
    def: "2s",
    min: 0,
    max: 600,
    usedBy: "webhook, smoke",
    doc: "after the balance reached the expected value, keep watching this long for a second change",
  },
  {
    name: "AUTH_RATIO_THRESHOLD",
    kind: "bool",
    def: "false",
    usedBy: "api_key_auth_perf",
    doc: "opt in to the original auth_overhead_ratio p(95)<2 threshold (with AUTH_COMPARE)",
  },
  {
    name: "PAGINATION_SEED",
    kind: "int",
    def: "25",
    min: 0,
    max: 500,
    usedBy: "pagination",
    doc: "customers to create as a known set (0 to skip; at least 6 otherwise)",
  },
  {
    name: "ACCEPT_VIOLATIONS",
    kind: "invariants",
    def: "",
    usedBy: "all",
    doc: "invariants whose violation is a known, accepted defect: shown as ACCEPTED, not failing the run",
  },
  {
    name: "OPTIONAL_INVARIANTS",
    kind: "invariants",
    def: "",
    usedBy: "all",
    doc: "invariants that may stay NOT CHECKED without making the run INCOMPLETE",
  },
  { name: "REPORT_DIR", kind: "path", def: "", usedBy: "all", doc: "write reports there (created if missing)" },
  {
    name: "PROVISION_ENV_FILE",
    kind: "path",
    def: "valora.env",
    usedBy: "provision",
    doc: "the environment file provision reads (if present) and writes (mode 0600)",
  },
  {
    name: "VALORA_K6_SELFTEST_DISABLE_INVARIANT",
    kind: "invariants",
    def: "",
    usedBy: "make test only",
    doc: "self-test mutation: the named invariants' checks can no longer fail (the verdict is never PASSED)",
  },
];

