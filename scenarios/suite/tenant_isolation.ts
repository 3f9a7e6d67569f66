// tenant_isolation: two tenants (orgs A and B) kept apart under load. TENANT_VUS VUs with org A's API key read
// org B's records by id and list their own, post usage for B's customer and create a customer of A, for
// TENANT_DURATION; B's own key then proves nothing of A's reached B (docs/valora-source.md 2–3). One VU with an
// admin session of a member of A only sends X-Org-Id of B to every admin route the suite touches, and a MEMBER of A
// is refused on the routes its role is below (contract 1.4). One VU delivers a payment webhook signed with A's secret
// that names B's customer, and one signed with B's secret; teardown reads B's own dashboard after Valora's rollup
// tick (contract 4, 5.1). Org A is the usual API_KEY, ORG_ID and admin variables; org B is TENANT_B_*.
import { sleep } from "k6";
import http from "k6/http";
import type { Threshold } from "k6/options";
import * as valora from "k6/x/valora";
import { cfg, problem, variables } from "../framework/config";
import {
  admin,
  api,
  bodyJson,
  expect2xx,
  expect4xx,
  isObject,
  send,
  type AdminCredentials,
  type Response,
} from "../framework/http";
import { flavorTraits } from "../framework/flavor";
import { defineInvariants, type NotChecked } from "../framework/invariants";
import { excerpt, info, registerSecret, warn } from "../framework/log";
import { abort, assertApiKey, assertReachable, withRetry } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";
import { acquireAdmin, configuredSource, login, NO_ADMIN_REASON, releaseAdmin, type AdminAuth } from "../framework/session";
import { randomHex } from "../framework/random";
import { checkedElsewhere } from "../framework/verdict";
import { providerSecrets } from "./providers";
import { usageRecord } from "./usage";
import { awaitBalance, dashboardRow, derivedTimeout } from "./webhook_idempotency";

const v = variables("tenant_isolation, smoke", {
  TENANT_VUS: { kind: "int", def: 5, min: 1, max: 10000, doc: "VUs reading and writing across tenants" },
  TENANT_DURATION: { kind: "duration", def: "1m", min: 1, max: 86400, doc: "how long" },
  TENANT_B_API_KEY: { kind: "secret", def: "", doc: "org B's API key (dist/provision.js writes the TENANT_B_* values)" },
  TENANT_B_ORG_ID: { kind: "string", def: "", max: 19, doc: "org B's id (unset: read off B's customer)" },
  TENANT_B_CUSTOMER_ID: { kind: "string", def: "", max: 19, doc: "a customer of org B with an ACTIVE subscription" },
  TENANT_B_METER_CODE: { kind: "string", def: "", max: 200, doc: "the meter code B's customer ingests on" },
  TENANT_B_SUBSCRIPTION_ID: { kind: "string", def: "", max: 19, doc: "a subscription of org B (unset: found with B's key)" },
  TENANT_B_METER_ID: { kind: "string", def: "", max: 19, doc: "a meter of org B (unset: found with B's key)" },
  TENANT_B_INVOICE_ID: { kind: "string", def: "", max: 19, doc: "an invoice of org B (unset: found with B's key)" },
  TENANT_B_WEBHOOK_SECRET: { kind: "secret", def: "", doc: "org B's own Stripe webhook secret" },
  TENANT_B_ADMIN_EMAIL: {
    kind: "string",
    def: "",
    max: 320,
    doc: "an OWNER, ADMIN or FINOPS of org B, to read B's dashboard (unset: ADMIN_EMAIL, if a member of B)",
  },
  TENANT_B_ADMIN_PASSWORD: { kind: "secret", def: "", doc: "the password of TENANT_B_ADMIN_EMAIL" },
  TENANT_MEMBER_EMAIL: { kind: "string", def: "", max: 320, doc: "a user of org A with role MEMBER only (invited)" },
  TENANT_MEMBER_PASSWORD: { kind: "secret", def: "", doc: "the password of TENANT_MEMBER_EMAIL" },
});
for (const n of ["TENANT_B_ORG_ID", "TENANT_B_CUSTOMER_ID", "TENANT_B_SUBSCRIPTION_ID", "TENANT_B_METER_ID", "TENANT_B_INVOICE_ID"] as const) {
  const id = v[n];
  if (id !== "" && (!/^\d{1,19}$/.test(id) || BigInt(id) === 0n || BigInt(id) > 9223372036854775807n)) {
    problem(`${n}: not a decimal Valora id (a positive int64, e.g. 2008111839082188800) (got "${id}")`);
  }
}
for (const [email, password] of [
  ["TENANT_B_ADMIN_EMAIL", "TENANT_B_ADMIN_PASSWORD"],
  ["TENANT_MEMBER_EMAIL", "TENANT_MEMBER_PASSWORD"],
] as const) {
  if ((v[email] === "") !== (v[password] === "")) problem(`${v[email] ? password : email}: missing (set both or neither)`);
  else if (v[email] !== "" && !v[email].includes("@")) problem(`${email}: not an email address (got "${v[email]}")`);
}

