// billing_dashboard: admin billing dashboard reads. DASHBOARD_VUS VUs for DASHBOARD_DURATION on
// /admin/billing/customers and /admin/billing/cycles, with bodies of the documented shape (contract section 4).
// Redirects are never followed, so an expired session fails loudly; setup proves the session first. The session
// comes from ADMIN_SESSION, a login (ADMIN_EMAIL/ADMIN_PASSWORD, SESSION_PER_VU=true for one per VU) or the database
// (ADMIN_DATABASE_URL, one minted per VU). A second k6 scenario checks that /admin refuses a request without one.
import type { Threshold } from "k6/options";
import { variables } from "../framework/config";
import { admin, bodyJson, isObject, type AdminCredentials, type Response } from "../framework/http";
import { defineInvariants } from "../framework/invariants";
import { excerpt, warnLimited } from "../framework/log";
import { abort, assertReachable } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";
import { acquireAdmin, NO_ADMIN_REASON, releaseAdmin, vuCredentials, type AdminAuth } from "../framework/session";
import { adminInvariants, adminRequiresSession } from "./admin";

const v = variables("billing_dashboard", {
  DASHBOARD_VUS: { kind: "int", def: 15, min: 1, max: 10000, doc: "VUs" },
  DASHBOARD_DURATION: { kind: "duration", def: "2m", min: 1, max: 86400, doc: "how long" },
});

const { holds, names } = defineInvariants({
  dashboard_customers_shape: { description: "GET /admin/billing/customers has the documented shape and field types." },
  dashboard_cycles_shape: { description: "GET /admin/billing/cycles has the documented shape and field types." },
});
type Name = (typeof names)[number];

export const BILLING_CUSTOMERS = "GET /admin/billing/customers";
export const BILLING_CYCLES = "GET /admin/billing/cycles";

/** The original thresholds: p95 < 500 ms and < 1% failures on both routes (a 302 counts as a failure). */
function dashboardThresholds(): Record<string, Threshold[]> {
  const t: Record<string, Threshold[]> = {};
  for (const n of [BILLING_CUSTOMERS, BILLING_CYCLES]) {
    t[`http_req_duration{name:${n}}`] = ["p(95)<500"];
    t[`http_req_failed{name:${n}}`] = ["rate<0.01"];
  }
  return t;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === "string";

/** Problems with a /admin/billing/customers body; empty when it has the documented shape. */
export function customersProblems(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.customers)) return ['not {"customers":[…]}'];
  const out: string[] = [];
  if (body.customers.length > 10) out.push(`${body.customers.length} rows, the dashboard shows at most 10`);
  body.customers.forEach((c: unknown, i: number) => {
    const at = `customers[${i}]`;
    if (!isObject(c)) return out.push(`${at} is not an object`);
    if (!isStr(c.customer_id) || !/^\d+$/.test(c.customer_id)) out.push(`${at}.customer_id is not a decimal string`);
    if (!isStr(c.name)) out.push(`${at}.name is not a string`);
    if (!isInt(c.balance)) out.push(`${at}.balance is not an integer (minor units)`);
    if (!isStr(c.currency) || c.currency !== c.currency.toUpperCase())
      out.push(`${at}.currency is not an upper-case string`);
    if ("last_invoice_id" in c && !isStr(c.last_invoice_id)) out.push(`${at}.last_invoice_id is not a string`);
    const want = isInt(c.balance) ? (c.balance > 0 ? "due" : c.balance < 0 ? "credit" : "settled") : undefined;
    if (!["due", "credit", "settled"].includes(String(c.payment_status))) {
      out.push(`${at}.payment_status ${JSON.stringify(c.payment_status)} is not due|credit|settled`);
    } else if (want && c.payment_status !== want) {
      out.push(`${at}.payment_status is ${String(c.payment_status)} for balance ${String(c.balance)}`);
    }
    return undefined;
  });
  return out;
}

