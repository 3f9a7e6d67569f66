// provision: provisioning a real Valora through its public API (contract 8.4), from an admin login: org, API key, meter,
// product, price, price amount, customer, ACTIVE subscription and the Stripe webhook secret. Everything that exists
// is reused, so a second run leaves every earlier environment file working: the API key and the webhook secrets
// are taken from the variables or from an existing PROVISION_ENV_FILE and proven (a request, a signed canary
// event) before anything is created; configuring a new webhook secret breaks every earlier signer (contract 9), so
// it happens only when no known secret works, and then loudly. The subscription chain is only built when an ingest
// probe shows the customer cannot ingest on the meter yet (product and price codes are then unique, so a
// half-finished earlier run never collides with Valora's duplicate-code 500).
import * as valora from "k6/x/valora";
import { cfg, problem, variables } from "../framework/config";
import { flavorTraits } from "../framework/flavor";
import { defineInvariants } from "../framework/invariants";
import type { Scenario, SetupData } from "../framework/scenario";
import type { SummaryData } from "../framework/summary";
import { randomHex } from "../framework/random";
import { providerSecrets } from "./providers";
import http from "k6/http";
import {
  admin,
  api,
  bodyJson,
  errorEnvelope,
  errorCodes,
  expect2xx,
  isObject,
  send,
  type AdminCredentials,
  type Response,
} from "../framework/http";
import { excerpt, registerSecret, warn } from "../framework/log";
import type { ReportExtras } from "../framework/summary";
import { abort, assertReachable, withRetry } from "../framework/preflight";
import { login } from "../framework/session";

const v = variables("provision", {
  PROVISION_ENV_FILE: {
    kind: "path",
    def: "valora.env",
    doc: "the environment file provision reads (if present) and writes (mode 0600)",
  },
  PROVISION_API_KEYS: {
    kind: "int",
    def: 1,
    min: 1,
    max: 20,
    doc: "API keys to provision: API_KEY, and the others as API_KEYS (Railzway limits each key's requests)",
  },
  PROVISION_TENANT_B: {
    kind: "bool",
    def: true,
    doc: "also provision a second org (tenant B) for tenant_isolation: its own key, customer, meter, subscription and Stripe secret",
  },
  PROVISION_MEMBER_EMAIL: {
    kind: "string",
    def: "k6-member@example.com",
    max: 320,
    doc: "the user provision invites into org A as MEMBER (Valora emails the invite link)",
  },
  TENANT_MEMBER_INVITE_ID: {
    kind: "string",
    def: "",
    max: 19,
    doc: "the id from that invite's email link: provision completes the invite and writes TENANT_MEMBER_*",
  },
});
const envFilePath = v.PROVISION_ENV_FILE;
if (v.TENANT_MEMBER_INVITE_ID !== "" && !/^\d{1,19}$/.test(v.TENANT_MEMBER_INVITE_ID)) {
  problem(`TENANT_MEMBER_INVITE_ID: not a decimal invite id (the number at the end of the invite email's link) (got "${v.TENANT_MEMBER_INVITE_ID}")`);
}
if (!v.PROVISION_MEMBER_EMAIL.includes("@")) problem(`PROVISION_MEMBER_EMAIL: not an email address (got "${v.PROVISION_MEMBER_EMAIL}")`);

const { holds, names } = defineInvariants({
  provision_ready: { description: "The provisioned API key, customer and meter ingest usage." },
  provision_webhook_ready: { description: "The provisioned Stripe webhook secret is accepted by Valora." },
  provision_tenant_ready: { description: "Tenant B's provisioned API key, customer and meter ingest usage in org B." },
});

export const PROVISION_METER_CODE = "k6_api_calls";

/** The secrets of the environment file. */
const SECRET_KEYS = [
  "API_KEY",
  "WEBHOOK_SECRET",
  "ADYEN_HMAC_KEY",
  "ADMIN_SESSION",
  "ADMIN_PASSWORD",
  "TENANT_B_API_KEY",
  "TENANT_B_WEBHOOK_SECRET",
  "TENANT_MEMBER_PASSWORD",
];
export const PROVISION_CUSTOMER_EMAIL = "k6-provision@example.com";

const expect2xxOr400 = http.expectedStatuses({ min: 200, max: 299 }, 400);

export type Outcome = "reused" | "created" | "configured" | "invited" | "REPLACED" | "NOT SET";

export interface ProvisionResult extends SetupData {
  /** The environment the other scenarios read. Secret: only ever written to PROVISION_ENV_FILE. */
  env: Record<string, string>;
  /** What happened, step by step; nothing secret. */
  steps: { step: string; outcome: Outcome; detail: string }[];
  notChecked: Record<string, string>;
  /** Values this run had to replace, each with why: printed loudly. */
  replaced: string[];
}

/** Reads an environment file this scenario wrote (KEY='value' lines, POSIX single-quote escaping). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) v = v.slice(1, -1).replace(/'\\''/g, "'");
    out[m[1]] = v;
  }
  return out;
}

/** The environment an earlier run wrote to PROVISION_ENV_FILE, or {} when there is none. */
function earlierEnv(): Record<string, string> {
  let text: string | null;
  try {
    text = valora.readFile(envFilePath);
  } catch (e) {
    abort(`PROVISION_ENV_FILE: cannot read "${envFilePath}" (${String(e)})`);
  }
  if (text === null) return {};
  const env = parseEnvFile(text);
  for (const k of SECRET_KEYS) registerSecret(env[k]);
  for (const k of (env.API_KEYS ?? "").split(",")) registerSecret(k);
  return env;
}