const { holds, notCheckedNow, names } = defineInvariants({
  tenant_read_refused: {
    description: "Org A's API key reading org B's customer, subscription, meter or invoice by id is refused with 404.",
  },
  tenant_list_excludes_other: {
    description: "No list read with org A's API key (customers, meters, invoices, subscriptions) holds an id of org B's.",
  },
  tenant_usage_refused: { description: "POST /api/usage with org A's key for org B's customer is refused (4xx)." },
  tenant_usage_not_recorded: {
    description: "Nothing posted with org A's key is recorded for org B: the idempotency key A used is unknown to B's key.",
  },
  tenant_created_not_in_other: {
    description: "A customer created with org A's key never shows in org B: B's key reads it as 404 and B's list lacks it.",
  },
  tenant_admin_foreign_org_refused: {
    description:
      "An admin session of a member of org A only, sending X-Org-Id of org B, gets 403 on every admin route the suite touches.",
  },
  tenant_admin_org_not_switched: {
    description: "X-Org-Id of an org the user is not a member of never makes it the session's active org.",
  },
  tenant_member_role_refused: {
    description: "A MEMBER of org A gets 403 on the /admin routes that need OWNER, ADMIN or FINOPS (the billing dashboard among them).",
  },
  tenant_webhook_customer_in_org: {
    description: "A payment webhook signed with org A's secret that names a customer outside org A is refused (4xx).",
    knownDefect:
      "Valora takes the org from whichever provider secret verifies and the customer from the event, unchecked: such an event is 200 and booked to org A",
  },
  tenant_webhook_no_cross_credit: {
    description:
      "A webhook signed with org A's secret never changes the balance org B's dashboard shows; one signed with B's secret changes it by exactly its amount.",
  },
});
type Name = (typeof names)[number];

const expect404 = http.expectedStatuses(404);
const expect403 = http.expectedStatuses(403);

/** The admin routes the suite touches, as a member of A only sends them with X-Org-Id of B. */
function foreignRoutes(b: BIds): [string, string, unknown][] {
  const out: [string, string, unknown][] = [
    ["GET", "/admin/billing/customers", null],
    ["GET", "/admin/billing/cycles", null],
    ["GET", "/admin/customers", null],
    ["GET", "/admin/invoices", null],
    ["GET", "/admin/meters", null],
    ["GET", "/admin/api-keys", null],
    // Railzway does not route /admin/payment-providers (404 whoever asks): nothing to learn from it there.
    ...(flavorTraits().providerRoute ? [["GET", "/admin/payment-providers", null] as [string, string, unknown]] : []),
    ["POST", "/admin/customers", { name: `k6-tenant-foreign-${randomHex(4)}`, email: "k6-tenant-foreign@example.com" }],
  ];
  if (b.customer) out.push(["GET", `/admin/customers/${b.customer}`, null]);
  if (b.subscription) out.push(["GET", `/admin/subscriptions/${b.subscription}`, null]);
  if (b.meter) out.push(["GET", `/admin/meters/${b.meter}`, null]);
  if (b.invoice) out.push(["GET", `/admin/invoices/${b.invoice}`, null]);
  return out;
}

/** Routes a MEMBER is below (contract 1.4; docs/valora-source.md 2's role table). */
const MEMBER_REFUSED = ["/admin/billing/customers", "/admin/billing/cycles", "/admin/customers", "/admin/invoices", "/admin/meters"];

/** Org B's ids as A's key must never see them. Each may be "" when neither given nor found. */
interface BIds {
  org: string;
  customer: string;
  subscription: string;
  meter: string;
  invoice: string;
}

export interface TenantData extends SetupData {
  b: BIds;
  /** Every id of B's known at setup (B's own lists), for the list checks. */
  bKnown: string[];
  bKey: string;
  bMeterCode: string;
  /** A session of a member of A only, and which user it is. */
  foreign?: { token: string; who: string; release: boolean };
  member?: { token: string; orgId: string };
  /** B's dashboard access, and B's customer's balance before any webhook. */
  bAdmin?: { token: string; orgId: string; release: boolean };
  baseline?: number;
  /** The org A acts as on /admin ("" = the session's active org). */
  aOrg: string;
  adminAuth?: AdminAuth;
  notChecked: NotChecked;
  elsewhere: string[];
}

// ---------------------------------------------------------------- setup

function dataOf(res: Response): Record<string, unknown> | undefined {
  const b = bodyJson(res);
  return isObject(b) && isObject(b.data) ? b.data : undefined;
}

