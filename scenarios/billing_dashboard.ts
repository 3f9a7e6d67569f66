// Admin billing dashboard reads: DASHBOARD_VUS VUs for DASHBOARD_DURATION on /admin/billing/customers and
// /admin/billing/cycles. Redirects are never followed, so an expired session fails loudly; setup proves the
// session first. The session comes from ADMIN_SESSION, a login (ADMIN_EMAIL/ADMIN_PASSWORD, SESSION_PER_VU=true
// for one per VU) or the database (ADMIN_DATABASE_URL, one minted per VU).
import { cfg } from "./lib/config";
import { adminRequiresSession, DASHBOARD_INVARIANTS, dashboardIteration, dashboardThresholds } from "./lib/dashboard";
import { invariantThresholds, type NotChecked } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { abort, assertReachable } from "./lib/preflight";
import { acquireAdmin, NO_ADMIN_REASON, releaseAdmin, vuCredentials, type AdminAuth } from "./lib/session";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

export const options = scenarioOptions(
  {
    billing_dashboard: { executor: "constant-vus", vus: cfg.dashboardVus, duration: cfg.dashboardDuration },
    admin_session_required: { executor: "per-vu-iterations", vus: 1, iterations: 1, exec: "sessionRequired" },
  },
  { ...dashboardThresholds(), ...invariantThresholds(DASHBOARD_INVARIANTS) },
);

interface Data {
  admin: AdminAuth;
  notChecked: NotChecked;
}

export function setup(): Data {
  refuseUnsoundFlags();
  assertReachable();
  const admin = acquireAdmin(cfg.dashboardVus, "/admin/billing/customers");
  if (!admin) abort(`ADMIN_SESSION: missing: ${NO_ADMIN_REASON}`);
  return { admin, notChecked: {} };
}

export default function (d: Data): void {
  dashboardIteration(vuCredentials(d.admin));
}

export function sessionRequired(d: Data): void {
  adminRequiresSession("/admin/billing/customers", d.admin.orgId);
}

export function teardown(d: Data): void {
  releaseAdmin(d.admin);
  finish("billing_dashboard", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("billing_dashboard", data);
}