/** A signed failed-payment event (it changes no balance): accepted means Valora knows the secret. */
function signedCanary(provider: "stripe" | "adyen", secret: string, customerId: string): Response {
  let body: string;
  let headers: Record<string, string> = { "Content-Type": "application/json" };
  if (provider === "stripe") {
    body = valora.stripeEvent({ type: "payment_intent.payment_failed", customerId }).body;
    headers = { ...headers, "Stripe-Signature": valora.stripeSignatureHeader(body, secret) };
  } else {
    const ev = valora.adyenEvent({ eventCode: "AUTHORISATION", success: false, customerId });
    body = valora.signAdyen(ev.body, { hmacKey: secret });
  }
  return send("POST", `/api/payments/webhooks/${provider}`, body, {
    headers,
    name: `POST /api/payments/webhooks/${provider} (provision canary)`,
    expect: expect2xxOr400,
  });
}

function dataOf(res: Response): Record<string, unknown> | undefined {
  const b = bodyJson(res);
  return isObject(b) && isObject(b.data) ? b.data : undefined;
}

function idOf(res: Response): string | undefined {
  const d = dataOf(res);
  const id = d?.id ?? d?.ID;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function failed(what: string, res: Response): never {
  const env = errorEnvelope(res);
  abort(`${what} answered ${res.status}${env ? ` (${env.type})` : ""}: ${excerpt(res.body)}`);
}

/** Any list in a response: a bare array, data[], or an array one level inside data. */
function listOf(res: Response): Record<string, unknown>[] {
  const b = bodyJson(res);
  const candidates: unknown[] = [b];
  if (isObject(b)) {
    candidates.push(b.data);
    if (isObject(b.data)) candidates.push(...Object.values(b.data));
  }
  for (const c of candidates) if (Array.isArray(c)) return c.filter(isObject);
  return [];
}

export function provision(): ProvisionResult {
  const steps: ProvisionResult["steps"] = [];
  const step = (name: string, outcome: Outcome, detail: string): void => {
    steps.push({ step: name, outcome, detail });
  };

  assertReachable();
  if (!cfg.adminEmail || !cfg.adminPassword) {
    abort(`${cfg.adminEmail ? "ADMIN_PASSWORD" : "ADMIN_EMAIL"}: missing (provisioning logs in as an OWNER or ADMIN)`);
  }

  // 1. Login and org.
  const session = login(cfg.adminEmail, cfg.adminPassword);
  if (typeof session === "string") abort(session);
  let orgId: string;
  if (cfg.explicit.orgId) {
    if (session.orgIds.length > 0 && !session.orgIds.includes(cfg.orgId)) {
      abort(`ORG_ID ${cfg.orgId} is not one of ADMIN_EMAIL's orgs (${session.orgIds.join(", ")})`);
    }
    orgId = cfg.orgId;
  } else {
    if (session.orgIds.length === 0) abort("ADMIN_EMAIL belongs to no org: set ORG_ID");
    orgId = session.orgIds[0];
  }
  step("org", "reused", orgId);
  const creds: AdminCredentials = { token: session.token, orgId };

  // 2. API key: API_KEY, or the earlier environment file's, if Valora accepts it; else a new one.
  const earlier = earlierEnv();
  const replaced: string[] = [];
  let apiKey = "";
  const known: [string, string][] = [];
  if (cfg.explicit.apiKey) known.push(["API_KEY", cfg.apiKey]);
  if (earlier.API_KEY) known.push([`API_KEY of ${envFilePath}`, earlier.API_KEY]);
  for (const [from, candidate] of known) {
    const res = withRetry(() =>
      api("GET", "/api/customers", null, {
        key: candidate,
        query: { page_size: 1 },
        name: "GET /api/customers (provision)",
        expect: expect2xx,
      }),
    );
    if (res.status === 200) {
      apiKey = candidate;
      step("api key", "reused", from);
      break;
    }
    replaced.push(`${from} was refused by ${flavorTraits().label} (${res.status} on GET /api/customers): a new API key was created`);
  }
  if (!apiKey) apiKey = createApiKey(creds, step, "api key");
  const extraKeys = provisionExtraKeys(earlier, () => createApiKey(creds, step, "api key (API_KEYS)"), step, replaced);

  // 3–5. Meter, customer and the subscription chain.
  const meterCode = cfg.explicit.meterCode ? cfg.meterCode : PROVISION_METER_CODE;
  const wantCustomer = cfg.explicit.customerId ? cfg.customerId : earlier.CUSTOMER_ID;
  const { customerId } = billingChain(apiKey, meterCode, PROVISION_CUSTOMER_EMAIL, wantCustomer, step, "");

  // 6. Payment providers. A known secret that Valora accepts is kept: configuring another one would break every
  // earlier environment file. Only when none works is one configured, and a replaced config is said loudly.
  const webhookSecret = providerSecret(creds, "stripe", customerId, step, replaced, {
    variable: "WEBHOOK_SECRET",
    given: providerSecrets.webhookSecret,
    earlier: earlier.WEBHOOK_SECRET,
    fresh: () => `whsec_${randomHex(24)}`,
    config: (secret) => ({ webhook_secret: secret }),
  });
  const adyenKey =
    providerSecrets.adyenHmacKey || earlier.ADYEN_HMAC_KEY
      ? providerSecret(creds, "adyen", customerId, step, replaced, {
          variable: "ADYEN_HMAC_KEY",
          given: providerSecrets.adyenHmacKey,
          earlier: earlier.ADYEN_HMAC_KEY,
          fresh: () => providerSecrets.adyenHmacKey,
          config: (secret) => ({ hmac_key: secret }),
        })
      : "";
  for (const r of replaced) warn(`provision REPLACED a value: ${r}`);
  const replacedBefore = replaced.length;
  const notChecked: Record<string, string> = {};
  if (!webhookSecret && notSet.stripe) notChecked.provision_webhook_ready = notSet.stripe;

  const env: Record<string, string> = {
    BASE_URL: cfg.baseUrl,
    API_KEY: apiKey,
    ORG_ID: orgId,
    CUSTOMER_ID: customerId,
    METER_CODE: meterCode,
    ADMIN_EMAIL: cfg.adminEmail,
    ADMIN_PASSWORD: cfg.adminPassword,
    ADMIN_SESSION: session.token,
    PAYMENT_PROVIDER: "stripe",
  };
  if (webhookSecret) env.WEBHOOK_SECRET = webhookSecret;
  if (extraKeys.length > 0) env.API_KEYS = extraKeys.join(",");
  if (adyenKey) env.ADYEN_HMAC_KEY = adyenKey;
  if (v.PROVISION_TENANT_B) Object.assign(env, tenantB(session.token, earlier, step, replaced));
  else notChecked.provision_tenant_ready = "PROVISION_TENANT_B=false: no second tenant was provisioned";
  Object.assign(env, member(creds, earlier, step));
  for (const r of replaced.slice(replacedBefore)) warn(`provision REPLACED a value: ${r}`);
  return { env, steps, notChecked, replaced };
}

/** Whether Valora accepts an API key (GET /api/customers answers 200). */
function keyWorks(key: string): boolean {
  const res = withRetry(() =>
    api("GET", "/api/customers", null, { key, query: { page_size: 1 }, name: "GET /api/customers (provision)", expect: expect2xx }),
  );
  return res.status === 200;
}

export const TENANT_B_METER_CODE = "k6_api_calls";
export const TENANT_B_CUSTOMER_EMAIL = "k6-tenant-b@example.com";

/**
 * Tenant B for tenant_isolation: a second org made by the admin through POST /auth/user/orgs (the admin is its
 * OWNER; docs/valora-source.md 1), with an API key, meter, customer, ACTIVE subscription and a Stripe secret of its
 * own. An earlier environment file's org and key are reused when Valora still accepts the key.
 */
function tenantB(
  token: string,
  earlier: Record<string, string>,
  step: (name: string, outcome: Outcome, detail: string) => void,
  replaced: string[],
): Record<string, string> {
  let orgId = "";
  let apiKey = "";
  const memberOf = (id: string): boolean => {
    const res = withRetry(() =>
      send("GET", "/auth/user/orgs", null, { headers: { Cookie: `_sid=${token}` }, name: "GET /auth/user/orgs", redirects: 0, expect: expect2xx }),
    );
    const b = bodyJson(res);
    return isObject(b) && Array.isArray(b.orgs) && b.orgs.some((o) => isObject(o) && o.id === id);
  };
  if (earlier.TENANT_B_ORG_ID && earlier.TENANT_B_API_KEY && memberOf(earlier.TENANT_B_ORG_ID)) {
    orgId = earlier.TENANT_B_ORG_ID;
    step("tenant B org", "reused", `${orgId} (of ${envFilePath})`);
    if (keyWorks(earlier.TENANT_B_API_KEY)) {
      apiKey = earlier.TENANT_B_API_KEY;
      step("tenant B api key", "reused", `TENANT_B_API_KEY of ${envFilePath}`);
    } else {
      replaced.push(`TENANT_B_API_KEY of ${envFilePath} was refused by Valora: a new key of org B was created`);
    }
  }
  if (!orgId) {
    // Names must be unique: a reused one is a duplicate slug, which Valora answers with 500.
    const name = `k6 tenant B ${valora.snowflake()}`;
    const res = withRetry(() =>
      send("POST", "/auth/user/orgs", JSON.stringify({ name, country_code: "US", timezone_name: "America/New_York" }), {
        headers: { Cookie: `_sid=${token}`, "Content-Type": "application/json" },
        name: "POST /auth/user/orgs",
        redirects: 0,
        expect: expect2xx,
      }),
    );
    const b = bodyJson(res);
    if (res.status !== 200 || !isObject(b) || typeof b.id !== "string") failed("POST /auth/user/orgs (tenant B)", res);
    orgId = b.id as string;
    step("tenant B org", "created", `${name} (${orgId}), ADMIN_EMAIL its OWNER`);
  }
  const creds: AdminCredentials = { token, orgId };
  if (!apiKey) apiKey = createApiKey(creds, step, "tenant B api key");
  const chain = billingChain(apiKey, TENANT_B_METER_CODE, TENANT_B_CUSTOMER_EMAIL, earlier.TENANT_B_CUSTOMER_ID, step, "tenant B ");
  const secret = providerSecret(creds, "stripe", chain.customerId, step, replaced, {
    variable: "TENANT_B_WEBHOOK_SECRET",
    label: "tenant B stripe webhook secret",
    given: "",
    earlier: earlier.TENANT_B_WEBHOOK_SECRET,
    fresh: () => `whsec_${randomHex(24)}`,
    config: (s) => ({ webhook_secret: s }),
  });
  const env: Record<string, string> = {
    TENANT_B_API_KEY: apiKey,
    TENANT_B_ORG_ID: orgId,
    TENANT_B_CUSTOMER_ID: chain.customerId,
    TENANT_B_METER_CODE: TENANT_B_METER_CODE,
    TENANT_B_METER_ID: chain.meterId,
    TENANT_B_WEBHOOK_SECRET: secret,
  };
  const sub = chain.subscriptionId ?? (chain.reused ? earlier.TENANT_B_SUBSCRIPTION_ID : undefined);
  if (sub) env.TENANT_B_SUBSCRIPTION_ID = sub;
  return env;
}

/**
 * A second user of org A with role MEMBER, the only way Valora makes users: an invite, completed by the invitee.
 * Valora answers the invite with 204 and sends its id only in an email link (or organization_invites, by SQL), so
 * this takes two runs: the first sends the invite, the second completes it with TENANT_MEMBER_INVITE_ID. A member
 * from an earlier environment file that still logs in is kept.
 */
function member(
  creds: AdminCredentials,
  earlier: Record<string, string>,
  step: (name: string, outcome: Outcome, detail: string) => void,
): Record<string, string> {
  if (earlier.TENANT_MEMBER_EMAIL && earlier.TENANT_MEMBER_PASSWORD) {
    registerSecret(earlier.TENANT_MEMBER_PASSWORD);
    if (typeof login(earlier.TENANT_MEMBER_EMAIL, earlier.TENANT_MEMBER_PASSWORD) !== "string") {
      step("member of org A", "reused", `${earlier.TENANT_MEMBER_EMAIL} (of ${envFilePath})`);
      return { TENANT_MEMBER_EMAIL: earlier.TENANT_MEMBER_EMAIL, TENANT_MEMBER_PASSWORD: earlier.TENANT_MEMBER_PASSWORD };
    }
  }
  if (v.TENANT_MEMBER_INVITE_ID) {
    const id = v.TENANT_MEMBER_INVITE_ID;
    const info = bodyJson(withRetry(() => send("GET", `/auth/invites/${id}`, null, { name: "GET /auth/invites/:id", expect: expect2xx })));
    if (!isObject(info) || typeof info.email !== "string") abort(`TENANT_MEMBER_INVITE_ID ${id}: Valora knows no such invite`);
    if (info.status !== "pending") abort(`TENANT_MEMBER_INVITE_ID ${id}: the invite is ${String(info.status)}, not pending: invite again`);
    if (String(info.role).toUpperCase() !== "MEMBER") abort(`TENANT_MEMBER_INVITE_ID ${id}: the invite is for role ${String(info.role)}, not MEMBER`);
    const password = randomHex(16);
    registerSecret(password);
    const res = send("POST", `/auth/invites/${id}/complete`, JSON.stringify({ password, name: "k6 member" }), {
      headers: { "Content-Type": "application/json" },
      name: "POST /auth/invites/:id/complete",
      isolateCookies: true,
      redirects: 0,
      expect: expect2xx,
    });
    if (res.status === 409) abort(`TENANT_MEMBER_INVITE_ID ${id}: ${info.email} is already a user; invite a new address (PROVISION_MEMBER_EMAIL)`);
    if (res.status !== 200) failed("POST /auth/invites/:id/complete", res);
    step("member of org A", "created", `${info.email} (MEMBER, invite ${id})`);
    return { TENANT_MEMBER_EMAIL: info.email, TENANT_MEMBER_PASSWORD: password };
  }
  const email = v.PROVISION_MEMBER_EMAIL;
  const res = withRetry(() =>
    send("POST", `/auth/user/orgs/${creds.orgId}/invites`, JSON.stringify({ invites: [{ email, role: "MEMBER" }] }), {
      headers: { Cookie: `_sid=${creds.token}`, "Content-Type": "application/json" },
      name: "POST /auth/user/orgs/:id/invites",
      redirects: 0,
      expect: expect2xx,
    }),
  );
  if (res.status !== 204 && res.status !== 200) failed("POST /auth/user/orgs/:id/invites", res);
  step(
    "member of org A",
    "invited",
    `${email} as MEMBER: Valora emails the link (…/invite/<id>); run provision again with TENANT_MEMBER_INVITE_ID=<id> ` +
      `(or read it: SELECT id FROM organization_invites WHERE email='${email}' AND status='pending')`,
  );
  return {};
}

/**
 * The scopes a provisioned key is created with, requested explicitly: what the suite's requests need, among the
 * scopes the server offers (GET /admin/api-keys/scopes). Railzway checks one on every /api route.
 */
export const NEEDED_SCOPES = [
  "usage:ingest",
  "customer:view",
  "customer:create",
  "meter:view",
  "meter:create",
  "product:create",
  "product:update",
  "price:create",
  "subscription:view",
  "subscription:create",
  "subscription:activate",
  "invoice:view",
  "feature:view",
  "feature:create",
];

/** A new API key with the scopes the suite needs (NEEDED_SCOPES), for the org creds act in. */
function createApiKey(creds: AdminCredentials, step: (name: string, outcome: Outcome, detail: string) => void, label: string): string {
  const scopesRes = admin("GET", "/admin/api-keys/scopes", creds);
  const offered = Array.isArray(bodyJson(scopesRes))
    ? (bodyJson(scopesRes) as unknown[]).filter((s) => typeof s === "string")
    : [];
  const scopes = NEEDED_SCOPES.filter((x) => offered.includes(x));
  const missing = NEEDED_SCOPES.filter((x) => !offered.includes(x) && (flavorTraits().meteredFeatures || !x.startsWith("feature:")));
  if (missing.length > 0) step(`${label} scopes`, "NOT SET", `the server offers no ${missing.join(", ")}: the key is created without`);
  const res = admin("POST", "/admin/api-keys", creds, { name: "valora-k6", scopes });
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || typeof b.api_key !== "string") failed("POST /admin/api-keys", res);
  const apiKey = b.api_key as string;
  registerSecret(apiKey);
  step(label, "created", typeof b.key_id === "string" ? b.key_id : "");
  return apiKey;
}