/** Ids in a list answer: data[] or data.customers[]; a row's id is `id` or (Go field names) `ID`. */
function listIds(res: Response): string[] | undefined {
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b)) return undefined;
  const rows = Array.isArray(b.data) ? b.data : isObject(b.data) && Array.isArray(b.data.customers) ? b.data.customers : undefined;
  if (!rows) return undefined;
  return rows.filter(isObject).map((r) => String(r.id ?? r.ID ?? ""));
}

/** The organization_id of the first row of a customer list, "" when there is none. */
function firstOrgOf(res: Response): string {
  const b = bodyJson(res);
  const rows = isObject(b) && isObject(b.data) && Array.isArray(b.data.customers) ? b.data.customers : [];
  const first = rows.find(isObject);
  return first && typeof first.organization_id === "string" ? first.organization_id : "";
}

/** Org B's ids: the given ones, the rest found through B's own key. */
function discover(bKey: string, notChecked: NotChecked): { b: BIds; known: string[] } {
  const b: BIds = {
    org: v.TENANT_B_ORG_ID,
    customer: v.TENANT_B_CUSTOMER_ID,
    subscription: v.TENANT_B_SUBSCRIPTION_ID,
    meter: v.TENANT_B_METER_ID,
    invoice: v.TENANT_B_INVOICE_ID,
  };
  const known = new Set<string>();
  if (bKey) {
    const get = (path: string, query = {}): Response =>
      withRetry(() => api("GET", path, null, { key: bKey, query, name: `GET ${path} (tenant B setup)`, expect: expect2xx }));
    if (b.customer) {
      const res = get(`/api/customers/${b.customer}`);
      const d = dataOf(res);
      if (res.status !== 200 || !d) abort(`TENANT_B_CUSTOMER_ID ${b.customer} is not a customer of TENANT_B_API_KEY's org (${res.status})`);
      const org = String(d.organization_id ?? "");
      if (b.org && org && org !== b.org) abort(`TENANT_B_ORG_ID ${b.org} is not the org of TENANT_B_CUSTOMER_ID (${org})`);
      b.org = b.org || org;
    }
    const customerPage = get("/api/customers", { page_size: 50 });
    const customers = listIds(customerPage) ?? [];
    if (!b.org) b.org = firstOrgOf(customerPage);
    const meters = bodyJson(get("/api/meters"));
    const meterRows = isObject(meters) && Array.isArray(meters.data) ? meters.data.filter(isObject) : [];
    if (!b.meter) {
      const m = meterRows.find((r) => r.code === (v.TENANT_B_METER_CODE || cfg.meterCode)) ?? meterRows[0];
      if (m) b.meter = String(m.id ?? "");
    }
    const invoices = listIds(get("/api/invoices", { page_size: 50 })) ?? [];
    if (!b.invoice && invoices[0]) b.invoice = invoices[0];
    const subs = listIds(get("/api/subscriptions", { page_size: 50, ...(b.customer ? { customer_id: b.customer } : {}) })) ?? [];
    if (!b.subscription && subs[0]) b.subscription = subs[0];
    for (const id of [...customers, ...meterRows.map((r) => String(r.id ?? "")), ...invoices, ...subs]) if (id) known.add(id);
  }
  for (const id of [b.customer, b.subscription, b.meter, b.invoice]) if (id) known.add(id);
  if (known.size === 0) {
    const reason = "no id of org B is known: set TENANT_B_CUSTOMER_ID, or TENANT_B_API_KEY to find B's ids";
    notChecked.tenant_read_refused = reason;
    notChecked.tenant_list_excludes_other = reason;
  } else {
    const missing = (
      [
        ["customer", "TENANT_B_CUSTOMER_ID"],
        ["subscription", "TENANT_B_SUBSCRIPTION_ID"],
        ["meter", "TENANT_B_METER_ID"],
        ["invoice", "TENANT_B_INVOICE_ID"],
      ] as const
    ).filter(([k]) => !b[k]);
    if (missing.length > 0) {
      warn(
        `tenant_read_refused: org B's ${missing.map(([k]) => k).join(", ")} id is unknown, so that read is not tried ` +
          `(set ${missing.map(([, n]) => n).join(", ")}${bKey ? "" : ", or TENANT_B_API_KEY to find them"})`,
      );
    }
  }
  return { b, known: [...known] };
}

function orgsOf(token: string): { ids: string[]; roles: Record<string, string> } {
  const res = withRetry(() =>
    send("GET", "/auth/user/orgs", null, {
      headers: { Cookie: `_sid=${token}` },
      name: "GET /auth/user/orgs",
      redirects: 0,
      expect: expect2xx,
    }),
  );
  const b = bodyJson(res);
  const roles: Record<string, string> = {};
  if (res.status === 200 && isObject(b) && Array.isArray(b.orgs)) {
    for (const o of b.orgs.filter(isObject)) roles[String(o.id)] = String(o.role ?? "").toUpperCase();
  }
  return { ids: Object.keys(roles), roles };
}

