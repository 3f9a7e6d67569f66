// ingest_load: usage ingest under load, the hot path. INGEST_VUS VUs for INGEST_DURATION on one customer and meter,
// each event with a fresh idempotency key. Every accepted event must echo what was sent and get an id no other
// event got, across all VUs; 429s are the limiter's answer, counted apart from failures. Valora's original
// thresholds are kept: p95 < 300 ms on 200s, failures < 1%, 429s < 0.3/s.
import * as valora from "k6/x/valora";
import { variables } from "../framework/config";
import { defineInvariants } from "../framework/invariants";
import { excerpt, warnLimited } from "../framework/log";
import type { Scenario, SetupData } from "../framework/scenario";
import {
  accepted,
  checkEchoOffered,
  ingestPreflight,
  LOCK_REASON,
  limiter429s,
  limiterNotes,
  postUsage,
  recordId,
  USAGE,
  usageInvariants,
  usagePayload,
  usageRecord,
} from "./usage";

/** INGEST_VUS and INGEST_DURATION (the benchmarks run the same load). */
export const ingestLoadConfig = variables("ingest_load", {
  INGEST_VUS: { kind: "int", def: 20, min: 1, max: 10000, doc: "VUs" },
  INGEST_DURATION: { kind: "duration", def: "5m", min: 1, max: 86400, doc: "how long" },
});

const { holds, names } = defineInvariants({
  ingest_unique_id: { description: "Every accepted usage event gets an id no other event got, across all VUs." },
});

const IDS = "ingest_load:ids";
const UNIQUE = "an accepted event gets an id no other event got";
const { idempotencyKey } = valora;

/** One event with a fresh key; 429s are counted, not retried, so the limiter's pressure stays visible. */
export function ingestLoadIteration(): void {
  const body = JSON.stringify(usagePayload(idempotencyKey("k6-usage-load"), 1 + Math.floor(Math.random() * 1000)));
  const res = postUsage(body);
  if (res.status < 200 || res.status >= 300) {
    if (res.status !== 429)
      warnLimited("ingest-load-status", `POST /api/usage answered ${res.status}: ${excerpt(res.body)}`);
    return;
  }
  accepted.add(1);
  // One call: the echo compared and, when it holds, the id offered to the set every VU offers to.
  const verdict = checkEchoOffered(res, body, IDS);
  if (verdict === "differs") return;
  holds(
    "ingest_unique_id",
    verdict === "echoed",
    UNIQUE,
    () => `id ${recordId(usageRecord(res))} was already returned for another event`,
  );
}

const load = (): void => ingestLoadIteration();

/** Under Valora's limiter, the original 429-rate threshold measures the limiter: the summary says so. */
function byDesign(vus: number): string[] {
  if (limiter429s(LOCK_REASON) + limiter429s("org-rate") + limiter429s("endpoint-rate") === 0) return [];
  return [
    `with Valora's usage limiter on, ${vus} VUs posting as fast as they can on one customer and meter fail the ` +
      "original 429-rate threshold by design: it then measures the limiter, not a defect (run with the limiter off, " +
      "or below its rate, to measure ingest)",
  ];
}

/** Smoke paces its ingest below Valora's default usage limit (15/s per org): a healthy Valora never throttles it. */
const SMOKE_RATE = 10;

export const ingestLoad: Scenario<SetupData> = {
  name: "ingest_load",
  invariants: [usageInvariants.names[0], ...names, usageInvariants.names[1]],
  scenarios: { ingest_load: { executor: "constant-vus", vus: ingestLoadConfig.INGEST_VUS, duration: ingestLoadConfig.INGEST_DURATION, exec: "load" } },
  thresholds: {
    [`http_req_duration{name:${USAGE},status:200}`]: ["p(95)<300"],
    [`http_req_failed{name:${USAGE}}`]: ["rate<0.01"],
    [`http_reqs{name:${USAGE},status:429}`]: ["rate<0.3"],
  },
  setup(): SetupData {
    ingestPreflight();
    return { notChecked: {} };
  },
  iterations: { load },
  notes: () => [...limiterNotes(), ...byDesign(ingestLoadConfig.INGEST_VUS)],
  // As many as are answered, for INGEST_DURATION.
  apiRequests: () => undefined,
  catches: {
    "ingest-shared-id": ["ingest_unique_id"],
    "ingest-echo": ["ingest_echo"],
    "limiter-no-retry-after": ["rate_limit_retry_after"],
    slow: [`http_req_duration{name:${USAGE},status:200}`],
    "errors-5xx": [`http_req_failed{name:${USAGE}}`],
    "limiter-strict": [`http_reqs{name:${USAGE},status:429}`],
  },
  smoke: {
    order: 1,
    scenarios: {
      ingest_load: {
        executor: "constant-arrival-rate",
        rate: SMOKE_RATE,
        timeUnit: "1s",
        duration: "5s",
        preAllocatedVUs: 2,
        maxVUs: 4,
        exec: "load",
      },
    },
    thresholds: {
      "http_req_failed{scenario:ingest_load}": ["rate<0.01"],
      // A server that throttles a paced, minimal load fails here, as in ingest_load (429s below 0.3/s).
      [`http_reqs{name:${USAGE},status:429,scenario:ingest_load}`]: ["rate<0.3"],
      [`http_req_duration{name:${USAGE},status:200,scenario:ingest_load}`]: ["p(95)<300"],
    },
    setup(): SetupData {
      ingestPreflight();
      return { notChecked: {} };
    },
    iterations: { load },
    notes: limiterNotes,
    apiRequests: () => 2 + SMOKE_RATE * 5,
    catches: {
      "ingest-shared-id": ["ingest_unique_id"],
      "ingest-echo": ["ingest_echo"],
      "limiter-no-retry-after": ["rate_limit_retry_after"],
      slow: [`http_req_duration{name:${USAGE},status:200,scenario:ingest_load}`],
      "errors-5xx": ["http_req_failed{scenario:ingest_load}"],
      "limiter-strict": [`http_reqs{name:${USAGE},status:429,scenario:ingest_load}`],
    },
  },
};