/** What billingChain found or made: the meter, the customer, and the subscription when this run made it. */
interface Chain {
  meterId: string;
  customerId: string;
  subscriptionId?: string;
  /** The customer already ingested on the meter: nothing of the chain was made. */
  reused: boolean;
}

/**
 * Steps 3–5 for one tenant, through its API key: the meter (by code), the customer (wantCustomer if the key reads
 * it, else the one with customerEmail, else a new one), and the subscription chain only when the customer cannot
 * ingest on the meter yet. `who` prefixes the step names ("tenant B ").
 */
function billingChain(
  apiKey: string,
  meterCode: string,
  customerEmail: string,
  wantCustomer: string | undefined,
  step: (name: string, outcome: Outcome, detail: string) => void,
  who: string,
): Chain {
  const key = { key: apiKey };
  let subscriptionId: string | undefined;
  // 3. Meter, looked up by code first.
  const meter = ensureMeter(apiKey, meterCode);
  const meterId = meter.id;
  step(`${who}meter`, meter.outcome, `${meterCode} (${meterId})`);

  // 4. Customer: CUSTOMER_ID if set and known, else the provisioning customer found by its email, else a new one.
  let customerId: string | undefined;
  if (wantCustomer) {
    const res = api("GET", `/api/customers/${wantCustomer}`, null, { ...key, name: "GET /api/customers/:id" });
    if (res.status === 200) customerId = wantCustomer;
  }
  if (!customerId) {
    const res = api("GET", "/api/customers", null, {
      ...key,
      query: { email: customerEmail, page_size: 1 },
    });
    const c = listOf(res)[0];
    const id = c?.id ?? c?.ID;
    if (typeof id === "string") customerId = id;
  }
  if (customerId) {
    step(`${who}customer`, "reused", customerId);
  } else {
    customerId = createCustomer(apiKey, `k6 provisioned customer${who ? ` (${who.trim()})` : ""}`, customerEmail);
    step(`${who}customer`, "created", customerId);
  }

  // 5. The subscription chain, only when the customer cannot ingest on the meter yet.
  const probe = ingestProbe(apiKey, customerId, meterCode);
  const codes = errorCodes(probe);
  if (probe.status === 200) {
    step(`${who}subscription`, "reused", "the customer already ingests on the meter");
  } else if (probe.status === 403) {
    // The key holds usage:ingest: a 403 is the server's scope table (Railzway 4ff8772), not the key.
    warn(
      `provision: the provisioned key cannot ingest (403 on POST /api/usage): ${flavorTraits().ingestForbidden}; ` +
        "then run provision again to build the subscription",
    );
    step(`${who}subscription`, "NOT SET", "usage ingest is refused with 403 (see the warning)");
  } else {
    if (!codes.includes("invalid_subscription") && !codes.includes("feature_not_entitled")) {
      failed("the ingest probe (POST /api/usage)", probe);
    }
    if (codes.includes("feature_not_entitled")) {
      step(`${who}subscription`, "reused", "the ACTIVE subscription has no metered feature on the meter: a new one is made");
    }
    const chain = subscribe(apiKey, customerId, meterId, {});
    if (chain.featureId) step(`${who}metered feature`, "created", `${chain.featureId} on product ${chain.productId}`);
    const { productId, priceId, subscriptionId: subId } = chain;
    step(`${who}product, price, price amount`, "created", `${productId}, ${priceId}`);
    step(`${who}subscription`, "created", `${subId} (ACTIVE)`);
    subscriptionId = subId;
  }

  return { meterId, customerId, subscriptionId, reused: subscriptionId === undefined };
}