/** Problems with a /admin/billing/cycles body; empty when it has the documented shape. */
export function cyclesProblems(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.cycles)) return ['not {"cycles":[…]}'];
  const out: string[] = [];
  body.cycles.forEach((c: unknown, i: number) => {
    const at = `cycles[${i}]`;
    if (!isObject(c)) return out.push(`${at} is not an object`);
    if (!isStr(c.cycle_id)) out.push(`${at}.cycle_id is not a string`);
    if (!isStr(c.period) || !/^\d{4}-\d{2}$/.test(c.period)) out.push(`${at}.period is not YYYY-MM`);
    if (!isInt(c.total_revenue)) out.push(`${at}.total_revenue is not an integer`);
    if (!isInt(c.invoice_count) || c.invoice_count < 0) out.push(`${at}.invoice_count is not a non-negative integer`);
    if (!isStr(c.status) || c.status === "") out.push(`${at}.status is not a non-empty string`);
    else if (c.total_revenue === 0 && c.status !== "No Activity")
      out.push(`${at}.status is "${c.status}" with no revenue`);
    return undefined;
  });
  return out;
}

function shape(inv: Name, route: string, res: Response, problems: (b: unknown) => string[]): void {
  // Non-2xx answers are failures counted by http_req_failed; the shape is judged on the answers that claim success.
  if (res.status !== 200) {
    warnLimited(
      `status:${route}`,
      `${route} answered ${res.status}${res.status === 302 ? " (session rejected: redirect to /login)" : ""}`,
    );
    return;
  }
  const p = problems(bodyJson(res));
  holds(
    inv,
    p.length === 0,
    `${route} has the documented shape`,
    () => `${p.slice(0, 5).join("; ")} — ${excerpt(res.body)}`,
  );
}

export function dashboardIteration(creds: AdminCredentials): void {
  shape(
    "dashboard_customers_shape",
    BILLING_CUSTOMERS,
    admin("GET", "/admin/billing/customers", creds),
    customersProblems,
  );
  shape("dashboard_cycles_shape", BILLING_CYCLES, admin("GET", "/admin/billing/cycles", creds), cyclesProblems);
}

interface Data extends SetupData {
  admin?: AdminAuth;
}

function session(d: Data): void {
  adminRequiresSession("/admin/billing/customers", d.admin?.orgId ?? "");
}

const catches = {
  "dashboard-shape": ["dashboard_customers_shape", "dashboard_cycles_shape"],
  "session-skip": ["admin_requires_session"],
};

export const billingDashboard: Scenario<Data, AdminAuth> = {
  name: "billing_dashboard",
  invariants: [...names, ...adminInvariants.names],
  scenarios: {
    billing_dashboard: { executor: "constant-vus", vus: v.DASHBOARD_VUS, duration: v.DASHBOARD_DURATION, exec: "read" },
    admin_session_required: { executor: "per-vu-iterations", vus: 1, iterations: 1, exec: "session" },
  },
  thresholds: dashboardThresholds(),
  setup(): Data {
    assertReachable();
    const auth = acquireAdmin(v.DASHBOARD_VUS, "/admin/billing/customers");
    if (!auth) abort(`ADMIN_SESSION: missing: ${NO_ADMIN_REASON}`);
    return { admin: auth, notChecked: {} };
  },
  iterations: { read: (d) => dashboardIteration(vuCredentials(d.admin!)), session },
  teardown: (d) => releaseAdmin(d.admin),
  catches: { ...catches, slow: [`http_req_duration{name:${BILLING_CUSTOMERS}}`, `http_req_duration{name:${BILLING_CYCLES}}`] },
  smoke: {
    order: 6,
    scenarios: {
      billing_dashboard: { executor: "constant-vus", vus: 1, duration: "5s", exec: "read" },
      admin_session_required: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s", exec: "session" },
    },
    thresholds: {
      "http_req_failed{scenario:billing_dashboard}": ["rate<0.01"],
      [`http_req_duration{name:${BILLING_CUSTOMERS},scenario:billing_dashboard}`]: ["p(95)<500"],
    },
    setup(ctx): Data {
      const notChecked: Record<string, string> = {};
      if (!ctx.admin) for (const n of names) notChecked[n] = NO_ADMIN_REASON;
      return { admin: ctx.admin, notChecked };
    },
    iterations: { read: (d) => d.admin && dashboardIteration(vuCredentials(d.admin)), session },
    catches: { ...catches, slow: [`http_req_duration{name:${BILLING_CUSTOMERS},scenario:billing_dashboard}`] },
  },
};