/** The session's active org, as GET /auth/me reports it ("" when none; undefined when it cannot be read). */
function activeOrg(token: string): string | undefined {
  const res = send("GET", "/auth/me", null, {
    headers: { Cookie: `_sid=${token}` },
    name: "GET /auth/me (tenant)",
    redirects: 0,
    expect: expect2xx,
  });
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || !isObject(b.metadata)) return undefined;
  return typeof b.metadata.active_org_id === "string" ? b.metadata.active_org_id : "";
}

function logIn(email: string, password: string, variable: string): string {
  const r = login(email, password);
  if (typeof r === "string") abort(`${variable}: ${r.replace(/ADMIN_EMAIL\/ADMIN_PASSWORD/, `${variable} and its password`)}`);
  return r.token;
}

/**
 * Reads what the configuration allows and says why each invariant it does not allow is not checked. `optional`
 * (smoke): nothing configured for tenant B is not an abort.
 */
export function tenantSetup(sharedAdmin?: AdminAuth | null): TenantData {
  const notChecked: NotChecked = {};
  assertReachable();
  registerSecret(v.TENANT_B_API_KEY);
  registerSecret(v.TENANT_B_WEBHOOK_SECRET);
  const bKey = v.TENANT_B_API_KEY;
  if (bKey) {
    assertApiKey(bKey, "TENANT_B_API_KEY");
    if (bKey === cfg.apiKey) abort("TENANT_B_API_KEY is API_KEY: org B needs a key of its own (dist/provision.js makes one)");
  }
  const { b, known } = discover(bKey, notChecked);
  const bMeterCode = v.TENANT_B_METER_CODE;

  // A's own customer, read with A's key, must be of another org than B.
  const aRes = withRetry(() => api("GET", `/api/customers/${cfg.customerId}`, null, { name: "GET /api/customers/:id (setup)", expect: expect2xx }));
  const aOrgOfKey = String(dataOf(aRes)?.organization_id ?? "");
  if (aOrgOfKey && b.org && aOrgOfKey === b.org) {
    abort(`TENANT_B_* name the org of API_KEY (${b.org}): org B must be another org than A`);
  }

  if (!b.customer) {
    const reason = "TENANT_B_CUSTOMER_ID is not set (dist/provision.js writes it)";
    notChecked.tenant_usage_refused = reason;
    notChecked.tenant_usage_not_recorded = reason;
    notChecked.tenant_webhook_customer_in_org = reason;
    notChecked.tenant_webhook_no_cross_credit = reason;
  } else if (!bKey || !bMeterCode) {
    notChecked.tenant_usage_not_recorded = `${!bKey ? "TENANT_B_API_KEY" : "TENANT_B_METER_CODE"} is not set: only B's own key can show what B recorded`;
  }
  if (!bKey) notChecked.tenant_created_not_in_other = "TENANT_B_API_KEY is not set: only B's own key can show what B holds";

  // Admin: the session of a member of A only, B's dashboard, and a MEMBER of A.
  let adminAuth: AdminAuth | undefined;
  if (sharedAdmin !== undefined) adminAuth = sharedAdmin ?? undefined;
  else if (configuredSource()) adminAuth = acquireAdmin(1, "/admin/billing/customers");
  const aOrg = adminAuth?.orgId || cfg.orgId;
  let foreign: TenantData["foreign"];
  let member: TenantData["member"];
  let bAdmin: TenantData["bAdmin"];
  const adminOrgs = adminAuth ? orgsOf(adminAuth.tokens[0]) : undefined;
  if (v.TENANT_MEMBER_EMAIL) {
    const token = logIn(v.TENANT_MEMBER_EMAIL, v.TENANT_MEMBER_PASSWORD, "TENANT_MEMBER_EMAIL");
    const orgs = orgsOf(token);
    const role = orgs.roles[aOrg];
    if (role === undefined) {
      notChecked.tenant_member_role_refused = `TENANT_MEMBER_EMAIL is not a member of org A (${aOrg})`;
    } else if (role !== "MEMBER" && role !== "DEVELOPER") {
      notChecked.tenant_member_role_refused = `TENANT_MEMBER_EMAIL is ${role} of org A, not MEMBER: its role is not below the routes'`;
    } else {
      member = { token, orgId: aOrg };
    }
    if (b.org && !orgs.ids.includes(b.org) && orgs.ids.length > 0) foreign = { token, who: "TENANT_MEMBER_EMAIL", release: false };
  } else {
    notChecked.tenant_member_role_refused =
      "no second user of org A: set TENANT_MEMBER_EMAIL/TENANT_MEMBER_PASSWORD (a MEMBER, added by invite; dist/provision.js invites one)";
  }
  if (!b.org) {
    const reason = "org B's id is unknown: set TENANT_B_ORG_ID (or TENANT_B_API_KEY and TENANT_B_CUSTOMER_ID)";
    notChecked.tenant_admin_foreign_org_refused = reason;
    notChecked.tenant_admin_org_not_switched = reason;
  } else {
    // The admin is the better witness: its role passes every route, so a 403 can only be the org's.
    // A session of its own when a login is possible: other VUs (smoke's other parts) sending X-Org-Id of A on a
    // shared session would set its active org back before the check reads it.
    if (adminAuth && adminOrgs && adminOrgs.ids.length > 0 && !adminOrgs.ids.includes(b.org)) {
      foreign =
        cfg.adminEmail && cfg.adminPassword
          ? { token: logIn(cfg.adminEmail, cfg.adminPassword, "ADMIN_EMAIL"), who: "a login of ADMIN_EMAIL", release: true }
          : { token: adminAuth.tokens[0], who: "the admin session", release: false };
    }
    if (!foreign) {
      const reason = !adminAuth
        ? `${NO_ADMIN_REASON}, and no TENANT_MEMBER_EMAIL of org A only`
        : "the admin user is a member of org B too, and no TENANT_MEMBER_EMAIL of org A only is set";
      notChecked.tenant_admin_foreign_org_refused = reason;
      notChecked.tenant_admin_org_not_switched = reason;
    } else if (foreign.who === "TENANT_MEMBER_EMAIL") {
      info(`tenant_admin_foreign_org_refused: checked with TENANT_MEMBER_EMAIL (the admin user is a member of org B too)`);
    }
    if (v.TENANT_B_ADMIN_EMAIL) {
      bAdmin = { token: logIn(v.TENANT_B_ADMIN_EMAIL, v.TENANT_B_ADMIN_PASSWORD, "TENANT_B_ADMIN_EMAIL"), orgId: b.org, release: true };
    } else if (adminAuth && adminOrgs?.ids.includes(b.org)) {
      bAdmin = { token: adminAuth.tokens[0], orgId: b.org, release: false };
    }
  }

  // Webhooks: A's secret, B's customer, B's dashboard.
  let baseline: number | undefined;
  if (b.customer) {
    if (!providerSecrets.webhookSecret) {
      const reason = "WEBHOOK_SECRET (org A's Stripe secret) is not set";
      notChecked.tenant_webhook_customer_in_org = reason;
      notChecked.tenant_webhook_no_cross_credit = reason;
    } else if (!bAdmin) {
      notChecked.tenant_webhook_no_cross_credit =
        "no admin access to org B's dashboard: set TENANT_B_ADMIN_EMAIL/TENANT_B_ADMIN_PASSWORD (or use an ADMIN_EMAIL that is a member of B)";
    } else {
      const row = dashboardRow(bAdmin, b.customer);
      if (row === "error") {
        notChecked.tenant_webhook_no_cross_credit = `GET /admin/billing/customers of org B did not answer with a customer list (${bAdmin.orgId})`;
      } else if (row === undefined) {
        notChecked.tenant_webhook_no_cross_credit =
          "TENANT_B_CUSTOMER_ID is not on org B's /admin/billing/customers (it shows the first 10 by name)";
      } else {
        baseline = row.balance;
      }
    }
  }
  // Only the unsplit smoke passes sharedAdmin. In a split run the one-VU scenarios run on one instance only.
  const elsewhere =
    sharedAdmin !== undefined
      ? []
      : [
          ...checkedElsewhere(1, ["tenant_admin_foreign_org_refused", "tenant_admin_org_not_switched", "tenant_member_role_refused"]),
          ...checkedElsewhere(1, ["tenant_webhook_customer_in_org", "tenant_webhook_no_cross_credit"]),
        ];
  return { b, bKnown: known, bKey, bMeterCode, foreign, member, bAdmin, baseline, aOrg, adminAuth, notChecked, elsewhere };
}

