// The invariant catalogue and which scenario checks which invariants: the one source for the scenarios, smoke, the
// reports and the end-to-end fault matrix (the build writes it to dist/catalog.json, and the Go tests read it). No
// k6 import here: the build evaluates this module in Node.
import { VARIABLES } from "./variables";

export interface InvariantSpec {
  /** What must hold, stated as the invariant (not as a status code). */
  description: string;
  /**
   * Set when a healthy run may legitimately observe nothing (no 429 was answered, say): the reason printed then.
   * Such an invariant being NOT CHECKED for that reason does not make the run INCOMPLETE.
   */
  conditional?: string;
}

export const INVARIANTS = {
  // usage ingest
  ingest_echo: { description: "Every accepted usage event echoes what was sent (customer, meter, value, key, recorded_at)." },
  ingest_unique_id: { description: "Every accepted usage event gets an id no other event got, across all VUs." },
  rate_limit_retry_after: {
    description: "Every 429 from the usage limiter carries a usable Retry-After.",
    conditional: "no 429 was answered, so there was no Retry-After to check",
  },
  idempotent_retry: { description: "A retry with the same key and payload returns the original record." },
  idempotent_key_whitespace: {
    description: "A retry whose key differs only by surrounding whitespace returns the original record.",
  },
  idempotent_changed_payload: {
    description: "A retry with the same key but a changed payload returns the original, unchanged record.",
  },
  burst_no_5xx: { description: "Identical posts sent at the same instant never get a 5xx." },
  burst_accepted: {
    description: "Every post of the burst is accepted, honouring Retry-After on a 429 (bounded retries).",
  },
  burst_same_record: {
    description: "Identical posts sent at the same instant (Valora's concurrent dedupe path) all hold one record id.",
  },
  // API-key authentication
  auth_refuses_missing_key: {
    description: "/api without an Authorization header is refused with 401 and the unauthorized envelope.",
  },
  auth_refuses_unknown_key: {
    description: "/api with a well-formed but unknown key is refused with 401 and the unauthorized envelope.",
  },
  auth_refuses_malformed_header: {
    description: "/api with a malformed Authorization header is refused with 401 and the unauthorized envelope.",
  },
  auth_refuses_org_hint: { description: "/api with a valid key plus X-Org-Id, ?org_id= or ?orgId= is refused with 401." },
  // payment webhooks
  webhook_concurrent_accepted: {
    description: "The same event delivered by several VUs at the same instant gets 200 every time.",
  },
  webhook_distinct_accepted: { description: "Distinct events, and replays of them, are accepted with 200." },
  webhook_effect_once: {
    description:
      "The customer's balance moved by exactly the sum of the distinct accepted payment_succeeded amounts (each event counted once).",
  },
  webhook_rejects_tampered_body: { description: "A body changed after signing is refused (4xx)." },
  webhook_rejects_wrong_secret: { description: "A body signed with the wrong secret is refused (4xx)." },
  webhook_rejects_missing_signature: { description: "A body without a signature is refused (4xx)." },
  webhook_rejects_stale_timestamp: {
    description: "A Stripe signature older than Stripe's 300 s tolerance is refused (4xx).",
  },
  // admin
  admin_requires_session: { description: "/admin without a valid _sid answers 302 to /login, never data." },
  dashboard_customers_shape: { description: "GET /admin/billing/customers has the documented shape and field types." },
  dashboard_cycles_shape: { description: "GET /admin/billing/cycles has the documented shape and field types." },
  // pagination
  pagination_shape: {
    description: "Every page has the documented shape (Valora's data.customers or Railzway's data + page_info).",
  },
  pagination_no_duplicates: { description: "No customer id appears twice while walking the pages." },
  pagination_token_advances: {
    description: "Every next_page_token is new, and has_more always comes with a token.",
    conditional: "every walk fitted on one page: no token to follow",
  },
  pagination_order: { description: "Rows come in created_at DESC, id DESC order, across page boundaries." },
  pagination_no_row_lost: {
    description: "Every customer is seen exactly once while walking the pages, whatever the cause of a loss.",
  },
  pagination_no_row_lost_between_seconds: {
    description:
      "No row is lost after a page boundary that falls between two seconds, where even a whole-second cursor is exact.",
  },
  // provisioning
  provision_ready: { description: "The provisioned API key, customer and meter ingest usage." },
  provision_webhook_ready: { description: "The provisioned Stripe webhook secret is accepted by Valora." },
} as const satisfies Record<string, InvariantSpec>;

export type InvariantName = keyof typeof INVARIANTS;

export function isInvariantName(s: string): s is InvariantName {
  return Object.prototype.hasOwnProperty.call(INVARIANTS, s);
}

export function describe(name: InvariantName): string {
  return INVARIANTS[name].description;
}

