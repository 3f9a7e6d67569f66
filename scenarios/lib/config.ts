// The one place environment variables are read. Every variable is parsed once, at init, into a typed value; a bad
// value stops the run before any VU starts, with one error naming each variable and what was wrong with it.

/** Defaults of the original suite (Valora's k6/config/env.js and the per-script tuning defaults). */
const ORIGINAL = {
  BASE_URL: "http://localhost:8080",
  API_KEY: "vk_live_key_F98QDZLSN9J4_f2fcf6e5ca11cd463b182956bf5d338f13186ea52ec84f1e4acd24db0d6a9d79",
  ORG_ID: "2008111837777760256",
  CUSTOMER_ID: "2008111839082188800",
  METER_CODE: "hybrid-usage-meter-teste2e-ratinghybrid",
  INGEST_VUS: 20,
  INGEST_DURATION: "5m",
  IDEMPOTENCY_ITERATIONS: 10,
  BURST_VUS: 30,
  DASHBOARD_VUS: 15,
  DASHBOARD_DURATION: "2m",
  PAGE_SIZE: 50,
  MAX_PAGES: 10,
  AUTH_VUS: 5,
  AUTH_DURATION: "1m",
  WEBHOOK_VUS: 10,
} as const;

export interface Config {
  baseUrl: string;
  apiKey: string;
  /** X-Org-Id for /admin; "" means: rely on the session's active org. */
  orgId: string;
  customerId: string;
  meterCode: string;
  /** Which of the variables above were set explicitly (not left to the original defaults). */
  explicit: {
    apiKey: boolean;
    orgId: boolean;
    customerId: boolean;
    meterCode: boolean;
  };

  adminSession: string;
  adminEmail: string;
  adminPassword: string;
  adminDatabaseUrl: string;
  sessionPerVu: boolean;

  paymentProvider: string;
  webhookPayload: string;
  webhookHeaders: Record<string, string>;
  webhookSecret: string;
  adyenHmacKey: string;
  strictWebhookTimestamp: boolean;
  /** Seconds to wait for a webhook's effect to show on the dashboard. */
  webhookBalanceTimeout: number;
  /** Seconds to keep watching after the balance moved, so a late double-processing still shows. */
  webhookBalanceGrace: number;

  authCompare: boolean;

  ingestVus: number;
  ingestDuration: string;
  idempotencyIterations: number;
  burstVus: number;
  dashboardVus: number;
  dashboardDuration: string;
  pageSize: number;
  maxPages: number;
  authVus: number;
  authDuration: string;
  webhookVus: number;
  paginationSeed: number;

  reportDir: string;
  provisionEnvFile: string;
}

/** Names of the variables whose values must never be printed. */
export const SECRET_VARIABLES = [
  "API_KEY",
  "ADMIN_SESSION",
  "ADMIN_PASSWORD",
  "ADMIN_DATABASE_URL",
  "WEBHOOK_SECRET",
  "ADYEN_HMAC_KEY",
  "WEBHOOK_HEADERS",
  "BRAINTREE_PRIVATE_KEY",
] as const;

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

class Reader {
  readonly problems: string[] = [];

  /** The trimmed value, or undefined when unset or blank (the original suite treated "" as unset). */
  raw(name: string): string | undefined {
    const v = __ENV[name];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === "" ? undefined : t;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  str(name: string, def = ""): string {
    return this.raw(name) ?? def;
  }

  /** Like str, but kept apart so no check ever echoes the value in a problem. */
  secret(name: string, def = ""): string {
    return this.raw(name) ?? def;
  }

  int(name: string, def: number, min = 1): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) {
      this.problems.push(`${name}: not a number (got "${v}")`);
      return def;
    }
    const n = Number(v);
    if (n < min) {
      this.problems.push(`${name}: must be at least ${min} (got ${n})`);
      return def;
    }
    return n;
  }

  bool(name: string, def = false): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase();
    if (["true", "1", "yes", "on"].includes(l)) return true;
    if (["false", "0", "no", "off"].includes(l)) return false;
    this.problems.push(`${name}: not a boolean, use true or false (got "${v}")`);
    return def;
  }

  duration(name: string, def: string): string {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!DURATION.test(v)) {
      this.problems.push(`${name}: not a duration like 30s, 1m or 1m30s (got "${v}")`);
      return def;
    }
    return v;
  }

  seconds(name: string, def: string): number {
    return durationSeconds(this.duration(name, def));
  }

  url(name: string, def: string): string {
    const v = this.raw(name) ?? def;
    if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(v)) {
      this.problems.push(`${name}: not an http(s) URL like http://localhost:8080 (got "${v}")`);
      return def;
    }
    return v.replace(/\/+$/, "");
  }

  decimalId(name: string, def: string): string {
    const v = this.raw(name) ?? def;
    if (v !== "" && !/^\d{1,19}$/.test(v)) {
      this.problems.push(`${name}: not a decimal Valora id (got "${v}")`);
      return def;
    }
    return v;
  }

  /** A JSON object of string values (HTTP headers); the value itself is never echoed, it may hold signatures. */
  headerMap(name: string): Record<string, string> {
    const v = this.raw(name);
    if (v === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch (_) {
      this.problems.push(`${name}: not JSON (expected an object such as {"Stripe-Signature":"t=…,v1=…"})`);
      return {};
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      this.problems.push(`${name}: not a JSON object of header names to values`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof val !== "string") {
        this.problems.push(`${name}: header "${k}" must be a string`);
        continue;
      }
      out[k] = val;
    }
    return out;
  }

  json(name: string): string {
    const v = this.raw(name);
    if (v === undefined) return "";
    try {
      JSON.parse(v);
    } catch (_) {
      this.problems.push(`${name}: not JSON (it must be the raw webhook body, exactly as signed)`);
    }
    // The raw string is what gets sent: re-serialising it would break its signature.
    return __ENV[name] ?? "";
  }

  hex(name: string): string {
    const v = this.raw(name);
    if (v === undefined) return "";
    if (!/^([0-9a-fA-F]{2})+$/.test(v)) {
      this.problems.push(`${name}: not a hex string (Adyen shows the HMAC key as hex)`);
      return "";
    }
    return v;
  }
}

