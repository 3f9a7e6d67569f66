// Configuration: every environment variable is declared once, by the module that reads it (the framework's common
// ones here, each scenario's own in its descriptor), with its kind, default, bounds and whether it is a secret, and
// parsed once, at init, into a typed value. Problems are collected across all modules; the entry file's plan()
// then stops the run before any VU starts (exit 107) with one line naming each variable and what was wrong. A
// scenario validates only the variables of the modules it imports.
import secrets from "k6/secrets";

/** Defaults of the original suite (Valora's k6/config/env.js). */
export const ORIGINAL = {
  BASE_URL: "http://localhost:8080",
  API_KEY: "vk_live_key_F98QDZLSN9J4_f2fcf6e5ca11cd463b182956bf5d338f13186ea52ec84f1e4acd24db0d6a9d79",
  ORG_ID: "2008111837777760256",
  CUSTOMER_ID: "2008111839082188800",
  METER_CODE: "hybrid-usage-meter-teste2e-ratinghybrid",
} as const;

interface Common {
  doc: string;
  secret?: boolean;
}
export type Spec = Common &
  (
    | { kind: "int"; def: number; min: number; max: number }
    | { kind: "bool"; def: boolean }
    | { kind: "duration"; def: string; min: number; max: number }
    | { kind: "seconds"; def: string; min: number; max: number }
    | { kind: "string"; def: string; max: number }
    | { kind: "secret"; def: string }
    | { kind: "url"; def: string }
    | { kind: "id"; def: string }
    | { kind: "enum"; def: string; values: readonly string[] }
    | { kind: "invariants" }
    | { kind: "json" }
    | { kind: "headers" }
    | { kind: "hex" }
    | { kind: "path"; def: string }
  );

type Value<S extends Spec> = S["kind"] extends "int"
  ? number
  : S["kind"] extends "bool"
    ? boolean
    : S["kind"] extends "seconds"
      ? number | undefined
      : S["kind"] extends "headers"
        ? Record<string, string>
        : S["kind"] extends "invariants"
          ? ReadonlySet<string>
          : string;

/** A declared variable, as the catalogue (dist/catalog.json) and the README's table show it. */
export interface Declared {
  name: string;
  kind: Spec["kind"];
  /** The default as a user would write it; "" when unset means off or empty. */
  def: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  secret: boolean;
  usedBy: string;
  doc: string;
}

/** Every variable declared by the modules this bundle loaded. */
export const DECLARED: Declared[] = [];

const problems: string[] = [];
const unset = new Set<string>();

/**
 * The secret variables as k6's secret sources give them (`--secret-source=file=…`; k6 then redacts their values
 * from its own logs too). A secret no source has falls back to the environment variable of the same name, as in
 * the original suite. Looked up once per VU and variable, at init.
 */
async function fromSecretSource(name: string): Promise<string | undefined> {
  try {
    const value = await secrets.get(name);
    return typeof value === "string" && value.trim() !== "" ? value : undefined;
  } catch (_) {
    return undefined; // no secret source configured, or none holds this name
  }
}

const SECRET_NAMES = [
  "API_KEY",
  "API_KEYS",
  "ADMIN_SESSION",
  "ADMIN_PASSWORD",
  "ADMIN_DATABASE_URL",
  "WEBHOOK_SECRET",
  "ADYEN_HMAC_KEY",
  "WEBHOOK_HEADERS",
  "TENANT_B_API_KEY",
  "TENANT_B_WEBHOOK_SECRET",
  "TENANT_B_ADMIN_PASSWORD",
  "TENANT_MEMBER_PASSWORD",
];
const sourced: Record<string, string> = {};
for (const n of SECRET_NAMES) {
  const v = await fromSecretSource(n);
  if (v !== undefined) sourced[n] = v;
}

function lookup(name: string): string | undefined {
  return sourced[name] ?? __ENV[name];
}