export function conditionalReason(name: InvariantName): string | undefined {
  return (INVARIANTS[name] as InvariantSpec).conditional;
}

/** The invariants each scenario exists to check, in report order. */
export const SCENARIO_INVARIANTS = {
  ingest_load: ["ingest_echo", "ingest_unique_id", "rate_limit_retry_after"],
  ingest_idempotency: [
    "ingest_echo",
    "idempotent_retry",
    "idempotent_key_whitespace",
    "idempotent_changed_payload",
    "rate_limit_retry_after",
  ],
  ingest_burst: ["burst_no_5xx", "burst_accepted", "burst_same_record", "ingest_echo", "rate_limit_retry_after"],
  api_key_auth_perf: [
    "auth_refuses_missing_key",
    "auth_refuses_unknown_key",
    "auth_refuses_malformed_header",
    "auth_refuses_org_hint",
  ],
  webhook_idempotency: [
    "webhook_concurrent_accepted",
    "webhook_distinct_accepted",
    "webhook_effect_once",
    "webhook_rejects_tampered_body",
    "webhook_rejects_wrong_secret",
    "webhook_rejects_missing_signature",
    "webhook_rejects_stale_timestamp",
  ],
  billing_dashboard: ["dashboard_customers_shape", "dashboard_cycles_shape", "admin_requires_session"],
  pagination: [
    "pagination_shape",
    "pagination_no_duplicates",
    "pagination_token_advances",
    "pagination_order",
    "pagination_no_row_lost",
    "pagination_no_row_lost_between_seconds",
    "admin_requires_session",
  ],
  provision: ["provision_ready", "provision_webhook_ready"],
} as const satisfies Record<string, readonly InvariantName[]>;

export type ScenarioName = keyof typeof SCENARIO_INVARIANTS | "smoke";

/** The scenarios smoke is composed of (each at minimal load). */
export const SMOKE_PARTS = [
  "ingest_load",
  "ingest_idempotency",
  "ingest_burst",
  "api_key_auth_perf",
  "webhook_idempotency",
  "billing_dashboard",
  "pagination",
] as const satisfies readonly (keyof typeof SCENARIO_INVARIANTS)[];

export function invariantsOf(scenario: ScenarioName): InvariantName[] {
  if (scenario === "smoke") {
    const all = new Set<InvariantName>();
    for (const p of SMOKE_PARTS) for (const n of SCENARIO_INVARIANTS[p]) all.add(n);
    return [...all];
  }
  return [...SCENARIO_INVARIANTS[scenario]];
}

/**
 * Defects of Valora itself (contract sections 3.1 and 5.3) that a healthy stand-in reproduces: a run against either
 * fails on them unless the user accepts them with ACCEPT_VIOLATIONS.
 */
export const KNOWN_VALORA_DEFECTS: Partial<Record<InvariantName, string>> = {
  pagination_no_row_lost:
    "Valora's cursor keeps created_at in whole seconds and compares strictly, so rows created in the same second as a page's last row are never listed",
  webhook_rejects_stale_timestamp: "Valora does not check the Stripe-Signature timestamp: an old signature replays",
};

// ---------------------------------------------------------------- what each stand-in fault must trip

/**
 * A threshold's metric key as k6 reports it (a crossed latency or failure budget), for faults that break a budget
 * rather than an invariant.
 */
const T = {
  ingestP95: "http_req_duration{name:POST /api/usage,status:200}",
  ingestFailed: "http_req_failed{name:POST /api/usage}",
  ingest429: "http_reqs{name:POST /api/usage,status:429}",
  authP95: "http_req_duration{name:GET /api/customers}",
  dashCustomersP95: "http_req_duration{name:GET /admin/billing/customers}",
  dashCyclesP95: "http_req_duration{name:GET /admin/billing/cycles}",
  smokeIngestP95: "http_req_duration{name:POST /api/usage,status:200,scenario:ingest_load}",
  smokeIngestFailed: "http_req_failed{scenario:ingest_load}",
  smokeIngest429: "http_reqs{name:POST /api/usage,status:429,scenario:ingest_load}",
  smokeAuthP95: "http_req_duration{name:GET /api/customers,scenario:auth_perf}",
  smokeDashP95: "http_req_duration{name:GET /admin/billing/customers,scenario:billing_dashboard}",
} as const;

export type Trip = InvariantName | (typeof T)[keyof typeof T];

/**
 * The fault matrix, one source: for each stand-in fault (standin/faults.go names the same faults), the scenarios
 * that must catch it and exactly what each must trip (violated invariants, crossed thresholds). The row "healthy"
 * is the stand-in without faults: there Valora's known defects must show, as ACCEPTED violations.
 */
