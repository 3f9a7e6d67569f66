// Every invariant at minimal load: one k6 scenario per suite scenario (catalog.ts SMOKE_PARTS), each calling the
// same functions as the individual scripts. Ingest scenarios run one after another (they share a customer and
// meter, which Valora's limiter serialises), the load part paced below Valora's default limits; the rest run
// alongside. Parts whose configuration is missing (no admin access, no webhook secret) are NOT CHECKED with the
// reason, which makes the run INCOMPLETE unless the user lists them in OPTIONAL_INVARIANTS.
import exec from "k6/execution";
import { authIteration, authRefusals, CUSTOMERS } from "./lib/auth";
import { cfg } from "./lib/config";
import { adminRequiresSession, BILLING_CUSTOMERS, DASHBOARD_INVARIANTS, dashboardIteration } from "./lib/dashboard";
import {
  burstIteration,
  burstSetup,
  idempotencyIteration,
  idempotencySetup,
  ingestLoadIteration,
  ingestPreflight,
  limiterNotes,
  USAGE,
  type BurstData,
  type IdempotencyData,
} from "./lib/ingest";
import { invariantsOf } from "./lib/catalog";
import { invariantThresholds, mergeNotChecked, type NotChecked } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { PAGINATION_INVARIANTS, paginationIteration, paginationSetup, type PaginationData } from "./lib/pagination";
import {
  acquireAdmin,
  configuredSource,
  NO_ADMIN_REASON,
  releaseAdmin,
  vuCredentials,
  type AdminAuth,
} from "./lib/session";
import { report, type SummaryData } from "./lib/summary";
import { requireSimultaneous } from "./lib/sync";
import { finish, refuseUnsoundFlags } from "./lib/verdict";
import {
  effectTeardownSeconds,
  MAX_EFFECT_EVENTS,
  webhookChecksIteration,
  webhookConcurrentIteration,
  webhookSetup,
  webhookVerifyEffect,
  type WebhookData,
} from "./lib/webhook";

const BURST_VUS = 5;
const WEBHOOK_VUS = 3;
const IDEMPOTENCY_RETRIES = 3;
const PAGINATION_SEED = 7;

const ALL = invariantsOf("smoke");
/** Below Valora's default usage limit (15/s sustained per org, contract 2.5): a healthy Valora never throttles it. */
const INGEST_RATE = 10;