// ---------------------------------------------------------------- org A's key against org B, under load

const READS: [keyof BIds, string][] = [
  ["customer", "/api/customers"],
  ["subscription", "/api/subscriptions"],
  ["meter", "/api/meters"],
  ["invoice", "/api/invoices"],
];

function readsAcross(d: TenantData): void {
  for (const [kind, base] of READS) {
    const id = d.b[kind];
    if (!id) continue;
    const res = api("GET", `${base}/${id}`, null, { name: `GET ${base}/:id (other tenant)`, expect: expect404 });
    holds(
      "tenant_read_refused",
      res.status === 404,
      `org A's key reading org B's ${kind} by id gets 404`,
      () => `GET ${base}/${id} with API_KEY answered ${res.status}: ${excerpt(res.body)}`,
    );
  }
}

function listsAcross(d: TenantData): void {
  if (d.bKnown.length === 0) return;
  const lists: [string, Record<string, string | number>][] = [
    ["/api/customers", { page_size: 50 }],
    ["/api/meters", {}],
    ["/api/invoices", { page_size: 50 }],
    ["/api/subscriptions", { page_size: 50 }],
  ];
  if (d.b.customer) {
    lists.push(["/api/invoices", { customer_id: d.b.customer }], ["/api/subscriptions", { customer_id: d.b.customer }]);
  }
  for (const [path, query] of lists) {
    const res = api("GET", path, null, { query, name: `GET ${path} (tenant)`, expect: expect2xx });
    const ids = listIds(res);
    if (ids === undefined) continue; // not a list answer: the route's own scenarios judge that
    const leaked = ids.filter((id) => d.bKnown.includes(id));
    holds(
      "tenant_list_excludes_other",
      leaked.length === 0,
      "no list read with org A's key holds an id of org B's",
      () => `GET ${path}${"customer_id" in query ? "?customer_id=<B's>" : ""} with API_KEY returned org B's ${leaked.join(", ")}`,
    );
  }
}