/** Seconds in a k6 duration string such as "1m30s" or "500ms". */
export function durationSeconds(d: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(d)) !== null) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600;
  }
  return total;
}

function load(): Config {
  const r = new Reader();
  const c: Config = {
    baseUrl: r.url("BASE_URL", ORIGINAL.BASE_URL),
    apiKey: r.secret("API_KEY", ORIGINAL.API_KEY),
    orgId: r.decimalId("ORG_ID", ORIGINAL.ORG_ID),
    customerId: r.decimalId("CUSTOMER_ID", ORIGINAL.CUSTOMER_ID),
    meterCode: r.str("METER_CODE", ORIGINAL.METER_CODE),
    explicit: {
      apiKey: r.has("API_KEY"),
      orgId: r.has("ORG_ID"),
      customerId: r.has("CUSTOMER_ID"),
      meterCode: r.has("METER_CODE"),
    },

    adminSession: r.secret("ADMIN_SESSION"),
    adminEmail: r.str("ADMIN_EMAIL"),
    adminPassword: r.secret("ADMIN_PASSWORD"),
    adminDatabaseUrl: r.secret("ADMIN_DATABASE_URL"),
    sessionPerVu: r.bool("SESSION_PER_VU"),

    paymentProvider: r.str("PAYMENT_PROVIDER").toLowerCase(),
    webhookPayload: r.json("WEBHOOK_PAYLOAD"),
    webhookHeaders: r.headerMap("WEBHOOK_HEADERS"),
    webhookSecret: r.secret("WEBHOOK_SECRET"),
    adyenHmacKey: r.hex("ADYEN_HMAC_KEY"),
    strictWebhookTimestamp: r.bool("STRICT_WEBHOOK_TIMESTAMP"),
    webhookBalanceTimeout: r.seconds("WEBHOOK_BALANCE_TIMEOUT", "15s"),
    webhookBalanceGrace: r.seconds("WEBHOOK_BALANCE_GRACE", "2s"),

    authCompare: r.bool("AUTH_COMPARE"),

    ingestVus: r.int("INGEST_VUS", ORIGINAL.INGEST_VUS),
    ingestDuration: r.duration("INGEST_DURATION", ORIGINAL.INGEST_DURATION),
    idempotencyIterations: r.int("IDEMPOTENCY_ITERATIONS", ORIGINAL.IDEMPOTENCY_ITERATIONS),
    burstVus: r.int("BURST_VUS", ORIGINAL.BURST_VUS),
    dashboardVus: r.int("DASHBOARD_VUS", ORIGINAL.DASHBOARD_VUS),
    dashboardDuration: r.duration("DASHBOARD_DURATION", ORIGINAL.DASHBOARD_DURATION),
    pageSize: r.int("PAGE_SIZE", ORIGINAL.PAGE_SIZE),
    maxPages: r.int("MAX_PAGES", ORIGINAL.MAX_PAGES),
    authVus: r.int("AUTH_VUS", ORIGINAL.AUTH_VUS),
    authDuration: r.duration("AUTH_DURATION", ORIGINAL.AUTH_DURATION),
    webhookVus: r.int("WEBHOOK_VUS", ORIGINAL.WEBHOOK_VUS),
    paginationSeed: r.int("PAGINATION_SEED", 25, 0),

    reportDir: r.str("REPORT_DIR").replace(/\/+$/, ""),
    provisionEnvFile: r.str("PROVISION_ENV_FILE", "valora.env"),
  };
  if (c.adminDatabaseUrl !== "" && c.adminEmail === "") {
    r.problems.push("ADMIN_EMAIL: missing (ADMIN_DATABASE_URL mints sessions for this user)");
  }
  if (c.sessionPerVu && (c.adminEmail === "" || c.adminPassword === "")) {
    r.problems.push(
      `${c.adminEmail === "" ? "ADMIN_EMAIL" : "ADMIN_PASSWORD"}: missing (SESSION_PER_VU=true logs every VU in with it)`,
    );
  }
  if (r.problems.length > 0) {
    throw new Error(`invalid configuration: ${r.problems.join("; ")}`);
  }
  return c;
}

export const cfg: Config = load();

/** A requirement of one scenario: throws (at init) with the variable's name when it is not met. */
export function requireVar(ok: boolean, name: string, why: string): void {
  if (!ok) throw new Error(`invalid configuration: ${name}: ${why}`);
}

/** Shorter values (Valora's seeded password is "admin") are words any report contains: hiding them garbles it. */
export const MIN_REDACTED_LENGTH = 8;

/** Values that must never be printed: every secret variable's value, however it was given. */
export function secretValues(): string[] {
  const out: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const v = __ENV[name];
    if (v !== undefined && v.trim().length >= MIN_REDACTED_LENGTH) out.push(v.trim());
  }
  // The original default key is a credential too.
  out.push(cfg.apiKey);
  for (const v of Object.values(cfg.webhookHeaders)) if (v.length >= MIN_REDACTED_LENGTH) out.push(v);
  return out;
}
