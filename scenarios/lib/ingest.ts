// POST /api/usage: the hot path. Load (every accepted event is echoed and gets an id nobody else got), idempotency
// (every retry returns the original record) and burst (identical posts at one instant converge on one record).
import { sleep } from "k6";
import { Counter } from "k6/metrics";
import type { Threshold } from "k6/options";
import * as valora from "k6/x/valora";
import { SCENARIO_INVARIANTS } from "./catalog";
import { cfg, named } from "./config";
import {
  api,
  bodyJson,
  errorEnvelope,
  expect2xxOr429,
  header,
  isObject,
  retryAfterSeconds,
  unreachable,
  type Response,
} from "./http";
import { holds, notCheckedNow, type InvariantName, type NotChecked } from "./invariants";
import { excerpt, warnLimited } from "./log";
import { abort, assertApiKey, assertReachable, withRetry } from "./preflight";
import { requireSimultaneous, startTogether } from "./sync";
import { sameInstant } from "./time";

export const USAGE = "POST /api/usage";

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
const accepted = new Counter("usage_accepted");

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
function differences(rec: Record<string, unknown> | undefined, want: UsagePayload): string[] {
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

/** ingest_echo: an accepted event says back what was sent. */
export function checkEcho(res: Response, sent: UsagePayload): string | undefined {
  const rec = usageRecord(res);
  const diff = differences(rec, sent);
  holds("ingest_echo", diff.length === 0, "an accepted event echoes what was sent", () => diff.join("; "));
  return diff.length === 0 ? recordId(rec) : undefined;
}

/** rate_limit_retry_after: a 429 tells the client when to come back. */
export function checkRetryAfter(res: Response): void {
  if (res.status !== 429) return;
  rateLimited.add(1);
  limiterReasonSeen(res);
  holds(
    "rate_limit_retry_after",
    retryAfterSeconds(res) !== undefined,
    "a 429 carries a usable Retry-After",
    () => `Retry-After is ${JSON.stringify(res.headers["Retry-After"] ?? null)}`,
  );
}

/** Valora's usage limiter names why it refused (contract 2.5); the per-(customer, meter) lock is the one that serialises. */
export const LOCK_REASON = "customer-meter-concurrency";

function limiterReasonSeen(res: Response): string {
  const reason = header(res, "X-Rate-Limited-Reason") ?? "none";
  // One shared counter per reason: the summary explains what throttled the run.
  valora.count(`valora-k6/usage-429/${reason}`, 1);
  return reason;
}

/** 429s answered so far in this process, by X-Rate-Limited-Reason ("none" when the header was absent). */
export function limiter429s(reason: string): number {
  return valora.count(`valora-k6/usage-429/${reason}`);
}

/** The notes an ingest summary prints about 429s: with Valora's limiter on, some thresholds fail by design. */
export function limiterNotes(scenario: string): string[] {
  const lock = limiter429s(LOCK_REASON);
  const buckets = limiter429s("org-rate") + limiter429s("endpoint-rate");
  const out: string[] = [];
  if (lock > 0) {
    out.push(
      `${lock} 429s came from Valora's per-(customer, meter) lock (X-Rate-Limited-Reason: ${LOCK_REASON}): with the ` +
        "usage limiter on, concurrent posts for one customer and meter are refused before the idempotency lookup",
    );
  }
  if (buckets > 0) {
    out.push(
      `${buckets} 429s came from Valora's org token buckets (X-Rate-Limited-Reason: org-rate, endpoint-rate; 15/s sustained per org by default)`,
    );
  }
  if (scenario === "ingest_load" && lock + buckets > 0) {
    out.push(
      `with Valora's usage limiter on, ${cfg.ingestVus} VUs posting as fast as they can on one customer and meter fail ` +
        "the original 429-rate threshold by design: it then measures the limiter, not a defect (run with the limiter " +
        "off, or below its rate, to measure ingest)",
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
 * A real client's answer to a 429: wait Retry-After (capped) plus jitter, so retries do not collide again; give up
 * after 6 attempts or 10 s. Valora's own limits let a burst of identical posts through within a few seconds; a
 * limiter that lets one request a second through does not.
 */
export const CLIENT_RETRY: RetryPolicy = { maxAttempts: 6, deadline: 10 };

/** Posts one event; on a 429 waits as told and retries within `policy`. Every answer is passed to `each`. */
export function postUsage(body: string, policy?: RetryPolicy, each?: (res: Response) => void, name = USAGE): Response {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const res = api("POST", "/api/usage", body, { name, expect: expect2xxOr429 });
    each?.(res);
    checkRetryAfter(res);
    if (res.status !== 429 || !policy || attempt >= policy.maxAttempts) return res;
    const wait = Math.min(retryAfterSeconds(res) ?? 1, 5) + Math.random();
    if ((Date.now() - started) / 1000 + wait > policy.deadline) return res;
    sleep(wait);
  }
}

/** Why Valora refused an ingest, in terms of the variables that configure it. */
function explainRefusal(res: Response): string {
  if (unreachable(res)) return `BASE_URL ${cfg.baseUrlShown} is unreachable: ${res.error || "no answer"}`;
  const env = errorEnvelope(res);
  const b = bodyJson(res);
  const code =
    isObject(b) && isObject(b.error) && Array.isArray(b.error.errors) && isObject(b.error.errors[0])
      ? String(b.error.errors[0].code ?? "")
      : "";
  if (res.status === 401) return `${named("API_KEY")} was refused (401 on POST /api/usage)`;
  if (res.status === 403) return `${named("API_KEY")}: the key's scopes do not allow usage ingest (403 on POST /api/usage)`;
  if (res.status >= 500) return `Valora failed: POST /api/usage answered ${res.status}${env ? ` ${env.type}` : ""} (a server error, not a configuration problem)`;
  if (code === "invalid_subscription")
    return `${named("CUSTOMER_ID")}: customer ${cfg.customerId} has no ACTIVE subscription (or does not exist) in the key's org`;
  if (code === "invalid_meter") return `${named("METER_CODE")}: "${cfg.meterCode}" is not a meter of the key's org`;
  if (code === "invalid_customer") return `${named("CUSTOMER_ID")}: "${cfg.customerId}" is not a valid customer id`;
  return `POST /api/usage answered ${res.status}${env ? ` ${env.type}` : ""} ${excerpt(res.body)}`;
}

/** Setup for every ingest scenario: the server answers, the key works, and one probe event is accepted. */
export function ingestPreflight(): void {
  assertReachable();
  assertApiKey();
  const body = JSON.stringify(usagePayload(valora.idempotencyKey("k6-usage-probe")));
  const res = withRetry(() => postUsage(body, CLIENT_RETRY, undefined, `${USAGE} (setup)`));
  if (res.status < 200 || res.status >= 300) abort(`usage ingest does not work: ${explainRefusal(res)}`);
  accepted.add(1);
}

// ---------------------------------------------------------------- ingest_load

export const LOAD_INVARIANTS: readonly InvariantName[] = SCENARIO_INVARIANTS.ingest_load;

/** The original thresholds: p95 < 300 ms on accepted events, < 1% failures, 429s below 0.3/s. */
export function loadThresholds(scope = ""): Record<string, Threshold[]> {
  const s = scope ? `,scenario:${scope}` : "";
  return {
    [`http_req_duration{name:${USAGE},status:200${s}}`]: ["p(95)<300"],
    [`http_req_failed{name:${USAGE}${s}}`]: ["rate<0.01"],
    [`http_reqs{name:${USAGE},status:429${s}}`]: ["rate<0.3"],
  };
}

/** One event with a fresh key; 429s are counted, not retried, so the limiter's pressure stays visible. */
export function ingestLoadIteration(): void {
  const sent = usagePayload(valora.idempotencyKey("k6-usage-load"), 1 + Math.floor(Math.random() * 1000));
  const res = postUsage(JSON.stringify(sent));
  if (res.status < 200 || res.status >= 300) {
    if (res.status !== 429)
      warnLimited("ingest-load-status", `POST /api/usage answered ${res.status}: ${excerpt(res.body)}`);
    return;
  }
  accepted.add(1);
  const id = checkEcho(res, sent);
  if (id === undefined) return;
  holds(
    "ingest_unique_id",
    valora.firstSeen("ingest_load:ids", id),
    "an accepted event gets an id no other event got",
    () => `id ${id} was already returned for another event`,
  );
}

// ---------------------------------------------------------------- ingest_idempotency

export const IDEMPOTENCY_INVARIANTS: readonly InvariantName[] = SCENARIO_INVARIANTS.ingest_idempotency;

export interface IdempotencyData {
  sent: UsagePayload;
  body: string;
  originalId: string;
  notChecked: NotChecked;
}

/** Sends the original event; every iteration then retries it. */
export function idempotencySetup(iterations: number): IdempotencyData {
  const sent = usagePayload(valora.idempotencyKey("k6-usage-idem"));
  const body = JSON.stringify(sent);
  const res = withRetry(() => postUsage(body, CLIENT_RETRY, undefined, `${USAGE} (setup)`));
  if (res.status < 200 || res.status >= 300) abort(`the original event was refused: ${explainRefusal(res)}`);
  const originalId = checkEcho(res, sent);
  if (originalId === undefined) abort("the original event's answer does not echo it (see the ingest_echo warning)");
  if (iterations < VARIANTS.length) throw `valora-k6: ${iterations} retries cannot send all ${VARIANTS.length} kinds`;
  return { sent, body, originalId, notChecked: {} };
}

type Variant = { invariant: InvariantName; label: string; body: (d: IdempotencyData, i: number) => string };

const VARIANTS: Variant[] = [
  { invariant: "idempotent_retry", label: "an exact retry returns the original record", body: (d) => d.body },
  {
    invariant: "idempotent_key_whitespace",
    label: "a retry with the key padded by whitespace returns the original record",
    body: (d, i) => JSON.stringify({ ...d.sent, idempotency_key: `${i % 2 ? " " : "\t"}${d.sent.idempotency_key}  ` }),
  },
  {
    invariant: "idempotent_changed_payload",
    label: "a retry with a changed payload returns the original, unchanged record",
    body: (d, i) => JSON.stringify({ ...d.sent, value: d.sent.value + 1 + i, recorded_at: new Date().toISOString() }),
  },
];

/** Retry number `i`: exact, whitespace-padded key, changed payload, in turn. */
export function idempotencyIteration(d: IdempotencyData, i: number): void {
  const v = VARIANTS[i % VARIANTS.length];
  const res = postUsage(v.body(d, i), CLIENT_RETRY);
  if (res.status === 429) {
    // Throttled: the server never answered the retry, so idempotency was not tested by it.
    notCheckedNow(
      v.invariant,
      `the retry was throttled (429, X-Rate-Limited-Reason: ${header(res, "X-Rate-Limited-Reason") ?? "none"}) even after waiting as told, so it got no answer to compare`,
    );
    return;
  }
  if (res.status < 200 || res.status >= 300) {
    holds(v.invariant, false, v.label, () => `the retry answered ${res.status}: ${excerpt(res.body)}`);
    return;
  }
  const rec = usageRecord(res);
  const id = recordId(rec);
  const diff = differences(rec, d.sent);
  if (id !== d.originalId) diff.unshift(`id ${JSON.stringify(id)} ≠ original ${d.originalId}`);
  holds(v.invariant, diff.length === 0, v.label, () => diff.join("; "));
}

// ---------------------------------------------------------------- ingest_burst

export const BURST_INVARIANTS: readonly InvariantName[] = SCENARIO_INVARIANTS.ingest_burst;

export interface BurstData {
  sent: UsagePayload;
  body: string;
}

export function burstThresholds(scope = ""): Record<string, Threshold[]> {
  const s = scope ? `,scenario:${scope}` : "";
  return {
    [`http_req_duration{name:${USAGE},status:200${s}}`]: ["p(95)<300"],
    [`http_req_failed{name:${USAGE}${s}}`]: ["rate<0.01"],
  };
}

export function burstSetup(vus: number, variable = "BURST_VUS"): BurstData {
  requireSimultaneous(vus, variable);
  const sent = usagePayload(valora.idempotencyKey("k6-usage-burst"));
  return { sent, body: JSON.stringify(sent) };
}

/** The burst invariants that need the posts to be simultaneous. */
const SIMULTANEOUS: InvariantName[] = ["burst_no_5xx", "burst_accepted", "burst_same_record"];

/** Every VU posts the same event at the same instant, retries 429s as a client would, and must end on one record. */
export function burstIteration(d: BurstData, vus: number): void {
  if (!startTogether(`burst:${d.sent.idempotency_key}`, vus)) {
    for (const n of SIMULTANEOUS) {
      notCheckedNow(n, "the barrier timed out: not every VU of the burst arrived, so no simultaneous posts were sent");
    }
    return;
  }
  const res = postUsage(d.body, CLIENT_RETRY, (r) => {
    holds(
      "burst_no_5xx",
      r.status < 500,
      "no identical post of the burst gets a 5xx",
      () => `answered ${r.status}: ${excerpt(r.body)}`,
    );
    if (r.status === 429 && header(r, "X-Rate-Limited-Reason") === LOCK_REASON) {
      notCheckedNow(
        "burst_same_record",
        "Valora's usage limiter serialised the identical posts (429 customer-meter-concurrency, before the idempotency " +
          "lookup: contract 2.4), so its concurrent dedupe path was not exercised; run with the limiter off to check it",
      );
    }
  });
  const accepted = res.status >= 200 && res.status < 300;
  holds(
    "burst_accepted",
    accepted,
    "every post of the burst is accepted (429s retried after Retry-After)",
    () => `last answer ${res.status} after the bounded retries: ${excerpt(res.body)}`,
  );
  if (!accepted) return;
  const id = checkEcho(res, d.sent);
  if (id === undefined) return;
  const first = valora.agree(`burst:${d.sent.idempotency_key}`, id);
  holds(
    "burst_same_record",
    id === first,
    "every VU of the burst holds the same record id",
    () => `this VU got ${id}, another got ${first}`,
  );
}