function usageAcross(d: TenantData): void {
  if (!d.b.customer) return;
  const key = valora.idempotencyKey("k6-tenant");
  const sent = { customer_id: d.b.customer, meter_code: d.bMeterCode || cfg.meterCode, value: 7, recorded_at: new Date().toISOString(), idempotency_key: key };
  const res = api("POST", "/api/usage", sent, { name: "POST /api/usage (other tenant's customer)", expect: expect4xx });
  if (res.status === 429) return; // the limiter answered, not the tenant check
  holds(
    "tenant_usage_refused",
    res.status >= 400 && res.status < 500,
    "usage with org A's key for org B's customer is refused",
    () => `POST /api/usage with API_KEY for TENANT_B_CUSTOMER_ID answered ${res.status}: ${excerpt(res.body)}`,
  );
  if (!d.bKey || !d.bMeterCode) return;
  // B's own event is an hour older than A's: an answer carrying A's recorded_at is A's event, stored in B.
  const ownAt = new Date(Date.parse(sent.recorded_at) - 3600_000).toISOString();
  const own = { ...sent, meter_code: d.bMeterCode, value: 3, recorded_at: ownAt };
  const bRes = api("POST", "/api/usage", own, { key: d.bKey, name: "POST /api/usage (tenant B, same key)", expect: expect2xx });
  if (bRes.status === 429) return;
  const rec = usageRecord(bRes); // Valora's bare event or Railzway's {"data":{…}}
  if (bRes.status === 400) {
    notCheckedNow(
      "tenant_usage_not_recorded",
      `org B's own usage was refused (400 ${excerpt(bRes.body, 120)}): TENANT_B_CUSTOMER_ID needs an ACTIVE subscription on TENANT_B_METER_CODE`,
    );
    return;
  }
  holds(
    "tenant_usage_not_recorded",
    bRes.status === 200 && isObject(rec) && Date.parse(String(rec.recorded_at)) === Date.parse(ownAt),
    "the idempotency key org A posted with is unknown to org B",
    () =>
      `B's key posting under the key A used (recorded_at ${ownAt}) answered ${bRes.status} ${excerpt(bRes.body)}: ` +
      "another event recorded for B under that key came back (A's post reached B)",
  );
}

function createdAcross(d: TenantData): void {
  if (!d.bKey) return;
  const suffix = randomHex(4);
  const res = api(
    "POST",
    "/api/customers",
    { name: `zz-k6-tenant-${suffix}`, email: `k6-tenant-${suffix}@example.com` },
    { name: "POST /api/customers (tenant)", expect: expect2xx },
  );
  const id = dataOf(res)?.id;
  if (res.status !== 200 || typeof id !== "string") return; // a failed create: the customers' own checks judge it
  const byId = api("GET", `/api/customers/${id}`, null, {
    key: d.bKey,
    name: "GET /api/customers/:id (tenant B, A's customer)",
    expect: expect404,
  });
  const list = listIds(api("GET", "/api/customers", null, { key: d.bKey, query: { page_size: 50 }, name: "GET /api/customers (tenant B)", expect: expect2xx }));
  holds(
    "tenant_created_not_in_other",
    byId.status === 404 && !(list ?? []).includes(id),
    "a customer org A's key created is neither readable nor listed with org B's key",
    () => `customer ${id} of org A: B's key read it as ${byId.status}${(list ?? []).includes(id) ? " and listed it" : ""}`,
  );
}

/** One iteration of org A's key against org B: reads, lists, a usage write and a create. */
export function tenantApiIteration(d: TenantData): void {
  readsAcross(d);
  listsAcross(d);
  usageAcross(d);
  createdAcross(d);
  sleep(1);
}

// ---------------------------------------------------------------- sessions against org B