export const FAULT_TRIPS: Record<string, Partial<Record<ScenarioName, Trip[]>>> = {
  healthy: {
    pagination: ["pagination_no_row_lost"],
    webhook_idempotency: ["webhook_rejects_stale_timestamp"],
    smoke: ["pagination_no_row_lost", "webhook_rejects_stale_timestamp"],
  },
  "ingest-duplicate": {
    ingest_idempotency: ["idempotent_retry", "idempotent_key_whitespace", "idempotent_changed_payload"],
    ingest_burst: ["burst_same_record"],
    smoke: ["idempotent_retry", "idempotent_key_whitespace", "idempotent_changed_payload", "burst_same_record"],
  },
  "ingest-shared-id": { ingest_load: ["ingest_unique_id"], smoke: ["ingest_unique_id"] },
  "ingest-echo": { ingest_load: ["ingest_echo"], smoke: ["ingest_echo"] },
  "limiter-no-retry-after": { ingest_load: ["rate_limit_retry_after"], smoke: ["rate_limit_retry_after"] },
  "webhook-replay": { webhook_idempotency: ["webhook_effect_once"], smoke: ["webhook_effect_once"] },
  "webhook-unsigned": {
    webhook_idempotency: [
      "webhook_rejects_tampered_body",
      "webhook_rejects_wrong_secret",
      "webhook_rejects_missing_signature",
    ],
    smoke: ["webhook_rejects_tampered_body", "webhook_rejects_wrong_secret", "webhook_rejects_missing_signature"],
  },
  "webhook-duplicate-refused": {
    webhook_idempotency: ["webhook_concurrent_accepted", "webhook_distinct_accepted"],
    smoke: ["webhook_concurrent_accepted", "webhook_distinct_accepted"],
  },
  "apikey-any": {
    api_key_auth_perf: ["auth_refuses_missing_key", "auth_refuses_unknown_key", "auth_refuses_malformed_header"],
    smoke: ["auth_refuses_missing_key", "auth_refuses_unknown_key", "auth_refuses_malformed_header"],
  },
  "org-header": { api_key_auth_perf: ["auth_refuses_org_hint"], smoke: ["auth_refuses_org_hint"] },
  "dashboard-shape": {
    billing_dashboard: ["dashboard_customers_shape", "dashboard_cycles_shape"],
    smoke: ["dashboard_customers_shape", "dashboard_cycles_shape"],
  },
  "session-skip": {
    billing_dashboard: ["admin_requires_session"],
    pagination: ["admin_requires_session"],
    smoke: ["admin_requires_session"],
  },
  "page-repeat": { pagination: ["pagination_no_duplicates"], smoke: ["pagination_no_duplicates"] },
  "page-drop": {
    pagination: ["pagination_no_row_lost_between_seconds"],
    smoke: ["pagination_no_row_lost_between_seconds"],
  },
  "page-shape": { pagination: ["pagination_shape"], smoke: ["pagination_shape"] },
  "page-order": { pagination: ["pagination_order"], smoke: ["pagination_order"] },
  "page-token-stuck": { pagination: ["pagination_token_advances"], smoke: ["pagination_token_advances"] },
  slow: {
    ingest_load: [T.ingestP95],
    api_key_auth_perf: [T.authP95],
    billing_dashboard: [T.dashCustomersP95, T.dashCyclesP95],
    smoke: [T.smokeIngestP95, T.smokeAuthP95, T.smokeDashP95],
  },
  "errors-5xx": {
    ingest_load: [T.ingestFailed],
    ingest_burst: ["burst_no_5xx"],
    smoke: [T.smokeIngestFailed, "burst_no_5xx"],
  },
  "limiter-strict": {
    ingest_load: [T.ingest429],
    ingest_burst: ["burst_accepted"],
    // Smoke's five-VU burst gets through the strict limiter within its retries; its paced ingest does not.
    smoke: [T.smokeIngest429],
  },
  "provider-config-ignored": { provision: ["provision_webhook_ready"] },
  "activation-ignored": { provision: ["provision_ready"] },
};

/** Everything the build writes to dist/catalog.json for the Go tests. */
export function catalogJson(): string {
  const invariants: Record<string, { description: string; conditional?: string }> = {};
  for (const [k, v] of Object.entries(INVARIANTS)) invariants[k] = { ...(v as InvariantSpec) };
  const scenarios: Record<string, string[]> = {};
  for (const k of Object.keys(SCENARIO_INVARIANTS) as (keyof typeof SCENARIO_INVARIANTS)[]) scenarios[k] = invariantsOf(k);
  scenarios.smoke = invariantsOf("smoke");
  return JSON.stringify(
    {
      invariants,
      scenarios,
      smokeParts: SMOKE_PARTS,
      knownDefects: KNOWN_VALORA_DEFECTS,
      faults: FAULT_TRIPS,
      variables: VARIABLES,
    },
    null,
    2,
  );
}
