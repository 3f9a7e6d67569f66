// The admin billing dashboard: GET /admin/billing/customers and /admin/billing/cycles under a session, with bodies
// of the documented shape (contract section 4), and /admin refusing a request without a valid session.
import type { Threshold } from "k6/options";
import { randomBytes } from "k6/crypto";
import { admin, bodyJson, expect302, header, isObject, send, type AdminCredentials, type Response } from "./http";
import { SCENARIO_INVARIANTS } from "./catalog";
import { holds, type InvariantName } from "./invariants";
import { excerpt, warnLimited } from "./log";

export const BILLING_CUSTOMERS = "GET /admin/billing/customers";
export const BILLING_CYCLES = "GET /admin/billing/cycles";

export const DASHBOARD_INVARIANTS: readonly InvariantName[] = SCENARIO_INVARIANTS.billing_dashboard;

/** The original thresholds: p95 < 500 ms and < 1% failures on both routes (a 302 counts as a failure). */
export function dashboardThresholds(scope = ""): Record<string, Threshold[]> {
  const s = scope ? `,scenario:${scope}` : "";
  const t: Record<string, Threshold[]> = {};
  for (const n of [BILLING_CUSTOMERS, BILLING_CYCLES]) {
    t[`http_req_duration{name:${n}${s}}`] = ["p(95)<500"];
    t[`http_req_failed{name:${n}${s}}`] = ["rate<0.01"];
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

function shape(inv: InvariantName, route: string, res: Response, problems: (b: unknown) => string[]): void {
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

/** A cookie that looks like Valora's (43 characters of base64url) but names no session. */
function bogusToken(): string {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return Array.from(new Uint8Array(randomBytes(43)), (b) => abc[b % 64]).join("");
}

/** admin_requires_session: without a valid _sid, `path` answers 302 to /login, with no data. */
export function adminRequiresSession(path: string, orgId: string): void {
  const cases: [string, Record<string, string>][] = [
    ["a bogus _sid", { Cookie: `_sid=${bogusToken()}` }],
    ["no cookie", {}],
  ];
  for (const [what, headers] of cases) {
    if (orgId) headers["X-Org-Id"] = orgId;
    const res = send("GET", path, null, {
      headers,
      redirects: 0,
      expect: expect302,
      name: `GET ${path} (no valid session)`,
    });
    const location = header(res, "Location") ?? "";
    holds(
      "admin_requires_session",
      res.status === 302 && /\/login$/.test(location),
      `/admin with ${what} redirects to /login`,
      () => `GET ${path} answered ${res.status}${location ? ` → ${location}` : ""}: ${excerpt(res.body)}`,
    );
  }
}
