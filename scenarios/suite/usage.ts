// POST /api/usage, as every ingest scenario posts it: the original suite's payload, the echo check, 429s with the
// limiter that answered, a real client's retries, and the setup probe. The scenarios are ingest_load.ts,
// ingest_idempotency.ts and ingest_burst.ts.
import { sleep } from "k6";
import http from "k6/http";
import type { Params } from "k6/http";
import { Counter } from "k6/metrics";
import * as valora from "k6/x/valora";
import { cfg, named } from "../framework/config";
import {
  apiHeaders,
  observed,
  nextKey,
  bodyJson,
  errorEnvelope,
  errorCodes,
  expect2xxOr429,
  isObject,
  retryAfterSeconds,
  unreachable,
  url,
  type Response,
} from "../framework/http";
import { flavorTraits, keyLimit, limiterOf } from "../framework/flavor";
import { defineInvariants } from "../framework/invariants";
import { excerpt } from "../framework/log";
import { abort, assertApiKeys, assertReachable, withRetry } from "../framework/preflight";
import { sameInstant } from "../framework/time";

/** The invariants every ingest scenario checks on every accepted answer and every 429. */
export const usageInvariants = defineInvariants({
  ingest_echo: {
    description: "Every accepted usage event echoes what was sent (customer, meter, value, key, recorded_at).",
  },
  rate_limit_retry_after: {
    description: "Every 429 from the usage limiter carries a usable Retry-After.",
    conditional: "no 429 came from the usage limiter, so there was no Retry-After to check",
  },
});
const { holds } = usageInvariants;

export const USAGE = "POST /api/usage";
export { limiterOf };

/** The original suite's payload: string ids, value, ISO recorded_at, idempotency key. */
export interface UsagePayload {
  customer_id: string;
  meter_code: string;
  value: number;
  recorded_at: string;
  idempotency_key: string;
}

export function usagePayload(key: string, value = 1, recordedAt = new Date().toISOString()): UsagePayload {
  return {
    customer_id: cfg.customerId,
    meter_code: cfg.meterCode,
    value,
    recorded_at: recordedAt,
    idempotency_key: key,
  };
}

const rateLimited = new Counter("usage_rate_limited");
/** Events Valora accepted (2xx); a distributed run compares the sum over instances with the records stored. */
export const accepted = new Counter("usage_accepted");

/** The event in the answer: Valora's bare object, or Railzway's {"data":{…}}. */
export function usageRecord(res: Response): Record<string, unknown> | undefined {
  const b = bodyJson(res);
  if (!isObject(b)) return undefined;
  if (isObject(b.data) && !("id" in b) && !("ID" in b)) return b.data;
  return b;
}

export function recordId(rec: Record<string, unknown> | undefined): string | undefined {
  const id = rec?.id ?? rec?.ID;
  if (typeof id === "string" && id !== "") return id;
  // Numbers would have lost precision above 2^53; still report them so a comparison can fail visibly.
  if (typeof id === "number") return String(id);
  return undefined;
}

/** The differences between a record and the event it should be; empty when it matches. */
export function differences(rec: Record<string, unknown> | undefined, want: UsagePayload): string[] {
  if (!rec) return ["the body is not a usage event"];
  const out: string[] = [];
  const id = recordId(rec);
  if (id === undefined || !/^\d+$/.test(id) || typeof (rec.id ?? rec.ID) !== "string") {
    out.push(`id ${JSON.stringify(rec.id ?? rec.ID)} is not a decimal string`);
  }
  if (rec.customer_id !== want.customer_id)
    out.push(`customer_id ${JSON.stringify(rec.customer_id)} ≠ "${want.customer_id}"`);
  if (rec.meter_code !== want.meter_code)
    out.push(`meter_code ${JSON.stringify(rec.meter_code)} ≠ "${want.meter_code}"`);
  if (rec.value !== want.value) out.push(`value ${JSON.stringify(rec.value)} ≠ ${want.value}`);
  if (rec.idempotency_key !== want.idempotency_key.trim()) {
    out.push(`idempotency_key ${JSON.stringify(rec.idempotency_key)} ≠ "${want.idempotency_key.trim()}"`);
  }
  if (!sameInstant(rec.recorded_at, want.recorded_at)) {
    out.push(`recorded_at ${JSON.stringify(rec.recorded_at)} is not the instant ${want.recorded_at}`);
  }
  return out;
}

const ECHOED = "an accepted event echoes what was sent";
// Read once: every access through the module's namespace costs a lookup, and these run on every answer.
const { checkUsageEcho, usageEchoDifferences } = valora;