const once = { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s" } as const;

const SCENARIOS = {
  ingest_load: {
    executor: "constant-arrival-rate",
    rate: INGEST_RATE,
    timeUnit: "1s",
    duration: "5s",
    preAllocatedVUs: 2,
    maxVUs: 4,
    exec: "ingestLoad",
  },
  ingest_idempotency: { ...once, iterations: IDEMPOTENCY_RETRIES, startTime: "6s", exec: "ingestIdempotency" },
  ingest_burst: { ...once, vus: BURST_VUS, startTime: "9s", exec: "ingestBurst" },
  auth_perf: { executor: "constant-vus", vus: 1, duration: "5s", exec: "authPerf" },
  auth_refusals: { ...once, exec: "authRefusalCases" },
  webhook_concurrent: { ...once, vus: WEBHOOK_VUS, exec: "webhookConcurrent" },
  webhook_checks: { ...once, exec: "webhookChecks" },
  billing_dashboard: { executor: "constant-vus", vus: 1, duration: "5s", exec: "dashboard" },
  admin_session_required: { ...once, exec: "sessionRequired" },
  pagination: { ...once, exec: "pagination" },
} as const;

/** Failures per scenario, so the failing part is named, and one latency budget per kind of route. */
function failureThresholds(): Record<string, string[]> {
  const t: Record<string, string[]> = {};
  for (const name of [
    "ingest_load",
    "ingest_idempotency",
    "ingest_burst",
    "auth_perf",
    "billing_dashboard",
    "pagination",
  ]) {
    t[`http_req_failed{scenario:${name}}`] = ["rate<0.01"];
  }
  // A server that throttles a paced, minimal load fails here, as in ingest_load (429s below 0.3/s).
  t[`http_reqs{name:${USAGE},status:429,scenario:ingest_load}`] = ["rate<0.3"];
  // The original latency budgets, one route each: a slow server fails smoke as it fails the full scenarios.
  t[`http_req_duration{name:${USAGE},status:200,scenario:ingest_load}`] = ["p(95)<300"];
  t[`http_req_duration{name:${CUSTOMERS},scenario:auth_perf}`] = ["p(95)<200"];
  t[`http_req_duration{name:${BILLING_CUSTOMERS},scenario:billing_dashboard}`] = ["p(95)<500"];
  return t;
}

export const options = scenarioOptions(
  { ...SCENARIOS },
  { ...failureThresholds(), ...invariantThresholds(ALL) },
  { setupTimeout: "120s", teardownTimeout: `${effectTeardownSeconds(MAX_EFFECT_EVENTS)}s` },
);

interface Data {
  idempotency: IdempotencyData;
  burst: BurstData;
  webhook: WebhookData;
  admin?: AdminAuth;
  pagination?: PaginationData;
  notChecked: NotChecked;
}

export function setup(): Data {
  refuseUnsoundFlags();
  requireSimultaneous(WEBHOOK_VUS, "smoke's webhook_concurrent (3 VUs)");
  const burst = burstSetup(BURST_VUS, "smoke's ingest_burst (5 VUs)");
  ingestPreflight();
  const idempotency = idempotencySetup(IDEMPOTENCY_RETRIES);
  const admin = configuredSource() ? acquireAdmin(2, "/admin/billing/customers") : undefined;
  const adminNotChecked: NotChecked = {};
  let pagination: PaginationData | undefined;
  if (admin) {
    pagination = paginationSetup({ token: admin.tokens[0], orgId: admin.orgId }, PAGINATION_SEED);
  } else {
    for (const n of [...DASHBOARD_INVARIANTS, ...PAGINATION_INVARIANTS]) {
      // The refusal of a request without a session needs no session: it is always checked.
      if (n !== "admin_requires_session") adminNotChecked[n] = NO_ADMIN_REASON;
    }
  }
  const webhook = webhookSetup(true, admin ?? null);
  return {
    idempotency,
    burst,
    webhook,
    admin,
    pagination,
    notChecked: mergeNotChecked(idempotency.notChecked, adminNotChecked, pagination?.notChecked, webhook.notChecked),
  };
}

export function ingestLoad(): void {
  ingestLoadIteration();
}

export function ingestIdempotency(d: Data): void {
  idempotencyIteration(d.idempotency, exec.scenario.iterationInTest);
}

export function ingestBurst(d: Data): void {
  burstIteration(d.burst, BURST_VUS);
}

export function authPerf(): void {
  authIteration(true);
}

export function authRefusalCases(): void {
  authRefusals();
}

export function webhookConcurrent(d: Data): void {
  webhookConcurrentIteration(d.webhook, WEBHOOK_VUS);
}

export function webhookChecks(d: Data): void {
  webhookChecksIteration(d.webhook);
}

export function dashboard(d: Data): void {
  if (d.admin) dashboardIteration(vuCredentials(d.admin));
}

export function sessionRequired(d: Data): void {
  const orgId = d.admin ? d.admin.orgId : cfg.orgId;
  adminRequiresSession("/admin/billing/customers", orgId);
  adminRequiresSession("/admin/customers", orgId);
}

export function pagination(d: Data): void {
  if (d.admin && d.pagination) paginationIteration(vuCredentials(d.admin), d.pagination);
}

export function teardown(d: Data): void {
  if (d) {
    webhookVerifyEffect(d.webhook);
    releaseAdmin(d.admin);
  }
  finish("smoke", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("smoke", data, { notes: limiterNotes("smoke") });
}
