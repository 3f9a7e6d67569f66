// Admin pagination stability on GET /admin/customers. Setup creates PAGINATION_SEED customers sharing one unique
// email; walking them with the email filter, in pages small enough to need several, must show each exactly once
// in created_at DESC, id DESC order. The unfiltered list (MAX_PAGES pages of PAGE_SIZE) must have no duplicate,
// fresh tokens, and lose no row compared with one big page.
import { cfg } from "./lib/config";
import { adminRequiresSession } from "./lib/dashboard";
import { invariantThresholds } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import {
  PAGINATION_INVARIANTS,
  paginationIteration,
  paginationSetup,
  paginationThresholds,
  type PaginationData,
} from "./lib/pagination";
import { abort, assertReachable } from "./lib/preflight";
import { acquireAdmin, NO_ADMIN_REASON, releaseAdmin, vuCredentials, type AdminAuth } from "./lib/session";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

export const options = scenarioOptions(
  {
    pagination: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "10m" },
    admin_session_required: { executor: "per-vu-iterations", vus: 1, iterations: 1, exec: "sessionRequired" },
  },
  { ...paginationThresholds(), ...invariantThresholds(PAGINATION_INVARIANTS) },
  // Creating the known set takes about a second per page boundary, plus a request per customer.
  { setupTimeout: `${60 + Math.ceil(cfg.paginationSeed / 2)}s` },
);

interface Data extends PaginationData {
  admin: AdminAuth;
}

export function setup(): Data {
  refuseUnsoundFlags();
  assertReachable();
  const admin = acquireAdmin(1, "/admin/customers", { page_size: 1 });
  if (!admin) abort(`ADMIN_SESSION: missing: ${NO_ADMIN_REASON}`);
  return { admin, ...paginationSetup({ token: admin.tokens[0], orgId: admin.orgId }, cfg.paginationSeed) };
}

export default function (d: Data): void {
  paginationIteration(vuCredentials(d.admin), d);
}

export function sessionRequired(d: Data): void {
  adminRequiresSession("/admin/customers", d.admin.orgId);
}

export function teardown(d: Data): void {
  releaseAdmin(d.admin);
  finish("pagination", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("pagination", data);
}
