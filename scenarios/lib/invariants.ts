// Invariants: what must hold beyond a status code. Each check carries an `invariant` tag, and each invariant gets a
// threshold `checks{invariant:<name>}: rate==1`, so one violation fails the run and the failed threshold names it.
import { check } from "k6";
import { Counter } from "k6/metrics";
import type { Threshold } from "k6/options";
import { cfg } from "./config";
import { warnLimited } from "./log";

export const INVARIANTS = {
  // usage ingest
  ingest_echo: "Every accepted usage event echoes what was sent (customer, meter, value, key, recorded_at).",
  ingest_unique_id: "Every accepted usage event gets an id no other event got, across all VUs.",
  rate_limit_retry_after: "Every 429 from the usage limiter carries a usable Retry-After.",
  idempotent_retry: "A retry with the same key and payload returns the original record.",
  idempotent_key_whitespace: "A retry whose key differs only by surrounding whitespace returns the original record.",
  idempotent_changed_payload: "A retry with the same key but a changed payload returns the original, unchanged record.",
  burst_no_5xx: "Identical posts sent at the same instant never get a 5xx.",
  burst_accepted: "Every post of the burst is accepted, honouring Retry-After on a 429 (bounded retries).",
  burst_same_record: "Every VU of the burst holds the same record id.",
  // API-key authentication
  auth_refuses_missing_key: "/api without an Authorization header is refused with 401 and the unauthorized envelope.",
  auth_refuses_unknown_key:
    "/api with a well-formed but unknown key is refused with 401 and the unauthorized envelope.",
  auth_refuses_malformed_header:
    "/api with a malformed Authorization header is refused with 401 and the unauthorized envelope.",
  auth_refuses_org_hint: "/api with a valid key plus X-Org-Id, ?org_id= or ?orgId= is refused with 401.",
  // payment webhooks
  webhook_concurrent_accepted: "The same event delivered by several VUs at the same instant gets 200 every time.",
  webhook_distinct_accepted: "Distinct events, and replays of them, are accepted with 200.",
  webhook_effect_once:
    "The customer's balance moved by exactly the sum of the distinct payment_succeeded amounts (each event counted once).",
  webhook_rejects_tampered_body: "A body changed after signing is refused (4xx).",
  webhook_rejects_wrong_secret: "A body signed with the wrong secret is refused (4xx).",
  webhook_rejects_missing_signature: "A body without a signature is refused (4xx).",
  webhook_rejects_stale_timestamp: "A Stripe signature older than Stripe's 300 s tolerance is refused (4xx).",
  // admin
  admin_requires_session: "/admin without a valid _sid answers 302 to /login, never data.",
  dashboard_customers_shape: "GET /admin/billing/customers has the documented shape and field types.",
  dashboard_cycles_shape: "GET /admin/billing/cycles has the documented shape and field types.",
  // pagination
  pagination_shape: "Every page has the documented shape (Valora's data.customers or Railzway's data + page_info).",
  pagination_no_duplicates: "No customer id appears twice while walking the pages.",
  pagination_token_advances: "Every next_page_token is new, and has_more always comes with a token.",
  pagination_order: "Rows come in created_at DESC, id DESC order, across page boundaries.",
  pagination_no_row_lost: "Every customer of a known set is seen exactly once while walking the pages.",
  pagination_same_second_rows:
    "Rows sharing the created_at second of a page's last row are not skipped (Valora's cursor keeps whole seconds).",
  // provisioning
  provision_ready: "The provisioned API key, customer and meter ingest usage.",
  provision_webhook_ready: "The provisioned Stripe webhook secret is accepted by Valora.",
} as const;

export type InvariantName = keyof typeof INVARIANTS;

/** Why an invariant could not be checked in this run, by invariant; reported, never a failure. */
export type NotChecked = Partial<Record<InvariantName, string>>;

/** Reasons that can only be known while running; the summary reads them from the counter below. */
const RUNTIME_REASONS: Partial<Record<InvariantName, string>> = {
  webhook_effect_once:
    "the test customer was no longer among the 10 rows of /admin/billing/customers when the balance was read",
};

/** Why an invariant can have no observation in a healthy run. */
const NO_SAMPLE_REASONS: Partial<Record<InvariantName, string>> = {
  rate_limit_retry_after: "no 429 was answered, so there was no Retry-After to check",
  pagination_token_advances: "every walk fitted on one page: no token to follow",
};

const notCheckedAtRuntime = new Counter("invariant_not_checked");

/** An advisory invariant is reported like the others but does not fail the run. */
export function advisory(name: InvariantName): boolean {
  if (name === "webhook_rejects_stale_timestamp") return !cfg.strictWebhookTimestamp;
  // A documented Valora limitation (contract 3.1): reported as a finding, never a failure.
  return name === "pagination_same_second_rows";
}

export function runtimeReason(name: InvariantName): string | undefined {
  return RUNTIME_REASONS[name];
}

export function noSampleReason(name: InvariantName): string {
  return NO_SAMPLE_REASONS[name] ?? "no check ran (the run ended or was aborted before reaching it)";
}

/**
 * Records one observation of an invariant. `label` names what was checked and must be stable (k6 aggregates checks
 * by name); `explain` adds the specifics of a violation to the log.
 */
export function holds(name: InvariantName, ok: boolean, label: string, explain?: () => string): boolean {
  check(null, { [label]: () => ok }, { invariant: name });
  if (!ok) {
    const detail = explain ? `: ${explain()}` : "";
    warnLimited(`invariant:${name}:${label}`, `invariant ${name} violated: ${label}${detail}`);
  }
  return ok;
}

export function markNotCheckedAtRuntime(name: InvariantName): void {
  notCheckedAtRuntime.add(1, { invariant: name });
}

/** `checks{invariant:<name>}: rate==1` for each invariant (rate>=0 for an advisory one: reported, never failing). */
export function invariantThresholds(names: readonly InvariantName[]): Record<string, Threshold[]> {
  const out: Record<string, Threshold[]> = {};
  for (const n of names) {
    out[`checks{invariant:${n}}`] = [advisory(n) ? "rate>=0" : "rate==1"];
    // Makes the runtime "not checked" count visible to handleSummary; it can never fail.
    if (RUNTIME_REASONS[n]) out[`invariant_not_checked{invariant:${n}}`] = ["count>=0"];
  }
  return out;
}

/** Merges the "not checked" reasons of several setups (the smoke test runs them all). */
export function mergeNotChecked(...parts: (NotChecked | undefined)[]): NotChecked {
  const out: NotChecked = {};
  for (const p of parts) Object.assign(out, p ?? {});
  return out;
}
