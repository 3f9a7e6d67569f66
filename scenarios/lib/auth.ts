// API-key authentication on /api: its cost (authenticated vs unauthenticated request) and its refusals (no key, an
// unknown key, a malformed header, an org hint next to a valid key: all 401 with the unauthorized envelope).
import exec from "k6/execution";
import { Trend } from "k6/metrics";
import type { Threshold } from "k6/options";
import { randomBytes } from "k6/crypto";
import { SCENARIO_INVARIANTS } from "./catalog";
import { cfg } from "./config";
import { api, errorEnvelope, expect2xx, expect401, send, type Response } from "./http";
import { holds, type InvariantName } from "./invariants";
import { excerpt, warnLimited } from "./log";

export const CUSTOMERS = "GET /api/customers";
export const CUSTOMERS_NO_KEY = "GET /api/customers (no key)";
export const CUSTOMERS_REFUSED = "GET /api/customers (refusal cases)";

export const AUTH_INVARIANTS: readonly InvariantName[] = SCENARIO_INVARIANTS.api_key_auth_perf;

const withKey = new Trend("auth_with_key_ms", true);
const withoutKey = new Trend("auth_without_key_ms", true);
/** Per iteration: authenticated minus unauthenticated duration of back-to-back requests on one connection. */
const overheadMs = new Trend("auth_overhead_ms", true);
/** Per iteration: authenticated / unauthenticated duration, the denominator floored at 1 ms (see authIteration). */
const overheadRatio = new Trend("auth_overhead_ratio");

/**
 * The original thresholds: p95 < 200 ms and < 1% failures; with AUTH_COMPARE, overhead p95 < 50 ms. The original
 * ratio p95 < 2 divides a database-backed request by a 401 that does no work, so it flips on a healthy Valora
 * (4.49, 1.96, 1.80 in three runs with 1.5–4.3 ms of overhead): it is only a threshold with AUTH_RATIO_THRESHOLD=true.
 */
export function authThresholds(compare: boolean, scope = ""): Record<string, Threshold[]> {
  const s = scope ? `,scenario:${scope}` : "";
  const t: Record<string, Threshold[]> = {
    [`http_req_duration{name:${CUSTOMERS}${s}}`]: ["p(95)<200"],
    [`http_req_failed{name:${CUSTOMERS}${s}}`]: ["rate<0.01"],
  };
  if (compare) {
    t[`auth_overhead_ms${scope ? `{scenario:${scope}}` : ""}`] = ["p(95)<50"];
    if (cfg.authRatioThreshold) t[`auth_overhead_ratio${scope ? `{scenario:${scope}}` : ""}`] = ["p(95)<2"];
  }
  return t;
}

function refusedProperly(res: Response): boolean {
  const env = errorEnvelope(res);
  return res.status === 401 && env?.type === "unauthorized" && env.message === "unauthorized";
}

function refusal(inv: InvariantName, label: string, res: Response): void {
  holds(inv, refusedProperly(res), label, () => `answered ${res.status}: ${excerpt(res.body)}`);
}

/**
 * One timed pair. The two requests alternate in order between iterations so neither always gets the warmer
 * connection; the ratio's denominator is floored at 1 ms because a sub-millisecond local answer would turn
 * scheduling noise into huge ratios.
 */
export function authIteration(compare: boolean): void {
  const q = { page_size: 1 };
  const authed = (): Response => api("GET", "/api/customers", null, { query: q, name: CUSTOMERS, expect: expect2xx });
  const bare = (): Response =>
    send("GET", "/api/customers", null, { query: q, name: CUSTOMERS_NO_KEY, expect: expect401 });

  if (!compare) {
    const res = authed();
    withKey.add(res.timings.duration);
    if (res.status !== 200) warnLimited("auth-status", `GET /api/customers with the key answered ${res.status}`);
    return;
  }
  const keyFirst = exec.vu.iterationInScenario % 2 === 0;
  const a = keyFirst ? authed() : bare();
  const b = keyFirst ? bare() : authed();
  const [res, unauth] = keyFirst ? [a, b] : [b, a];
  if (res.status !== 200) warnLimited("auth-status", `GET /api/customers with the key answered ${res.status}`);
  refusal("auth_refuses_missing_key", "a request without a key is refused with 401 unauthorized", unauth);

  const d1 = res.timings.duration;
  const d0 = unauth.timings.duration;
  withKey.add(d1);
  withoutKey.add(d0);
  overheadMs.add(d1 - d0);
  overheadRatio.add(d1 / Math.max(d0, 1));
}

function hex(bytes: number): string {
  return Array.from(new Uint8Array(randomBytes(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A key in Valora's format (vk_live_key_<base36 id>_<64 hex>) that no org has. */
function unknownKey(): string {
  const id = Array.from(new Uint8Array(randomBytes(12)), (b) => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[b % 36]).join(
    "",
  );
  return `vk_live_key_${id}_${hex(32)}`;
}

/** The refusal cases, once: each must be 401 with {"error":{"type":"unauthorized","message":"unauthorized"}}. */
export function authRefusals(): void {
  const get = (headers: Record<string, string>, query: Record<string, string | number> = { page_size: 1 }): Response =>
    send("GET", "/api/customers", null, { name: CUSTOMERS_REFUSED, expect: expect401, headers, query });

  refusal("auth_refuses_missing_key", "a request without a key is refused with 401 unauthorized", get({}));
  refusal(
    "auth_refuses_unknown_key",
    "a well-formed unknown key is refused with 401 unauthorized",
    get({ Authorization: `Bearer ${unknownKey()}` }),
  );
  // No scheme, another scheme, a scheme without a token, two tokens.
  const malformed = [cfg.apiKey, `Basic ${cfg.apiKey}`, "Bearer", `Bearer ${cfg.apiKey} ${cfg.apiKey}`];
  for (const value of malformed) {
    refusal(
      "auth_refuses_malformed_header",
      "a malformed Authorization header is refused with 401 unauthorized",
      get({ Authorization: value }),
    );
  }
  const orgId = cfg.orgId || "1";
  const key = { Authorization: `Bearer ${cfg.apiKey}` };
  refusal(
    "auth_refuses_org_hint",
    "a valid key with X-Org-Id is refused with 401 unauthorized",
    get({ ...key, "X-Org-Id": orgId }),
  );
  refusal(
    "auth_refuses_org_hint",
    "a valid key with ?org_id= is refused with 401 unauthorized",
    get(key, { page_size: 1, org_id: orgId }),
  );
  refusal(
    "auth_refuses_org_hint",
    "a valid key with ?orgId= is refused with 401 unauthorized",
    get(key, { page_size: 1, orgId }),
  );
}
