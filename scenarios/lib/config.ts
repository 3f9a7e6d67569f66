// The one place environment variables are read. Every variable is declared once (VARIABLES: name, kind, default,
// bounds, whether it is a secret) and parsed once, at init, into a typed value; a bad value stops the run before
// any VU starts (exit 107) with one line naming each variable and what was wrong with it.
import secrets from "k6/secrets";
import { isInvariantName, type InvariantName } from "./catalog";
import { ORIGINAL, VARIABLES, type VarSpec } from "./variables";

export { ORIGINAL, VARIABLES, type VarSpec } from "./variables";

export interface Config {
  baseUrl: string;
  /** BASE_URL without credentials, for messages. */
  baseUrlShown: string;
  apiKey: string;
  /** X-Org-Id for /admin; "" means: rely on the session's active org. */
  orgId: string;
  customerId: string;
  meterCode: string;
  /** Which variables were set explicitly (not left to their defaults). */
  explicit: { apiKey: boolean; orgId: boolean; customerId: boolean; meterCode: boolean };

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
  /** Seconds of Valora's scheduler tick. */
  rollupInterval: number;
  /** Seconds to wait for a webhook's effect; undefined = derive it from the deliveries. */
  webhookBalanceTimeout: number | undefined;
  webhookBalanceGrace: number;

  authCompare: boolean;
  authRatioThreshold: boolean;

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

  acceptViolations: ReadonlySet<InvariantName>;
  /** Which variable accepted each accepted invariant (ACCEPT_VIOLATIONS, or an alias). */
  acceptedBy: Partial<Record<InvariantName, string>>;
  optionalInvariants: ReadonlySet<InvariantName>;
  selftestDisabled: ReadonlySet<InvariantName>;

  reportDir: string;
  provisionEnvFile: string;
}

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

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

/** A k6 duration for a number of seconds, rounded up to whole seconds. */
export function secondsDuration(s: number): string {
  return `${Math.ceil(s)}s`;
}

function shownSeconds(s: number): string {
  return s >= 60 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/**
 * The secret variables as k6's secret sources give them (`--secret-source=file=…`; k6 then redacts their values
 * from its own logs too). A secret no source has falls back to the environment variable of the same name, as in
 * the original suite. Read once per VU, at init.
 */
async function fromSecretSources(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const v of VARIABLES) {
    if (!v.secret) continue;
    try {
      const value = await secrets.get(v.name);
      if (typeof value === "string" && value.trim() !== "") out[v.name] = value;
    } catch (_) {
      // No secret source configured, or none holds this name: the environment variable is used.
    }
  }
  return out;
}

const sourced: Record<string, string> = await fromSecretSources();

/** A variable's raw value: a secret from k6's secret sources if one has it, else the environment. */
function lookup(name: string): string | undefined {
  return sourced[name] ?? __ENV[name];
}

class Reader {
  readonly problems: string[] = [];
  readonly unset = new Set<string>();

  private spec(name: string): VarSpec {
    const s = VARIABLES.find((v) => v.name === name);
    if (!s) throw `valora-k6: variable ${name} is not declared in VARIABLES`;
    return s;
  }

  /** The trimmed value, or undefined when unset or blank (the original suite treated "" as unset). */
  raw(name: string): string | undefined {
    const v = lookup(name);
    if (v === undefined) {
      this.unset.add(name);
      return undefined;
    }
    const t = v.trim();
    if (t === "") {
      this.unset.add(name);
      return undefined;
    }
    return t;
  }

  private bad(spec: VarSpec, what: string, got?: string): void {
    // A secret's value is never echoed.
    const shown = spec.secret || got === undefined ? "" : ` (got "${got.length > 60 ? `${got.slice(0, 60)}…` : got}")`;
    this.problems.push(`${spec.name}: ${what}${shown}`);
  }

  str(name: string): string {
    const s = this.spec(name);
    const v = this.raw(name) ?? s.def;
    if (s.max !== undefined && v.length > s.max) {
      this.bad(s, `longer than ${s.max} characters`, v);
      return s.def;
    }
    return v;
  }