/** A meter of the key's org by code: found, or created (a concurrent creation's duplicate-code 500 looks again). */
export function ensureMeter(apiKey: string, meterCode: string): { id: string; outcome: Outcome } {
  const key = { key: apiKey };
  const findMeter = (): string | undefined => {
    const res = api("GET", "/api/meters", null, { ...key, query: { code: meterCode } });
    const m = listOf(res).find((x) => x.code === meterCode);
    return m && typeof m.id === "string" ? m.id : undefined;
  };
  const found = findMeter();
  if (found) return { id: found, outcome: "reused" };
  const res = api("POST", "/api/meters", { code: meterCode, name: "k6 API calls", aggregation_type: "SUM", unit: "call" }, key);
  const id = idOf(res) ?? (res.status >= 500 ? findMeter() : undefined);
  if (!id) failed("POST /api/meters", res);
  return { id, outcome: res.status === 200 ? "created" : "reused" };
}

/** A new customer of the key's org. */
export function createCustomer(apiKey: string, name: string, email: string): string {
  const res = api("POST", "/api/customers", { name, email }, { key: apiKey });
  return idOf(res) ?? failed("POST /api/customers", res);
}

export interface SubscribeOptions {
  /** Cents per unit of the PER_UNIT price; default 1. */
  unitAmountCents?: number;
  /** RFC 3339: when the price amount takes effect (Valora: now, to the minute, when absent). */
  effectiveFrom?: string;
  /** The subscription's metadata. */
  metadata?: Record<string, string>;
}