/** ingest_echo: an accepted event says back what was sent. */
export function checkEcho(res: Response, sent: UsagePayload): string | undefined {
  const rec = usageRecord(res);
  const diff = differences(rec, sent);
  holds("ingest_echo", diff.length === 0, ECHOED, () => diff.join("; "));
  return diff.length === 0 ? recordId(rec) : undefined;
}

/** What one answer of an ingest under load showed (checkUsageEcho in index.d.ts). */
export type EchoVerdict = ReturnType<typeof valora.checkUsageEcho>;

/**
 * ingest_echo on the hot path: one call into the extension parses the answer, compares it with `body` (the JSON
 * that was posted), offers its id to `idSet` (as firstSeen) when it echoes it, and returns the verdict. The
 * differences are only worked out for the log, when there are some.
 */
export function checkEchoOffered(res: Response, body: string, idSet: string): EchoVerdict {
  const answer = typeof res.body === "string" ? res.body : "";
  const verdict = checkUsageEcho(answer, body, idSet);
  holds("ingest_echo", verdict !== "differs", ECHOED, () => usageEchoDifferences(answer, body).join("; "));
  return verdict;
}

/**
 * rate_limit_retry_after: a 429 from the usage limiter tells the client when to come back. Railzway's per-key
 * limiter sends no Retry-After by design: its 429s are counted and named (limiterNotes), not held to this.
 */
export function checkRetryAfter(res: Response): void {
  if (res.status !== 429) return;
  rateLimited.add(1);
  const limiter = limiterOf(res);
  valora.count(`valora-k6/usage-429/${limiter.counter}`, 1);
  if (limiter.kind === "per-key") return;
  holds(
    "rate_limit_retry_after",
    retryAfterSeconds(res) !== undefined,
    "a 429 carries a usable Retry-After",
    () => `Retry-After is ${JSON.stringify(res.headers["Retry-After"] ?? null)} (${limiter.name})`,
  );
}

/** Valora's usage limiter names why it refused (contract 2.5); the per-(customer, meter) lock is the one that serialises. */
export const LOCK_REASON = "customer-meter-concurrency";

/** 429s answered so far in this process, by X-Rate-Limited-Reason ("per-key" for Railzway's, "none" when unnamed). */
export function limiter429s(reason: string): number {
  return valora.count(`valora-k6/usage-429/${reason}`);
}

/** The notes an ingest summary prints about 429s: which limiter answered them. */
export function limiterNotes(): string[] {
  const lock = limiter429s(LOCK_REASON);
  const buckets = limiter429s("org-rate") + limiter429s("endpoint-rate");
  const perKey = limiter429s("per-key");
  const out: string[] = [];
  if (lock > 0) {
    out.push(
      `${lock} 429s came from the usage limiter's per-(customer, meter) lock (X-Rate-Limited-Reason: ${LOCK_REASON}): with the ` +
        "usage limiter on, concurrent posts for one customer and meter are refused before the idempotency lookup",
    );
  }
  if (buckets > 0) {
    out.push(
      `${buckets} 429s came from the usage limiter's org token buckets (X-Rate-Limited-Reason: org-rate, endpoint-rate; 15/s sustained per org by default)`,
    );
  }
  if (perKey > 0) {
    out.push(
      `${perKey} 429s came from Railzway's per-key limiter (${keyLimit.shown} per key, fixed window, no Retry-After): ` +
        "the run sent more /api requests per key than it allows; list more keys of the org in API_KEYS to spread them",
    );
  }
  return out;
}

export interface RetryPolicy {
  maxAttempts: number;
  /** Seconds after the first attempt after which no retry starts. */
  deadline: number;
}

/**
 * A real client's answer to a 429: wait Retry-After (capped), or back off 1, 2, 4 s when there is none, plus
 * jitter, so retries do not collide again; give up after 6 attempts or 10 s. Valora's own limits let a burst of
 * identical posts through within a few seconds; a limiter that lets one request a second through does not.
 */
export const CLIENT_RETRY: RetryPolicy = { maxAttempts: 6, deadline: 10 };

/** The request's URL, headers, name tag and 2xx-or-429 callback, by name tag: built once per VU. */
const usageParams = new Map<string, Params>();
let usageUrl = "";

function paramsFor(name: string): Params {
  let p = usageParams.get(name);
  if (p === undefined) {
    p = { headers: apiHeaders(), tags: { name }, responseCallback: expect2xxOr429 };
    usageParams.set(name, p);
    usageUrl = url("/api/usage");
  }
  return p;
}