  int(name: string): number {
    const s = this.spec(name);
    const v = this.raw(name);
    const def = Number(s.def);
    if (v === undefined) return def;
    if (!/^-?\d+$/.test(v)) {
      this.bad(s, "not a whole number", v);
      return def;
    }
    const n = Number(v);
    if (s.min !== undefined && n < s.min) {
      this.bad(s, `must be at least ${s.min}`, v);
      return def;
    }
    if (s.max !== undefined && n > s.max) {
      this.bad(s, `must be at most ${s.max}`, v);
      return def;
    }
    return n;
  }

  bool(name: string): boolean {
    const s = this.spec(name);
    const v = this.raw(name);
    if (v === undefined) return s.def === "true";
    const l = v.toLowerCase();
    if (["true", "1", "yes", "on"].includes(l)) return true;
    if (["false", "0", "no", "off"].includes(l)) return false;
    this.bad(s, "not a boolean, use true or false", v);
    return s.def === "true";
  }

  /** A k6 duration; a bare number is refused with a hint, since k6 would read "30" as 30 ms in places. */
  duration(name: string): string {
    const s = this.spec(name);
    const v = this.raw(name);
    if (v === undefined) return s.def;
    if (/^\d+(\.\d+)?$/.test(v)) {
      this.bad(s, `needs a unit, e.g. ${v}s or ${v}m`, v);
      return s.def;
    }
    if (!DURATION.test(v)) {
      this.bad(s, "not a duration like 30s, 1m or 1m30s", v);
      return s.def;
    }
    const secs = durationSeconds(v);
    if (s.min !== undefined && secs < s.min) {
      this.bad(s, s.min > 0 && secs === 0 ? "must be longer than 0" : `must be at least ${shownSeconds(s.min)}`, v);
      return s.def;
    }
    if (s.max !== undefined && secs > s.max) {
      this.bad(s, `must be at most ${shownSeconds(s.max)}`, v);
      return s.def;
    }
    return v;
  }

  seconds(name: string): number | undefined {
    const d = this.duration(name);
    return d === "" ? undefined : durationSeconds(d);
  }