/** A member of A only, with X-Org-Id of B: 403 everywhere, and the session's active org stays off B. */
export function tenantAdminIteration(d: TenantData): void {
  if (d.foreign && d.b.org) {
    const creds: AdminCredentials = { token: d.foreign.token, orgId: d.b.org };
    for (const [method, path, body] of foreignRoutes(d.b)) {
      const route = path.replace(/\/\d+$/, "/:id");
      const res = admin(method, path, creds, body, { name: `${method} ${route} (X-Org-Id of another org)`, expect: expect403 });
      holds(
        "tenant_admin_foreign_org_refused",
        res.status === 403,
        "a member of org A only, sending X-Org-Id of org B, gets 403",
        () => `${method} ${path} by ${d.foreign!.who} with X-Org-Id ${d.b.org} answered ${res.status}: ${excerpt(res.body)}`,
      );
    }
    const active = activeOrg(d.foreign.token);
    if (active !== undefined) {
      holds(
        "tenant_admin_org_not_switched",
        active !== d.b.org,
        "X-Org-Id of an org the user is not a member of does not become the session's active org",
        () => `GET /auth/me of ${d.foreign!.who} shows active_org_id ${active} (org B)`,
      );
    }
  }
  if (d.member) {
    const creds: AdminCredentials = { token: d.member.token, orgId: d.member.orgId };
    for (const path of MEMBER_REFUSED) {
      const res = admin("GET", path, creds, null, { name: `GET ${path} (MEMBER)`, expect: expect403 });
      holds(
        "tenant_member_role_refused",
        res.status === 403,
        "a MEMBER gets 403 on routes that need OWNER, ADMIN or FINOPS",
        () => `GET ${path} by TENANT_MEMBER_EMAIL in org ${d.member!.orgId} answered ${res.status}: ${excerpt(res.body)}`,
      );
    }
  }
  sleep(1);
}

// ---------------------------------------------------------------- webhooks across tenants

/** 1000–9999 minor units: the two events' amounts, and their sum, tell each other apart. */
function amount(): number {
  return 1000 + Math.floor(Math.random() * 9000);
}

function deliverStripe(customerId: string, amt: number, secret: string, name: string): Response {
  const ev = valora.stripeEvent({ type: "charge.succeeded", customerId, amount: amt });
  return send("POST", "/api/payments/webhooks/stripe", ev.body, {
    headers: { "Content-Type": "application/json", "Stripe-Signature": valora.signStripe(ev.body, { secret }).header },
    name,
    expect: expect4xx,
  });
}

const SENT_A = "tenant:webhook:a-signed";
const SENT_B = "tenant:webhook:b-signed";

/** One VU: an event signed with A's secret naming B's customer, then one signed with B's secret. */
export function tenantWebhookIteration(d: TenantData): void {
  if (!d.b.customer || !providerSecrets.webhookSecret) return;
  const a = amount();
  const res = deliverStripe(d.b.customer, a, providerSecrets.webhookSecret, "POST /api/payments/webhooks/stripe (A's secret, B's customer)");
  valora.agree(SENT_A, res.status === 200 ? String(a) : "0");
  holds(
    "tenant_webhook_customer_in_org",
    res.status >= 400 && res.status < 500,
    "an event signed with org A's secret naming org B's customer is refused",
    () => `answered ${res.status} ${excerpt(res.body)}: Valora booked a payment of org A for org B's customer`,
  );
  if (res.status === 200) {
    info(
      "an event signed with org A's secret naming org B's customer was accepted (a known Valora defect" +
        (cfg.acceptViolations.has("tenant_webhook_customer_in_org")
          ? ", accepted for this run)"
          : "; ACCEPT_VIOLATIONS=tenant_webhook_customer_in_org accepts it)"),
    );
  }
  if (v.TENANT_B_WEBHOOK_SECRET && d.baseline !== undefined) {
    const bAmt = amount();
    const own = deliverStripe(d.b.customer, bAmt, v.TENANT_B_WEBHOOK_SECRET, "POST /api/payments/webhooks/stripe (B's secret)");
    valora.agree(SENT_B, own.status === 200 ? String(bAmt) : `refused ${own.status}`);
  }
}

