// The target's flavour: Valora (smallbiznis/valora 079d353) or the renamed, newer Railzway (railzwaylabs/railzway
// 4ff8772). VALORA_FLAVOR declares it; by default (auto) setup detects it from one request, GET /api/usage without
// a key: Railzway routes it behind API-key authentication (401 with the error envelope), Valora has no such route
// (its fallback answers: a text 404 or the admin UI's page). Every run prints the flavour and how it was found.
//
// FLAVORS below is the one place that says what differs per flavour; scenarios read flavorTraits(), never the name.
import { cfg, problem, variables } from "./config";
import { errorEnvelope, expectAnswer, header, send, unreachable, type Response } from "./http";

export type Flavor = "valora" | "railzway";

export interface FlavorTraits {
  /** How reports name the server. */
  label: string;
  /**
   * The answer to a valid key plus an org hint naming the key's own org: Valora refuses every hint with 401;
   * Railzway allows X-Org-Id of the key's org (200) and answers ?org_id=/?orgId= of it with 428. Another org is
   * 401 in both.
   */
  ownOrgHint: { header: number; query: number };
  /** A per-key limiter on every /api route (Railzway: fixed window, 429 without Retry-After), or none. */
  keyLimiter: boolean;
  /** Why a key may get 403 on POST /api/usage, and what to do about it. */
  ingestForbidden: string;
  /** Every /api route checks a scope of the key. */
  scopesPerRoute: boolean;
  /** /admin/payment-providers is routed, so provision can set a webhook secret. */
  providerRoute: boolean;
  /** The product needs a metered feature for the meter before the subscription is activated. */
  meteredFeatures: boolean;
  /** One subscription item, in the shape the flavour accepts. */
  subscriptionItem(priceId: string, meterId: string): Record<string, string>;
}

export const FLAVORS: Record<Flavor, FlavorTraits> = {
  valora: {
    label: "Valora",
    ownOrgHint: { header: 401, query: 401 },
    keyLimiter: false,
    ingestForbidden: "create a key with the usage:ingest scope (dist/provision.js does)",
    scopesPerRoute: false,
    providerRoute: true,
    meteredFeatures: false,
    subscriptionItem: (priceId, meterId) => ({ price_id: priceId, meter_id: meterId }),
  },
  railzway: {
    label: "Railzway",
    ownOrgHint: { header: 200, query: 428 },
    keyLimiter: true,
    ingestForbidden:
      "Railzway 4ff8772 maps no scope to usage ingest (its scope table, internal/auth/scope/scope.go, has no entry " +
      "for usage / usage.ingest), so no key can hold the scope POST /api/usage requires and every key gets 403; " +
      "add the one-line mapping of usage.ingest to usage:ingest to that table (or run a Railzway that has it), " +
      "then give the key the usage:ingest scope",
    scopesPerRoute: true,
    providerRoute: false,
    meteredFeatures: true,
    subscriptionItem: (priceId) => ({ price_id: priceId }),
  },
};

const v = variables("all", {
  VALORA_FLAVOR: {
    kind: "enum",
    def: "auto",
    values: ["auto", "valora", "railzway"],
    doc: "the target: valora, railzway, or auto (detected in setup: Railzway routes GET /api/usage, Valora does not)",
  },
  RAILZWAY_KEY_LIMIT: {
    kind: "string",
    def: "1000/10m",
    max: 40,
    doc: "Railzway's per-key limiter as requests/window, to plan the load over API_KEYS (Railzway's own: 1000/10m)",
  },
});

/** Railzway's per-key limit: requests per window, per raw key. */
export const keyLimit = ((): { requests: number; windowSeconds: number; shown: string } => {
  const m = /^(\d+)\/(\d+)(ms|s|m|h)$/.exec(v.RAILZWAY_KEY_LIMIT);
  const fallback = { requests: 1000, windowSeconds: 600, shown: "1000 requests per 10m" };
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
    problem(`RAILZWAY_KEY_LIMIT: not requests/window like 1000/10m (got "${v.RAILZWAY_KEY_LIMIT}")`);
    return fallback;
  }
  const n = Number(m[2]);
  const seconds = m[3] === "ms" ? n / 1000 : m[3] === "s" ? n : m[3] === "m" ? n * 60 : n * 3600;
  return { requests: Number(m[1]), windowSeconds: seconds, shown: `${m[1]} requests per ${m[2]}${m[3]}` };
})();

export interface Target {
  flavor: Flavor;
  /** How it was found, for the line every run prints. */
  how: string;
}

let current: Target | undefined = v.VALORA_FLAVOR === "auto" ? undefined : { flavor: v.VALORA_FLAVOR as Flavor, how: "declared by VALORA_FLAVOR" };

/**
 * Resolves the flavour in setup: declared, or detected with GET /api/usage without a key. An unreachable or
 * ambiguous answer leaves Valora, and says so (the preflight then reports an unreachable server on its own).
 */
export function resolveTarget(): Target {
  if (current) return current;
  const res = send("GET", "/api/usage", null, {
    name: "GET /api/usage (flavour probe)",
    timeout: "10s",
    redirects: 0,
    expect: expectAnswer,
  });
  const env = errorEnvelope(res);
  if (res.status === 401 && env?.type === "unauthorized") {
    current = { flavor: "railzway", how: "detected: GET /api/usage without a key answered 401 unauthorized (Railzway routes it; Valora does not)" };
  } else if (!unreachable(res) && (res.status === 404 || (res.status === 200 && env === undefined))) {
    current = { flavor: "valora", how: `detected: GET /api/usage is not routed (answered ${res.status} from the fallback, as Valora does)` };
  } else {
    current = {
      flavor: "valora",
      how: `could not be detected (GET /api/usage answered ${unreachable(res) ? "nothing" : res.status}): Valora assumed; set VALORA_FLAVOR to say which`,
    };
  }
  return current;
}

/** Adopts the flavour setup resolved (every VU runs this with the setup data before its first iteration). */
export function adoptTarget(t: Target | undefined): void {
  if (t && (!current || current.flavor !== t.flavor)) current = t;
}

/** The flavour of this run: declared, resolved in setup, or adopted from the setup data. */
export function flavor(): Flavor {
  return current?.flavor ?? "valora";
}

export function flavorTraits(): FlavorTraits {
  return FLAVORS[flavor()];
}

/** The line every run prints at its start. */
export function targetLine(t: Target): string {
  return `target: ${FLAVORS[t.flavor].label} at ${cfg.baseUrlShown} (${t.how})`;
}

export interface Limiter {
  kind: "usage" | "per-key" | "unknown";
  /** Who answered, for messages: "the usage limiter (X-Rate-Limited-Reason: org-rate)". */
  name: string;
  /** The shared counter it is tallied under. */
  counter: string;
}

/**
 * Which limiter answered a 429: the usage limiter names its reason in X-Rate-Limited-Reason (both flavours);
 * Railzway's per-key limiter answers rate_limited without a reason or Retry-After.
 */
export function limiterOf(res: Response): Limiter {
  const reason = header(res, "X-Rate-Limited-Reason");
  if (reason) return { kind: "usage", name: `the usage limiter (X-Rate-Limited-Reason: ${reason})`, counter: reason };
  if (flavorTraits().keyLimiter) {
    return {
      kind: "per-key",
      name: `Railzway's per-key limiter (429 without Retry-After: ${keyLimit.shown} per key)`,
      counter: "per-key",
    };
  }
  return { kind: "unknown", name: "a limiter that gave no X-Rate-Limited-Reason", counter: "none" };
}