/** The trimmed value, or undefined when unset or blank (the original suite treated "" as unset). */
function raw(name: string): string | undefined {
  const v = lookup(name);
  const t = v === undefined ? "" : v.trim();
  if (t === "") {
    unset.add(name);
    return undefined;
  }
  return t;
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

function shownSeconds(s: number): string {
  return s >= 60 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

function bad(name: string, spec: Spec, what: string, got?: string): void {
  // A secret's value is never echoed.
  const shown = spec.secret || got === undefined ? "" : ` (got "${got.length > 60 ? `${got.slice(0, 60)}…` : got}")`;
  problems.push(`${name}: ${what}${shown}`);
}

/** Records a problem that involves several variables; plan() reports it with the others. */
export function problem(message: string): void {
  problems.push(message);
}

const INVARIANT_NAME = /^[a-z][a-z0-9_]*$/;

function parse(name: string, spec: Spec): unknown {
  const v = raw(name);
  switch (spec.kind) {
    case "int": {
      if (v === undefined) return spec.def;
      if (!/^-?\d+$/.test(v)) return bad(name, spec, "not a whole number", v), spec.def;
      const n = Number(v);
      if (n < spec.min) return bad(name, spec, `must be at least ${spec.min}`, v), spec.def;
      if (n > spec.max) return bad(name, spec, `must be at most ${spec.max}`, v), spec.def;
      return n;
    }
    case "bool": {
      if (v === undefined) return spec.def;
      const l = v.toLowerCase();
      if (["true", "1", "yes", "on"].includes(l)) return true;
      if (["false", "0", "no", "off"].includes(l)) return false;
      return bad(name, spec, "not a boolean, use true or false", v), spec.def;
    }
    case "duration":
    case "seconds": {
      const fallback = spec.kind === "seconds" ? (spec.def === "" ? undefined : durationSeconds(spec.def)) : spec.def;
      if (v === undefined) return fallback;
      if (/^\d+(\.\d+)?$/.test(v)) return bad(name, spec, `needs a unit, e.g. ${v}s or ${v}m`, v), fallback;
      if (!DURATION.test(v)) return bad(name, spec, "not a duration like 30s, 1m or 1m30s", v), fallback;
      const secs = durationSeconds(v);
      if (secs < spec.min) {
        const what = spec.min > 0 && secs === 0 ? "must be longer than 0" : `must be at least ${shownSeconds(spec.min)}`;
        return bad(name, spec, what, v), fallback;
      }
      if (secs > spec.max) return bad(name, spec, `must be at most ${shownSeconds(spec.max)}`, v), fallback;
      return spec.kind === "seconds" ? secs : v;
    }
    case "string": {
      const s = v ?? spec.def;
      if (s.length > spec.max) return bad(name, spec, `longer than ${spec.max} characters`, s), spec.def;
      return s;
    }
    case "secret":
      return v ?? spec.def;
    case "url": {
      const s = v ?? spec.def;
      if (!/^https?:\/\/(?:[^@/\s?#]*@)?[^\s/?#@]+(\/[^\s?#]*)?$/.test(s)) {
        // The value may carry credentials: show only its shape.
        problems.push(`${name}: not an http(s) URL like http://localhost:8080`);
        return spec.def;
      }
      return s.replace(/\/+$/, "");
    }
    case "id": {
      const s = v ?? spec.def;
      if (!/^\d{1,19}$/.test(s) || BigInt(s) > 9223372036854775807n || BigInt(s) === 0n) {
        return bad(name, spec, "not a decimal Valora id (a positive int64, e.g. 2008111839082188800)", s), spec.def;
      }
      return s;
    }
    case "enum": {
      if (v === undefined) return spec.def;
      const l = v.toLowerCase();
      if (!spec.values.includes(l)) return bad(name, spec, `not one of ${spec.values.join(", ")}`, v), spec.def;
      return l;
    }
    case "invariants": {
      const out = new Set<string>();
      for (const part of (v ?? "").split(",")) {
        const n = part.trim();
        if (n === "") continue;
        if (!INVARIANT_NAME.test(n)) bad(name, spec, `"${n}" is not an invariant name`);
        else out.add(n);
      }
      return out;
    }
    case "json": {
      if (v === undefined) return "";
      try {
        JSON.parse(v);
      } catch (_) {
        problems.push(`${name}: not JSON (it must be the raw webhook body, exactly as signed)`);
      }
      // The raw string is what gets sent: re-serialising it would break its signature.
      return lookup(name) ?? "";
    }
    case "headers": {
      if (v === undefined) return {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (_) {
        problems.push(`${name}: not JSON (expected an object such as {"Stripe-Signature":"t=…,v1=…"})`);
        return {};
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        problems.push(`${name}: not a JSON object of header names to values`);
        return {};
      }
      const out: Record<string, string> = {};
      for (const [k, val] of Object.entries(parsed as Record<string, unknown>)) {
        if (typeof val !== "string") problems.push(`${name}: header "${k}" must be a string`);
        else out[k] = val;
      }
      return out;
    }
    case "hex": {
      if (v === undefined) return "";
      if (!/^([0-9a-fA-F]{2})+$/.test(v)) {
        problems.push(`${name}: not a hex string (Adyen shows the HMAC key as hex)`);
        return "";
      }
      return v;
    }
    case "path": {
      const s = v ?? spec.def;
      if (/[\0\n\r]/.test(s)) return bad(name, spec, "not a file path"), spec.def;
      return s.length > 1 ? s.replace(/\/+$/, "") : s;
    }
  }
}

function shownDefault(spec: Spec): string {
  return "def" in spec ? String(spec.def) : "";
}

/**
 * Declares and reads the variables of one module. `usedBy` names who reads them, for the README's table. A name
 * may be declared once in the whole suite.
 */
export function variables<T extends Record<string, Spec>>(usedBy: string, specs: T): { [K in keyof T]: Value<T[K]> } {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (DECLARED.some((d) => d.name === name)) throw `valora-k6: variable ${name} is declared twice`;
    const secret = spec.secret === true || spec.kind === "secret" || SECRET_NAMES.includes(name);
    if (secret !== SECRET_NAMES.includes(name)) throw `valora-k6: secret variable ${name} must be in SECRET_NAMES`;
    DECLARED.push({
      name,
      kind: spec.kind,
      def: shownDefault(spec),
      min: "min" in spec ? spec.min : undefined,
      max: "max" in spec ? spec.max : undefined,
      values: "values" in spec ? spec.values : undefined,
      secret,
      usedBy,
      doc: spec.doc,
    });
    out[name] = parse(name, { ...spec, secret } as Spec);
  }
  return out as { [K in keyof T]: Value<T[K]> };
}

/** Throws (at init, exit 107) the problems of every module loaded, as one line. */
export function assertConfiguration(): void {
  // A thrown string, not an Error: k6 prints it as one line, without a JS stack trace.
  if (problems.length > 0) throw `invalid configuration: ${problems.join("; ")}`;
}

/** True when the variable was not set, so its default (for the original suite's, its sample value) was used. */
export function wasUnset(name: string): boolean {
  return unset.has(name);
}

/** "API_KEY (unset, so the original suite's sample value was used)" or just "API_KEY". */
export function named(name: string): string {
  const d = DECLARED.find((v) => v.name === name);
  if (!wasUnset(name) || !d || d.def === "") return name;
  return name in ORIGINAL
    ? `${name} (unset, so the original suite's sample value was used)`
    : `${name} (unset, so its default ${d.secret ? "" : `${d.def} `}was used)`;
}

// ---------------------------------------------------------------- the variables every scenario reads

const common = variables("all", {
  BASE_URL: { kind: "url", def: ORIGINAL.BASE_URL, doc: "Valora's root URL" },
  API_KEY: {
    kind: "secret",
    def: ORIGINAL.API_KEY,
    doc: "API key for /api (unset: the original suite's sample key, which a real Valora refuses)",
  },
  API_KEYS: {
    kind: "secret",
    def: "",
    doc: "more API keys of the same org, comma-separated: /api requests rotate over API_KEY and these (Railzway limits each key)",
  },
  ORG_ID: { kind: "id", def: ORIGINAL.ORG_ID, doc: "X-Org-Id for /admin" },
  CUSTOMER_ID: { kind: "id", def: ORIGINAL.CUSTOMER_ID, doc: "customer with an ACTIVE subscription" },
  METER_CODE: { kind: "string", def: ORIGINAL.METER_CODE, max: 200, doc: "meter code to ingest on" },
  ADMIN_SESSION: { kind: "secret", def: "", doc: "a live _sid cookie value" },
  ADMIN_EMAIL: { kind: "string", def: "", max: 320, doc: "log in instead of copying ADMIN_SESSION" },
  ADMIN_PASSWORD: { kind: "secret", def: "", doc: "the password of ADMIN_EMAIL" },
  SESSION_PER_VU: { kind: "bool", def: false, doc: "one login per VU instead of one shared session" },
  ADMIN_DATABASE_URL: {
    kind: "secret",
    def: "",
    doc: "postgres:// URL of Valora's database: mint one session per VU, no logins; billing_reconciliation moves its own subscription's cycle with it",
  },
  ACCEPT_VIOLATIONS: {
    kind: "invariants",
    doc: "invariants whose violation is a known, accepted defect: shown as ACCEPTED, not failing the run",
  },
  OPTIONAL_INVARIANTS: {
    kind: "invariants",
    doc: "invariants that may stay NOT CHECKED without making the run INCOMPLETE",
  },
  REPORT_DIR: { kind: "path", def: "", doc: "write reports there (created if missing)" },
  VALORA_K6_SELFTEST_DISABLE_INVARIANT: {
    kind: "invariants",
    doc: "self-test mutation, for make test only: the named invariants' checks can no longer fail (the verdict is never PASSED)",
  },
});

/** BASE_URL without credentials, for messages; its password, if any, is a secret. */
const userinfo = /^(https?:\/\/)([^@/]*)@(.*)$/.exec(common.BASE_URL);
const baseUrlPassword = userinfo && userinfo[2].includes(":") ? decodeURIComponent(userinfo[2].split(":").slice(1).join(":")) : "";

if (common.ADMIN_EMAIL !== "" && !common.ADMIN_EMAIL.includes("@")) {
  problem(`ADMIN_EMAIL: not an email address (got "${common.ADMIN_EMAIL}")`);
}
if (common.ADMIN_DATABASE_URL !== "" && !/^postgres(ql)?:\/\//.test(common.ADMIN_DATABASE_URL)) {
  problem("ADMIN_DATABASE_URL: not a postgres:// or postgresql:// URL");
}
if (common.ADMIN_DATABASE_URL !== "" && common.ADMIN_EMAIL === "") {
  problem("ADMIN_EMAIL: missing (ADMIN_DATABASE_URL mints sessions for this user)");
}
if (common.SESSION_PER_VU && (common.ADMIN_EMAIL === "" || common.ADMIN_PASSWORD === "")) {
  problem(`${common.ADMIN_EMAIL === "" ? "ADMIN_EMAIL" : "ADMIN_PASSWORD"}: missing (SESSION_PER_VU=true logs every VU in with it)`);
}
if (common.API_KEYS !== "" && common.API_KEYS.split(",").some((k) => !/^\S+$/.test(k.trim()))) {
  problem("API_KEYS: every item must be one key without spaces, and none empty (comma-separated, like API_KEY)");
}
for (const n of common.ACCEPT_VIOLATIONS) {
  if (common.OPTIONAL_INVARIANTS.has(n)) {
    problem(`ACCEPT_VIOLATIONS and OPTIONAL_INVARIANTS: ${n} is in both; an invariant is one or the other`);
  }
}

export interface Config {
  baseUrl: string;
  /** BASE_URL without credentials, for messages. */
  baseUrlShown: string;
  apiKey: string;
  /** API_KEYS: more keys of the org, which /api requests rotate over with API_KEY. */
  apiKeys: string[];
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
  /** ACCEPT_VIOLATIONS, with the aliases scenarios add (acceptVia). */
  acceptViolations: Set<string>;
  /** Which variable accepted each accepted invariant. */
  acceptedBy: Record<string, string>;
  optionalInvariants: ReadonlySet<string>;
  selftestDisabled: ReadonlySet<string>;
  reportDir: string;
}

export const cfg: Config = {
  baseUrl: common.BASE_URL,
  baseUrlShown: userinfo ? `${userinfo[1]}[credentials]@${userinfo[3]}` : common.BASE_URL,
  apiKey: common.API_KEY,
  apiKeys: common.API_KEYS.split(",")
    .map((k) => k.trim())
    .filter((k) => k !== ""),
  orgId: common.ORG_ID,
  customerId: common.CUSTOMER_ID,
  meterCode: common.METER_CODE,
  explicit: {
    apiKey: !wasUnset("API_KEY"),
    orgId: !wasUnset("ORG_ID"),
    customerId: !wasUnset("CUSTOMER_ID"),
    meterCode: !wasUnset("METER_CODE"),
  },
  adminSession: common.ADMIN_SESSION,
  adminEmail: common.ADMIN_EMAIL,
  adminPassword: common.ADMIN_PASSWORD,
  adminDatabaseUrl: common.ADMIN_DATABASE_URL,
  sessionPerVu: common.SESSION_PER_VU,
  acceptViolations: new Set(common.ACCEPT_VIOLATIONS),
  acceptedBy: Object.fromEntries([...common.ACCEPT_VIOLATIONS].map((n) => [n, "ACCEPT_VIOLATIONS"])),
  optionalInvariants: common.OPTIONAL_INVARIANTS,
  selftestDisabled: common.VALORA_K6_SELFTEST_DISABLE_INVARIANT,
  reportDir: common.REPORT_DIR,
};

/** An alias variable that accepts a violation (STRICT_WEBHOOK_TIMESTAMP=false), declared by the scenario that has it. */
export function acceptVia(name: string, variable: string): void {
  if (cfg.acceptViolations.has(name)) return;
  cfg.acceptViolations.add(name);
  cfg.acceptedBy[name] = variable;
}

/** Values that must never be printed: every secret variable's value, however it was given. */
export function secretValues(): string[] {
  const out: string[] = [];
  if (baseUrlPassword) out.push(baseUrlPassword);
  for (const n of SECRET_NAMES) {
    const v = lookup(n);
    if (v !== undefined && v.trim() !== "") out.push(v.trim());
  }
  // The original default key is a credential too.
  out.push(cfg.apiKey);
  out.push(...cfg.apiKeys);
  const headers = lookup("WEBHOOK_HEADERS");
  if (headers) {
    try {
      for (const v of Object.values(JSON.parse(headers) as Record<string, unknown>)) if (typeof v === "string") out.push(v);
    } catch (_) {
      // reported as a configuration problem
    }
  }
  const db = /^[a-z]+:\/\/[^:/@]*:([^@/]*)@/.exec(cfg.adminDatabaseUrl);
  if (db && db[1]) out.push(decodeURIComponent(db[1]));
  return out;
}
