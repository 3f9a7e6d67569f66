// Provisioning a real Valora through its public API (contract 8.4), from an admin login: org, API key, meter,
// product, price, price amount, customer, ACTIVE subscription and the Stripe webhook secret. Everything that exists
// is reused: what can be looked up is looked up first; the subscription chain is only built when an ingest probe
// shows the customer cannot ingest on the meter yet (product and price codes are then unique, so a half-finished
// earlier run never collides with Valora's duplicate-code 500).
import { randomBytes } from "k6/crypto";
import * as valora from "k6/x/valora";
import { cfg } from "./config";
import http from "k6/http";
import { admin, api, bodyJson, errorEnvelope, expect2xx, isObject, type AdminCredentials, type Response } from "./http";
import { excerpt, registerSecret } from "./log";
import { abort, assertReachable, withRetry } from "./preflight";
import { login } from "./session";

export const PROVISION_METER_CODE = "k6_api_calls";
export const PROVISION_CUSTOMER_EMAIL = "k6-provision@example.com";

const expect2xxOr400 = http.expectedStatuses({ min: 200, max: 299 }, 400);

export type Outcome = "reused" | "created" | "configured";

export interface ProvisionResult {
  /** The environment the other scenarios read. Secret: only ever written to PROVISION_ENV_FILE. */
  env: Record<string, string>;
  /** What happened, step by step; nothing secret. */
  steps: { step: string; outcome: Outcome; detail: string }[];
  notChecked: Record<string, string>;
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

function randomHex(bytes: number): string {
  return Array.from(new Uint8Array(randomBytes(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
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

  // 2. API key: the given one if Valora accepts it, else a new one.
  let apiKey = "";
  if (cfg.explicit.apiKey) {
    const res = withRetry(() =>
      api("GET", "/api/customers", null, {
        query: { page_size: 1 },
        name: "GET /api/customers (provision)",
        expect: expect2xx,
      }),
    );
    if (res.status === 200) {
      apiKey = cfg.apiKey;
      step("api key", "reused", "API_KEY");
    }
  }
  if (!apiKey) {
    const scopesRes = admin("GET", "/admin/api-keys/scopes", creds);
    const scopes = Array.isArray(bodyJson(scopesRes))
      ? (bodyJson(scopesRes) as unknown[]).filter((s) => typeof s === "string")
      : [];
    const res = admin("POST", "/admin/api-keys", creds, { name: "valora-k6", scopes });
    const b = bodyJson(res);
    if (res.status !== 200 || !isObject(b) || typeof b.api_key !== "string") failed("POST /admin/api-keys", res);
    apiKey = b.api_key as string;
    registerSecret(apiKey);
    step("api key", "created", typeof b.key_id === "string" ? b.key_id : "");
  }
  const key = { key: apiKey };

  // 3. Meter, looked up by code first; a concurrent creation's duplicate-code 500 is answered by looking again.
  const meterCode = cfg.explicit.meterCode ? cfg.meterCode : PROVISION_METER_CODE;
  const findMeter = (): string | undefined => {
    const res = api("GET", "/api/meters", null, { ...key, query: { code: meterCode } });
    const m = listOf(res).find((x) => x.code === meterCode);
    return m && typeof m.id === "string" ? m.id : undefined;
  };
  let meterId = findMeter();
  if (meterId) {
    step("meter", "reused", `${meterCode} (${meterId})`);
  } else {
    const res = api(
      "POST",
      "/api/meters",
      { code: meterCode, name: "k6 API calls", aggregation_type: "SUM", unit: "call" },
      key,
    );
    meterId = idOf(res) ?? (res.status >= 500 ? findMeter() : undefined);
    if (!meterId) failed("POST /api/meters", res);
    step("meter", res.status === 200 ? "created" : "reused", `${meterCode} (${meterId})`);
  }

  // 4. Customer: CUSTOMER_ID if set and known, else the provisioning customer found by its email, else a new one.
  let customerId: string | undefined;
  if (cfg.explicit.customerId) {
    const res = api("GET", `/api/customers/${cfg.customerId}`, null, { ...key, name: "GET /api/customers/:id" });
    if (res.status === 200) customerId = cfg.customerId;
  }
  if (!customerId) {
    const res = api("GET", "/api/customers", null, {
      ...key,
      query: { email: PROVISION_CUSTOMER_EMAIL, page_size: 1 },
    });
    const c = listOf(res)[0];
    const id = c?.id ?? c?.ID;
    if (typeof id === "string") customerId = id;
  }
  if (customerId) {
    step("customer", "reused", customerId);
  } else {
    const res = api(
      "POST",
      "/api/customers",
      { name: "k6 provisioned customer", email: PROVISION_CUSTOMER_EMAIL },
      key,
    );
    customerId = idOf(res);
    if (!customerId) failed("POST /api/customers", res);
    step("customer", "created", customerId);
  }

  // 5. The subscription chain, only when the customer cannot ingest on the meter yet.
  const probe = ingestProbe(apiKey, customerId, meterCode);
  if (probe.status === 200) {
    step("subscription", "reused", "the customer already ingests on the meter");
  } else {
    const codes = errorCodes(probe);
    if (!codes.includes("invalid_subscription")) failed("the ingest probe (POST /api/usage)", probe);
    const suffix = valora.snowflake();
    const product = api("POST", "/api/products", { code: `k6-product-${suffix}`, name: "k6 product" }, key);
    const productId = idOf(product) ?? failed("POST /api/products", product);
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
    const amount = api(
      "POST",
      "/api/price_amounts",
      { price_id: priceId, meter_id: meterId, currency: "USD", unit_amount_cents: 1 },
      key,
    );
    if (!idOf(amount)) failed("POST /api/price_amounts", amount);
    const sub = api(
      "POST",
      "/api/subscriptions",
      {
        customer_id: customerId,
        collection_mode: "SEND_INVOICE",
        billing_cycle_type: "MONTHLY",
        items: [{ price_id: priceId, meter_id: meterId }],
      },
      key,
    );
    const subId = idOf(sub) ?? failed("POST /api/subscriptions", sub);
    const act = api("POST", `/api/subscriptions/${subId}/activate`, null, {
      ...key,
      name: "POST /api/subscriptions/:id/activate",
    });
    if (act.status < 200 || act.status >= 300) failed(`POST /api/subscriptions/${subId}/activate`, act);
    step("product, price, price amount", "created", `${productId}, ${priceId}`);
    step("subscription", "created", `${subId} (ACTIVE)`);
  }

  // 6. Payment providers: Stripe with WEBHOOK_SECRET or a generated one; Adyen when ADYEN_HMAC_KEY is given.
  const webhookSecret = cfg.webhookSecret || `whsec_${randomHex(24)}`;
  registerSecret(webhookSecret);
  configureProvider(creds, "stripe", { webhook_secret: webhookSecret });
  step("stripe webhook secret", "configured", cfg.webhookSecret ? "WEBHOOK_SECRET" : "generated");
  if (cfg.adyenHmacKey) {
    configureProvider(creds, "adyen", { hmac_key: cfg.adyenHmacKey });
    step("adyen hmac key", "configured", "ADYEN_HMAC_KEY");
  }

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
    WEBHOOK_SECRET: webhookSecret,
  };
  if (cfg.adyenHmacKey) env.ADYEN_HMAC_KEY = cfg.adyenHmacKey;
  return { env, steps, notChecked: {} };
}

function errorCodes(res: Response): string[] {
  const b = bodyJson(res);
  if (!isObject(b) || !isObject(b.error) || !Array.isArray(b.error.errors)) return [];
  return b.error.errors.filter(isObject).map((e) => String(e.code ?? ""));
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
  "ORG_ID",
  "CUSTOMER_ID",
  "METER_CODE",
  "ADMIN_EMAIL",
  "ADMIN_PASSWORD",
  "ADMIN_SESSION",
  "PAYMENT_PROVIDER",
  "WEBHOOK_SECRET",
  "ADYEN_HMAC_KEY",
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