export interface Subscribed {
  productId: string;
  priceId: string;
  subscriptionId: string;
  /** Railzway: the metered feature attached to the product before activation. */
  featureId?: string;
}

/**
 * Subscribes the customer to a new PER_UNIT monthly price on the meter and activates it (contract 8.4, steps 5
 * to 10). Product and price codes are unique, so a half-finished earlier run never collides with Valora's
 * duplicate-code 500.
 */
export function subscribe(apiKey: string, customerId: string, meterId: string, opts: SubscribeOptions): Subscribed {
  const key = { key: apiKey };
  const suffix = valora.snowflake();
  const product = api("POST", "/api/products", { code: `k6-product-${suffix}`, name: "k6 product" }, key);
  const productId = idOf(product) ?? failed("POST /api/products", product);
  const traits = flavorTraits();
  let featureId: string | undefined;
  if (traits.meteredFeatures) {
    // Railzway: ingest needs the product's metered feature on the meter, attached before activation.
    featureId = meteredFeature(apiKey, meterId);
    const put = api("PUT", `/api/products/${productId}/features`, { feature_ids: [featureId] }, {
      ...key,
      name: "PUT /api/products/:id/features",
    });
    if (put.status !== 200) failed(`PUT /api/products/${productId}/features`, put);
  }
  const price = api(
    "POST",
    "/api/prices",
    {
      product_id: productId,
      code: `k6-per-unit-${suffix}`,
      name: "k6 per unit",
      pricing_model: "PER_UNIT",
      billing_mode: "METERED",
      billing_interval: "MONTH",
      billing_interval_count: 1,
      aggregate_usage: "SUM",
      billing_unit: "API_CALL",
      tax_behavior: "EXCLUSIVE",
    },
    key,
  );
  const priceId = idOf(price) ?? failed("POST /api/prices", price);
  const amountBody: Record<string, unknown> = {
    price_id: priceId,
    meter_id: meterId,
    currency: "USD",
    unit_amount_cents: opts.unitAmountCents ?? 1,
  };
  if (opts.effectiveFrom) amountBody.effective_from = opts.effectiveFrom;
  const amount = api("POST", "/api/price_amounts", amountBody, key);
  if (!idOf(amount)) failed("POST /api/price_amounts", amount);
  const subBody: Record<string, unknown> = {
    customer_id: customerId,
    collection_mode: "SEND_INVOICE",
    billing_cycle_type: "MONTHLY",
    items: [traits.subscriptionItem(priceId, meterId)],
  };
  if (opts.metadata) subBody.metadata = opts.metadata;
  const sub = api("POST", "/api/subscriptions", subBody, key);
  const subscriptionId = idOf(sub) ?? failed("POST /api/subscriptions", sub);
  const act = api("POST", `/api/subscriptions/${subscriptionId}/activate`, null, {
    ...key,
    name: "POST /api/subscriptions/:id/activate",
  });
  if (act.status < 200 || act.status >= 300) failed(`POST /api/subscriptions/${subscriptionId}/activate`, act);
  return { productId, priceId, subscriptionId, featureId };
}