/** After the deliveries: B's own dashboard moved by B's event only, once Valora's rollup tick has passed. */
export function tenantVerifyWebhook(d: TenantData): void {
  if (d.baseline === undefined || !d.bAdmin || !d.b.customer) return;
  const aSent = Number(valora.agree(SENT_A, "none"));
  const bSent = valora.agree(SENT_B, "none");
  if (Number.isNaN(aSent)) return; // no delivery ran on this instance
  const creds: AdminCredentials = { token: d.bAdmin.token, orgId: d.bAdmin.orgId };
  const bAmt = /^\d+$/.test(bSent) ? Number(bSent) : 0;
  const timeout = derivedTimeout(1 + (bAmt > 0 ? 1 : 0));
  if (bSent !== "none" && bAmt === 0) {
    warn(`tenant_webhook_no_cross_credit: the event signed with TENANT_B_WEBHOOK_SECRET was ${bSent}; only A's event's effect on B is judged`);
  }
  let delta: number;
  let row;
  if (bAmt > 0) {
    info(`tenant_webhook_no_cross_credit: waiting up to ${Math.ceil(timeout)}s for org B's balance to move by ${bAmt} (B's own event)`);
    ({ row, delta } = awaitBalance(creds, d.b.customer, d.baseline, bAmt, timeout));
  } else {
    if (aSent === 0) return; // A's event was refused and B's not delivered: no balance effect was due
    info(`tenant_webhook_no_cross_credit: watching org B's balance for ${Math.ceil(timeout)}s (one rollup tick and more)`);
    sleep(timeout);
    row = dashboardRow(creds, d.b.customer);
    delta = row !== "error" && row !== undefined ? Math.abs(row.balance - d.baseline) : 0;
  }
  if (row === undefined || row === "error") {
    notCheckedNow(
      "tenant_webhook_no_cross_credit",
      row === "error" ? "org B's /admin/billing/customers kept failing" : "B's customer left the 10 rows of B's dashboard",
    );
    return;
  }
  if (bAmt > 0 && delta < bAmt && delta !== aSent) {
    notCheckedNow(
      "tenant_webhook_no_cross_credit",
      `not visible in time: within ${Math.ceil(timeout)}s B's balance moved by ${delta} of B's event's ${bAmt} (Valora moves it on its rollup tick: raise WEBHOOK_BALANCE_TIMEOUT)`,
      "not visible",
    );
    return;
  }
  holds(
    "tenant_webhook_no_cross_credit",
    delta === bAmt,
    "org B's balance moved by B's own event only",
    () =>
      `|Δ| of B's balance = ${delta}; B's own event was ${bAmt}, the event signed with A's secret naming B's customer ${aSent}: ` +
      "a payment verified with org A's secret moved org B's balance",
  );
}

function release(d: TenantData, shared: boolean): void {
  for (const s of [d.bAdmin, d.foreign, d.member && { token: d.member.token, release: true }]) {
    if (s?.release) send("POST", "/auth/logout", null, { headers: { Cookie: `_sid=${s.token}` }, name: "POST /auth/logout", redirects: 0 });
  }
  if (!shared) releaseAdmin(d.adminAuth);
}

// ---------------------------------------------------------------- the scenario

const catches = {
  healthy: ["tenant_webhook_customer_in_org"],
  "tenant-read": ["tenant_read_refused", "tenant_list_excludes_other", "tenant_created_not_in_other"],
  "tenant-usage": ["tenant_usage_refused", "tenant_usage_not_recorded"],
  "tenant-org-switch": ["tenant_admin_foreign_org_refused", "tenant_admin_org_not_switched"],
  "tenant-webhook": ["tenant_webhook_no_cross_credit"],
  "role-ignored": ["tenant_member_role_refused"],
};

/** The original suite's budget for /api reads (p95 < 500 ms), and refusals that stay refusals (< 1% otherwise). */
function tenantThresholds(): Record<string, Threshold[]> {
  if (!v.TENANT_B_CUSTOMER_ID) return {};
  return {
    "http_req_duration{name:GET /api/customers/:id (other tenant)}": ["p(95)<500"],
    "http_req_failed{name:POST /api/usage (other tenant's customer)}": ["rate<0.01"],
  };
}

const teardownSeconds = Math.ceil(derivedTimeout(2)) + 40;
const once = { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "1m" } as const;

export const tenantIsolation: Scenario<TenantData, AdminAuth> = {
  name: "tenant_isolation",
  invariants: names as Name[],
  scenarios: {
    tenant_api: { executor: "constant-vus", vus: v.TENANT_VUS, duration: v.TENANT_DURATION, exec: "api" },
    tenant_admin: { executor: "constant-vus", vus: 1, duration: v.TENANT_DURATION, exec: "admin" },
    tenant_webhook: { ...once, exec: "webhook" },
  },
  thresholds: tenantThresholds(),
  extraOptions: { setupTimeout: "2m", teardownTimeout: `${teardownSeconds}s` },
  setup: () => tenantSetup(),
  iterations: { api: tenantApiIteration, admin: tenantAdminIteration, webhook: tenantWebhookIteration },
  teardown(d: TenantData): void {
    tenantVerifyWebhook(d);
    release(d, false);
  },
  catches,
  smoke: {
    order: 8,
    scenarios: {
      tenant_api: { ...once, exec: "api" },
      tenant_admin: { ...once, exec: "admin" },
      tenant_webhook: { ...once, exec: "webhook" },
    },
    setup: (ctx) => tenantSetup(ctx.admin ?? null),
    iterations: { api: tenantApiIteration, admin: tenantAdminIteration, webhook: tenantWebhookIteration },
    teardown(d: TenantData): void {
      tenantVerifyWebhook(d);
      release(d, true);
    },
    teardownSeconds,
    catches,
  },
};
