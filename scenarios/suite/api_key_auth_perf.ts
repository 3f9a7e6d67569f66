// api_key_auth_perf: API-key authentication on /api. AUTH_VUS VUs for AUTH_DURATION on GET /api/customers?page_size=1;
// with AUTH_COMPARE=true each iteration also sends the request without a key, and the per-iteration overhead (and
// ratio) are measured. A second k6 scenario sends the refusal cases once: no key, an unknown key, malformed headers,
// org hints next to a valid key: all 401 with the unauthorized envelope.
import exec from "k6/execution";
import { Trend } from "k6/metrics";
import type { Threshold } from "k6/options";
import { randomBytes } from "k6/crypto";
import { cfg, variables } from "../framework/config";
import { randomHex } from "../framework/random";
import { api, errorEnvelope, expect2xx, expect401, send, type Response } from "../framework/http";
import { defineInvariants } from "../framework/invariants";
import { excerpt, warnLimited } from "../framework/log";
import { assertApiKey, assertReachable } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";

const v = variables("api_key_auth_perf", {
  AUTH_VUS: { kind: "int", def: 5, min: 1, max: 10000, doc: "VUs" },
  AUTH_DURATION: { kind: "duration", def: "1m", min: 1, max: 86400, doc: "how long" },
  AUTH_COMPARE: {
    kind: "bool",
    def: false,
    doc: "also send each request without a key and measure the overhead",
  },
  AUTH_RATIO_THRESHOLD: {
    kind: "bool",
    def: false,
    doc: "opt in to the original auth_overhead_ratio p(95)<2 threshold (with AUTH_COMPARE)",
  },
});

const { holds, names } = defineInvariants({
  auth_refuses_missing_key: {
    description: "/api without an Authorization header is refused with 401 and the unauthorized envelope.",
  },
  auth_refuses_unknown_key: {
    description: "/api with a well-formed but unknown key is refused with 401 and the unauthorized envelope.",
  },
  auth_refuses_malformed_header: {
    description: "/api with a malformed Authorization header is refused with 401 and the unauthorized envelope.",
  },
  auth_refuses_org_hint: { description: "/api with a valid key plus X-Org-Id, ?org_id= or ?orgId= is refused with 401." },
});
type Name = (typeof names)[number];

export const CUSTOMERS = "GET /api/customers";
export const CUSTOMERS_NO_KEY = "GET /api/customers (no key)";
export const CUSTOMERS_REFUSED = "GET /api/customers (refusal cases)";

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
function authThresholds(compare: boolean): Record<string, Threshold[]> {
  const t: Record<string, Threshold[]> = {
    [`http_req_duration{name:${CUSTOMERS}}`]: ["p(95)<200"],
    [`http_req_failed{name:${CUSTOMERS}}`]: ["rate<0.01"],
  };
  if (compare) {
    t.auth_overhead_ms = ["p(95)<50"];
    if (v.AUTH_RATIO_THRESHOLD) t.auth_overhead_ratio = ["p(95)<2"];
  }
  return t;
}

function refusedProperly(res: Response): boolean {
  const env = errorEnvelope(res);
  return res.status === 401 && env?.type === "unauthorized" && env.message === "unauthorized";
}

function refusal(inv: Name, label: string, res: Response): void {
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

/** A key in Valora's format (vk_live_key_<base36 id>_<64 hex>) that no org has. */
function unknownKey(): string {
  const id = Array.from(new Uint8Array(randomBytes(12)), (b) => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[b % 36]).join(
    "",
  );
  return `vk_live_key_${id}_${randomHex(32)}`;
}

/** The refusal cases, once: each must be 401 with {"error":{"type":"unauthorized","message":"unauthorized"}}. */
function authRefusals(): void {
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

function ready(): SetupData {
  assertReachable();
  assertApiKey();
  return { notChecked: {} };
}

const catches = {
  "apikey-any": ["auth_refuses_missing_key", "auth_refuses_unknown_key", "auth_refuses_malformed_header"],
  "org-header": ["auth_refuses_org_hint"],
};

export const apiKeyAuthPerf: Scenario<SetupData> = {
  name: "api_key_auth_perf",
  invariants: names,
  scenarios: {
    auth_perf: { executor: "constant-vus", vus: v.AUTH_VUS, duration: v.AUTH_DURATION, exec: "timed" },
    auth_refusals: { executor: "per-vu-iterations", vus: 1, iterations: 1, exec: "refusals" },
  },
  thresholds: authThresholds(v.AUTH_COMPARE),
  setup: ready,
  iterations: { timed: () => authIteration(v.AUTH_COMPARE), refusals: authRefusals },
  catches: { ...catches, slow: [`http_req_duration{name:${CUSTOMERS}}`] },
  smoke: {
    order: 4,
    scenarios: {
      auth_perf: { executor: "constant-vus", vus: 1, duration: "5s", exec: "timed" },
      auth_refusals: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s", exec: "refusals" },
    },
    thresholds: {
      "http_req_failed{scenario:auth_perf}": ["rate<0.01"],
      [`http_req_duration{name:${CUSTOMERS},scenario:auth_perf}`]: ["p(95)<200"],
    },
    setup: ready,
    iterations: { timed: () => authIteration(true), refusals: authRefusals },
    catches: { ...catches, slow: [`http_req_duration{name:${CUSTOMERS},scenario:auth_perf}`] },
  },
};