/** Railzway's metered feature on the meter, found by its code or created. */
function meteredFeature(apiKey: string, meterId: string): string {
  const code = `k6-metered-${meterId}`;
  const found = listOf(api("GET", "/api/features", null, { key: apiKey, query: { code } })).find(
    (f) => f.code === code && f.feature_type === "metered",
  );
  if (found && typeof found.id === "string") return found.id;
  const res = api("POST", "/api/features", { code, name: `k6 metered ${meterId}`, feature_type: "metered", meter_id: meterId }, { key: apiKey });
  return idOf(res) ?? failed("POST /api/features", res);
}

/** API_KEYS: the earlier environment file's extra keys that still work, and new ones up to PROVISION_API_KEYS. */
function provisionExtraKeys(
  earlier: Record<string, string>,
  mint: () => string,
  step: (n: string, o: Outcome, d: string) => void,
  replaced: string[],
): string[] {
  const want = v.PROVISION_API_KEYS - 1;
  const out: string[] = [];
  const known = [...cfg.apiKeys, ...(earlier.API_KEYS ?? "").split(",")].map((k) => k.trim()).filter((k) => k !== "");
  for (const k of known) {
    if (out.length >= want || out.includes(k)) continue;
    registerSecret(k);
    if (keyWorks(k)) out.push(k);
    else replaced.push(`a key of API_KEYS was refused (GET /api/customers): another was created`);
  }
  if (out.length > 0) step("api keys (API_KEYS)", "reused", `${out.length}`);
  while (out.length < want) out.push(mint());
  return out;
}