  url(name: string): { url: string; shown: string; password: string } {
    const s = this.spec(name);
    const v = this.raw(name) ?? s.def;
    const m = /^(https?:\/\/)(?:([^@/\s?#]*)@)?([^\s/?#@]+)(\/[^\s?#]*)?$/.exec(v);
    if (!m) {
      // The value may carry credentials: show only its shape.
      this.problems.push(`${name}: not an http(s) URL like http://localhost:8080`);
      return { url: s.def, shown: s.def, password: "" };
    }
    const [, scheme, userinfo, host, path] = m;
    const url = v.replace(/\/+$/, "");
    const shown = `${scheme}${userinfo ? "[credentials]@" : ""}${host}${(path ?? "").replace(/\/+$/, "")}`;
    const password = userinfo && userinfo.includes(":") ? decodeURIComponent(userinfo.slice(userinfo.indexOf(":") + 1)) : "";
    return { url, shown, password };
  }

  decimalId(name: string): string {
    const s = this.spec(name);
    const v = this.raw(name) ?? s.def;
    if (!/^\d{1,19}$/.test(v) || BigInt(v) > 9223372036854775807n || BigInt(v) === 0n) {
      this.bad(s, "not a decimal Valora id (a positive int64, e.g. 2008111839082188800)", v);
      return s.def;
    }
    return v;
  }

  enumeration(name: string): string {
    const s = this.spec(name);
    const v = this.raw(name);
    if (v === undefined) return s.def;
    const l = v.toLowerCase();
    if (!s.values!.includes(l)) {
      this.bad(s, `not one of ${s.values!.join(", ")}`, v);
      return s.def;
    }
    return l;
  }

  invariants(name: string): Set<InvariantName> {
    const s = this.spec(name);
    const out = new Set<InvariantName>();
    const v = this.raw(name);
    if (v === undefined) return out;
    for (const part of v.split(",")) {
      const n = part.trim();
      if (n === "") continue;
      if (!isInvariantName(n)) {
        this.bad(s, `"${n}" is not an invariant of this suite (the reports list their names)`);
        continue;
      }
      out.add(n);
    }
    return out;
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
    return lookup(name) ?? "";
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

  secret(name: string): string {
    return this.raw(name) ?? this.spec(name).def;
  }

  path(name: string): string {
    const s = this.spec(name);
    const v = this.raw(name) ?? s.def;
    if (/[\0\n\r]/.test(v)) {
      this.bad(s, "not a file path");
      return s.def;
    }
    return v.length > 1 ? v.replace(/\/+$/, "") : v;
  }
}

/** Problems and the set of unset variables, kept for messages that must say a default was used. */
let unsetVariables: ReadonlySet<string> = new Set();

function load(): Config {
  const r = new Reader();
  const base = r.url("BASE_URL");
  const accept = r.invariants("ACCEPT_VIOLATIONS");
  const acceptedBy: Partial<Record<InvariantName, string>> = {};
  for (const n of accept) acceptedBy[n] = "ACCEPT_VIOLATIONS";
  if (!r.bool("STRICT_WEBHOOK_TIMESTAMP") && !accept.has("webhook_rejects_stale_timestamp")) {
    accept.add("webhook_rejects_stale_timestamp");
    acceptedBy.webhook_rejects_stale_timestamp = "STRICT_WEBHOOK_TIMESTAMP=false";
  }
  const c: Config = {
    baseUrl: base.url,
    baseUrlShown: base.shown,
    apiKey: r.secret("API_KEY"),
    orgId: r.decimalId("ORG_ID"),
    customerId: r.decimalId("CUSTOMER_ID"),
    meterCode: r.str("METER_CODE"),
    explicit: {
      apiKey: r.raw("API_KEY") !== undefined,
      orgId: r.raw("ORG_ID") !== undefined,
      customerId: r.raw("CUSTOMER_ID") !== undefined,
      meterCode: r.raw("METER_CODE") !== undefined,
    },

    adminSession: r.secret("ADMIN_SESSION"),
    adminEmail: r.str("ADMIN_EMAIL"),
    adminPassword: r.secret("ADMIN_PASSWORD"),
    adminDatabaseUrl: r.secret("ADMIN_DATABASE_URL"),
    sessionPerVu: r.bool("SESSION_PER_VU"),

    paymentProvider: r.enumeration("PAYMENT_PROVIDER"),
    webhookPayload: r.json("WEBHOOK_PAYLOAD"),
    webhookHeaders: r.headerMap("WEBHOOK_HEADERS"),
    webhookSecret: r.secret("WEBHOOK_SECRET"),
    adyenHmacKey: r.hex("ADYEN_HMAC_KEY"),
    rollupInterval: r.seconds("VALORA_ROLLUP_INTERVAL") ?? 60,
    webhookBalanceTimeout: r.seconds("WEBHOOK_BALANCE_TIMEOUT"),
    webhookBalanceGrace: r.seconds("WEBHOOK_BALANCE_GRACE") ?? 2,

    authCompare: r.bool("AUTH_COMPARE"),
    authRatioThreshold: r.bool("AUTH_RATIO_THRESHOLD"),

    ingestVus: r.int("INGEST_VUS"),
    ingestDuration: r.duration("INGEST_DURATION"),
    idempotencyIterations: r.int("IDEMPOTENCY_ITERATIONS"),
    burstVus: r.int("BURST_VUS"),
    dashboardVus: r.int("DASHBOARD_VUS"),
    dashboardDuration: r.duration("DASHBOARD_DURATION"),
    pageSize: r.int("PAGE_SIZE"),
    maxPages: r.int("MAX_PAGES"),
    authVus: r.int("AUTH_VUS"),
    authDuration: r.duration("AUTH_DURATION"),
    webhookVus: r.int("WEBHOOK_VUS"),
    paginationSeed: r.int("PAGINATION_SEED"),

    acceptViolations: accept,
    acceptedBy,
    optionalInvariants: r.invariants("OPTIONAL_INVARIANTS"),
    selftestDisabled: r.invariants("VALORA_K6_SELFTEST_DISABLE_INVARIANT"),

    reportDir: r.path("REPORT_DIR"),
    provisionEnvFile: r.path("PROVISION_ENV_FILE"),
  };
  if (c.paginationSeed > 0 && c.paginationSeed < 6) {
    r.problems.push(
      `PAGINATION_SEED: must be 0 (skip the known set) or at least 6, so the set spans pages whose boundaries fall inside and between seconds (got ${c.paginationSeed})`,
    );
  }
  if (c.adminEmail !== "" && !c.adminEmail.includes("@")) {
    r.problems.push(`ADMIN_EMAIL: not an email address (got "${c.adminEmail}")`);
  }
  if (c.adminDatabaseUrl !== "" && !/^postgres(ql)?:\/\//.test(c.adminDatabaseUrl)) {
    r.problems.push("ADMIN_DATABASE_URL: not a postgres:// or postgresql:// URL");
  }
  if (c.adminDatabaseUrl !== "" && c.adminEmail === "") {
    r.problems.push("ADMIN_EMAIL: missing (ADMIN_DATABASE_URL mints sessions for this user)");
  }
  if (c.sessionPerVu && (c.adminEmail === "" || c.adminPassword === "")) {
    r.problems.push(
      `${c.adminEmail === "" ? "ADMIN_EMAIL" : "ADMIN_PASSWORD"}: missing (SESSION_PER_VU=true logs every VU in with it)`,
    );
  }
  if (c.webhookPayload !== "" && c.paymentProvider === "") {
    r.problems.push("PAYMENT_PROVIDER: missing (required with WEBHOOK_PAYLOAD: it names the webhook route)");
  }
  for (const n of c.acceptViolations) {
    if (c.optionalInvariants.has(n)) {
      r.problems.push(`ACCEPT_VIOLATIONS and OPTIONAL_INVARIANTS: ${n} is in both; an invariant is one or the other`);
    }
  }
  unsetVariables = r.unset;
  if (r.problems.length > 0) {
    // A thrown string, not an Error: k6 prints it as one line, without a JS stack trace.
    throw `invalid configuration: ${r.problems.join("; ")}`;
  }
  if (base.password) extraSecrets.push(base.password);
  return c;
}

const extraSecrets: string[] = [];

export const cfg: Config = load();

/** True when the variable was not set, so its default (for the original suite's, its sample value) was used. */
export function wasUnset(name: string): boolean {
  return unsetVariables.has(name);
}

/** "API_KEY (unset: the original suite's sample value was used)" or just "API_KEY". */
export function named(name: string): string {
  const s = VARIABLES.find((v) => v.name === name);
  if (!wasUnset(name) || !s || s.def === "") return name;
  return name in ORIGINAL
    ? `${name} (unset, so the original suite's sample value was used)`
    : `${name} (unset, so its default ${s.secret ? "" : `${s.def} `}was used)`;
}

/** Values that must never be printed: every secret variable's value, however it was given. */
export function secretValues(): string[] {
  const out: string[] = [...extraSecrets];
  for (const v of VARIABLES) {
    if (!v.secret) continue;
    const val = lookup(v.name);
    if (val !== undefined && val.trim() !== "") out.push(val.trim());
  }
  // The original default key is a credential too.
  out.push(cfg.apiKey);
  for (const v of Object.values(cfg.webhookHeaders)) out.push(v);
  const db = /^[a-z]+:\/\/[^:/@]*:([^@/]*)@/.exec(cfg.adminDatabaseUrl);
  if (db && db[1]) out.push(decodeURIComponent(db[1]));
  return out;
}