/** The wait before retry number `attempt` (1-based) after a 429: Retry-After if usable, else exponential backoff. */
export function retryWait(res: Response, attempt: number): number {
  const told = retryAfterSeconds(res);
  return Math.min(told ?? 2 ** (attempt - 1), 5) + Math.random();
}

/** Posts one event; on a 429 waits as told and retries within `policy`. Every answer is passed to `each`. */
export function postUsage(body: string, policy?: RetryPolicy, each?: (res: Response) => void, name = USAGE): Response {
  const started = Date.now();
  const params = paramsFor(name);
  // With API_KEYS, every post takes the next key (Railzway limits each key); otherwise the cached params as they are.
  const rotate = cfg.apiKeys.length > 0;
  for (let attempt = 1; ; attempt++) {
    const res = http.post(usageUrl, body, rotate ? { ...params, headers: apiHeaders(nextKey()) } : params) as Response;
    observed(res);
    each?.(res);
    checkRetryAfter(res);
    if (res.status !== 429 || !policy || attempt >= policy.maxAttempts) return res;
    const wait = retryWait(res, attempt);
    if ((Date.now() - started) / 1000 + wait > policy.deadline) return res;
    sleep(wait);
  }
}

/** Why a 429 that outlasted the retries is not an answer: the limiter that answered, and what to change. */
export function throttled(res: Response, what: string): string {
  const limiter = limiterOf(res);
  if (limiter.kind === "per-key") {
    return `${what} was throttled by ${limiter.name} even after backing off, so it got no answer to compare: list more keys of the org in API_KEYS to spread the requests`;
  }
  return `${what} was throttled by ${limiter.name} even after waiting as told, so it got no answer to compare`;
}

/** Why Valora refused an ingest, in terms of the variables that configure it. */
export function explainRefusal(res: Response): string {
  if (unreachable(res)) return `BASE_URL ${cfg.baseUrlShown} is unreachable: ${res.error || "no answer"}`;
  const env = errorEnvelope(res);
  const code = errorCodes(res)[0] ?? "";
  if (res.status === 401) return `${named("API_KEY")} was refused (401 on POST /api/usage)`;
  if (res.status === 403) {
    return `${named("API_KEY")}: the key's scopes do not allow usage ingest (403 on POST /api/usage): ${flavorTraits().ingestForbidden}`;
  }
  if (res.status === 402) {
    return `the org's usage quota is used up (402${env ? ` ${env.type}` : ""} on POST /api/usage): Railzway refuses new events until the quota is raised or the period resets`;
  }
  if (res.status === 429) return `usage ingest is throttled: ${throttled(res, "POST /api/usage")}`;
  if (res.status >= 500) return `Valora failed: POST /api/usage answered ${res.status}${env ? ` ${env.type}` : ""} (a server error, not a configuration problem)`;
  if (code === "invalid_subscription")
    return `${named("CUSTOMER_ID")}: customer ${cfg.customerId} has no ACTIVE subscription (or does not exist) in the key's org`;
  if (code === "invalid_meter") return `${named("METER_CODE")}: "${cfg.meterCode}" is not a meter of the key's org`;
  if (code === "invalid_customer") return `${named("CUSTOMER_ID")}: "${cfg.customerId}" is not a valid customer id`;
  if (code === "feature_not_entitled") {
    return (
      `${named("CUSTOMER_ID")}: the ACTIVE subscription of customer ${cfg.customerId} is not entitled to a metered feature on meter ` +
      `"${cfg.meterCode}" (400 feature_not_entitled): Railzway needs the product to have a metered feature for the meter ` +
      "(POST /api/features, then PUT /api/products/:id/features) before the subscription is activated, and adding it later " +
      "does not fix an active subscription: make a new subscription after attaching the feature (dist/provision.js does)"
    );
  }
  return `POST /api/usage answered ${res.status}${env ? ` ${env.type}` : ""} ${excerpt(res.body)}`;
}

/** Setup for every ingest scenario: the server answers, the key works, and one probe event is accepted. */
export function ingestPreflight(): void {
  assertReachable();
  assertApiKeys();
  const body = JSON.stringify(usagePayload(valora.idempotencyKey("k6-usage-probe")));
  const res = withRetry(() => postUsage(body, CLIENT_RETRY, undefined, `${USAGE} (setup)`));
  if (res.status < 200 || res.status >= 300) abort(`usage ingest does not work: ${explainRefusal(res)}`);
  accepted.add(1);
}