/** Why a provider secret was not set (Railzway cannot be given one over HTTP), by provider: the operator's line. */
const notSet: Record<string, string> = {};

interface SecretSource {
  variable: string;
  /** The step's name; default "<provider> webhook secret". */
  label?: string;
  given: string;
  earlier: string | undefined;
  /** The secret to configure when no known one works. */
  fresh: () => string;
  config: (secret: string) => Record<string, string>;
}

/** A provider secret that Valora accepts: a known one if any works, else a configured one (loudly, if replacing). */
function providerSecret(
  creds: AdminCredentials,
  provider: "stripe" | "adyen",
  customerId: string,
  step: (name: string, outcome: Outcome, detail: string) => void,
  replaced: string[],
  src: SecretSource,
): string {
  const label = src.label ?? (provider === "stripe" ? "stripe webhook secret" : "adyen hmac key");
  const candidates: [string, string][] = [];
  if (src.given) candidates.push([src.variable, src.given]);
  if (src.earlier && src.earlier !== src.given) {
    candidates.push([`${src.variable} of ${envFilePath}`, src.earlier]);
  }
  for (const [from, secret] of candidates) {
    registerSecret(secret);
    const res = signedCanary(provider, secret, customerId);
    if (res.status === 200) {
      step(label, "reused", `${from} (${flavorTraits().label} accepts it)`);
      return secret;
    }
  }
  if (!flavorTraits().providerRoute) {
    // Railzway 4ff8772 has the handlers but does not route /admin/payment-providers: nothing to configure over HTTP.
    const line =
      `${label}: Railzway does not route POST /admin/payment-providers, so provision cannot set it over HTTP` +
      (candidates.length > 0 ? ` (${candidates.map(([from]) => from).join(" and ")} ${candidates.length > 1 ? "were" : "was"} refused by the server)` : "") +
      `: configure org ${creds.orgId}'s ${provider} provider by hand (route Railzway's payment-provider handlers, or store the ` +
      `config as its vault encrypts it), then run provision again with ${src.variable} set to that secret: provision proves it ` +
      `with a signed event and writes it to ${envFilePath}`;
    warn(`provision: ${line}`);
    if (src.variable === "WEBHOOK_SECRET") notSet.stripe = line;
    step(label, "NOT SET", `the operator sets it by hand, then passes it in ${src.variable}`);
    return "";
  }
  const secret = candidates.length > 0 && src.given ? src.given : src.fresh();
  registerSecret(secret);
  const existing = admin("GET", "/admin/payment-providers", creds, null, { name: "GET /admin/payment-providers" });
  const b = bodyJson(existing);
  const had =
    isObject(b) && Array.isArray(b.configs) && b.configs.some((c) => isObject(c) && c.provider === provider);
  configureProvider(creds, provider, src.config(secret));
  if (had) {
    const tried = candidates.map(([from]) => from).join(" and ");
    replaced.push(
      `${src.variable}: the ${provider} secret of org ${creds.orgId} was replaced` +
        (tried ? ` (${tried} ${candidates.length > 1 ? "were" : "was"} refused by ${flavorTraits().label})` : " (no known secret: set WEBHOOK_SECRET, or keep the earlier environment file, to reuse it)") +
        `: every earlier environment file's ${src.variable} stops working`,
    );
    step(label, "REPLACED", src.given ? src.variable : "generated");
  } else {
    step(label, "configured", src.given ? src.variable : "generated");
  }
  return secret;
}

export function ingestProbe(apiKey: string, customerId: string, meterCode: string): Response {
  const body = {
    customer_id: customerId,
    meter_code: meterCode,
    value: 1,
    recorded_at: new Date().toISOString(),
    idempotency_key: valora.idempotencyKey("k6-provision-probe"),
  };
  // A 400 (no subscription yet) is an answer the provisioning expects, not a failed request.
  return api("POST", "/api/usage", body, { key: apiKey, name: "POST /api/usage (provision)", expect: expect2xxOr400 });
}

function configureProvider(creds: AdminCredentials, provider: string, config: Record<string, string>): void {
  const res = admin("POST", "/admin/payment-providers", creds, { provider, config });
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || !isObject(b.config))
    failed(`POST /admin/payment-providers (${provider})`, res);
  if ((b.config as Record<string, unknown>).is_active === false) {
    const patch = admin(
      "PATCH",
      `/admin/payment-providers/${provider}`,
      creds,
      { is_active: true },
      {
        name: "PATCH /admin/payment-providers/:provider",
      },
    );
    if (patch.status !== 200) failed(`PATCH /admin/payment-providers/${provider}`, patch);
  }
}

const ENV_ORDER = [
  "BASE_URL",
  "API_KEY",
  "API_KEYS",
  "ORG_ID",
  "CUSTOMER_ID",
  "METER_CODE",
  "ADMIN_EMAIL",
  "ADMIN_PASSWORD",
  "ADMIN_SESSION",
  "PAYMENT_PROVIDER",
  "WEBHOOK_SECRET",
  "ADYEN_HMAC_KEY",
  "TENANT_B_API_KEY",
  "TENANT_B_ORG_ID",
  "TENANT_B_CUSTOMER_ID",
  "TENANT_B_METER_CODE",
  "TENANT_B_METER_ID",
  "TENANT_B_SUBSCRIPTION_ID",
  "TENANT_B_WEBHOOK_SECRET",
  "TENANT_MEMBER_EMAIL",
  "TENANT_MEMBER_PASSWORD",
];

/** The variables in the order the README lists them (setup data comes back with its keys in any order). */
export function envKeys(env: Record<string, string>): string[] {
  return [
    ...ENV_ORDER.filter((k) => k in env),
    ...Object.keys(env)
      .filter((k) => !ENV_ORDER.includes(k))
      .sort(),
  ];
}

/** The environment file: KEY='value' lines, single quotes escaped the POSIX shell way. */
export function envFile(env: Record<string, string>): string {
  const lines = envKeys(env).map((k) => `${k}='${env[k].replace(/'/g, `'\\''`)}'`);
  return `# Written by valora-k6 provision: the environment the scenarios read. It holds secrets.\n${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- the scenario

/** The environment file's directory is made before anything is provisioned, so the result is never lost to it. */
function ensureEnvDir(): void {
  const dir = envFilePath.includes("/") ? envFilePath.slice(0, envFilePath.lastIndexOf("/")) : "";
  if (!dir) return;
  try {
    valora.ensureDir(dir);
  } catch (e) {
    throw `invalid configuration: PROVISION_ENV_FILE: cannot create the directory "${dir}" (${String(e)})`;
  }
}

/** Proves the result: the provisioned key ingests for the customer, and a webhook signed with the secret is taken. */
function verify(d: ProvisionResult): void {
  for (const k of SECRET_KEYS) registerSecret(d.env[k]);
  for (const k of (d.env.API_KEYS ?? "").split(",")) registerSecret(k);
  const res = ingestProbe(d.env.API_KEY, d.env.CUSTOMER_ID, d.env.METER_CODE);
  holds(
    "provision_ready",
    res.status === 200,
    "the provisioned key, customer and meter ingest usage",
    () =>
      res.status === 403
        ? `POST /api/usage answered 403: the key's scopes do not allow usage ingest: ${flavorTraits().ingestForbidden}`
        : `POST /api/usage answered ${res.status}: ${excerpt(res.body)}`,
  );
  if (d.env.TENANT_B_API_KEY) {
    const b = ingestProbe(d.env.TENANT_B_API_KEY, d.env.TENANT_B_CUSTOMER_ID, d.env.TENANT_B_METER_CODE);
    holds(
      "provision_tenant_ready",
      b.status === 200,
      "tenant B's provisioned key, customer and meter ingest usage",
      () => `POST /api/usage with TENANT_B_API_KEY answered ${b.status}: ${excerpt(b.body)}`,
    );
  }
  if (!d.env.WEBHOOK_SECRET) return; // NOT CHECKED since setup, with the reason
  // A failed payment changes no balance: the check leaves the books as they were.
  const ev = valora.stripeEvent({ type: "payment_intent.payment_failed", customerId: d.env.CUSTOMER_ID });
  const sig = valora.signStripe(ev.body, { secret: d.env.WEBHOOK_SECRET });
  const wh = send("POST", "/api/payments/webhooks/stripe", ev.body, {
    headers: { "Content-Type": "application/json", "Stripe-Signature": sig.header },
    name: "POST /api/payments/webhooks/stripe (provision)",
    expect: expect2xx,
  });
  holds(
    "provision_webhook_ready",
    wh.status === 200,
    "a webhook signed with the provisioned secret is accepted",
    () => `answered ${wh.status}: ${excerpt(wh.body)}`,
  );
}

function reportExtras(data: SummaryData): ReportExtras {
  const result = data.setup_data as ProvisionResult | undefined;
  if (!result || !result.env) {
    return { preface: ["Nothing provisioned: setup failed (see the error above)."] };
  }
  for (const k of SECRET_KEYS) registerSecret(result.env[k]);
  for (const k of (result.env.API_KEYS ?? "").split(",")) registerSecret(k);
  const preface = [
    "Provisioned:",
    ...result.steps.map((s) => `  ${s.step.padEnd(28)} ${s.outcome.padEnd(10)} ${s.detail}`),
  ];
  for (const r of result.replaced ?? []) preface.push(`  !! REPLACED: ${r}`);
  try {
    // Mode 0600: the file holds the admin password, a session, the API key and the webhook secrets.
    valora.writeFile(envFilePath, envFile(result.env), 0o600);
    preface.push(`Environment written to ${envFilePath}, mode 0600 (${envKeys(result.env).join(", ")}).`);
  } catch (e) {
    preface.push(`!! PROVISION_ENV_FILE: could not write "${envFilePath}" (${String(e)}): nothing was saved`);
  }
  return { preface };
}

export const provisionScenario: Scenario<ProvisionResult> = {
  name: "provision",
  invariants: names,
  scenarios: { verify: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "1m", exec: "verify" } },
  thresholds: {},
  extraOptions: { setupTimeout: "2m" },
  setup(): ProvisionResult {
    ensureEnvDir();
    return provision();
  },
  iterations: { verify },
  reportExtras,
  catches: {
    "provider-config-ignored": ["provision_webhook_ready"],
    "activation-ignored": ["provision_ready", "provision_tenant_ready"],
    // Railzway only: the unmodified scope table refuses every key's ingest.
    "railzway-ingest-scope": ["provision_ready"],
  },
};
