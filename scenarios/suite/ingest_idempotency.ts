// ingest_idempotency: one event, then IDEMPOTENCY_ITERATIONS retries of it by one VU, one after another: an exact
// retry, a retry whose key differs only by surrounding whitespace, and a retry with a changed payload, in turn.
// Every retry must return the original record, unchanged. A throttled retry got no answer to compare: it is NOT
// CHECKED, never a violation.
import exec from "k6/execution";
import * as valora from "k6/x/valora";
import { variables } from "../framework/config";
import { defineInvariants } from "../framework/invariants";
import { excerpt } from "../framework/log";
import { abort, withRetry } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";
import {
  checkEcho,
  CLIENT_RETRY,
  differences,
  explainRefusal,
  ingestPreflight,
  limiterNotes,
  postUsage,
  recordId,
  throttled,
  USAGE,
  usageInvariants,
  usagePayload,
  usageRecord,
  type UsagePayload,
} from "./usage";

const v = variables("ingest_idempotency", {
  IDEMPOTENCY_ITERATIONS: {
    kind: "int",
    def: 10,
    min: 3,
    max: 10000,
    doc: "retries of the original event (exact, whitespace-padded key, changed payload in turn: at least 3)",
  },
});

const { holds, notCheckedNow, names } = defineInvariants({
  idempotent_retry: { description: "A retry with the same key and payload returns the original record." },
  idempotent_key_whitespace: {
    description: "A retry whose key differs only by surrounding whitespace returns the original record.",
  },
  idempotent_changed_payload: {
    description: "A retry with the same key but a changed payload returns the original, unchanged record.",
  },
});
type Name = (typeof names)[number];

export interface IdempotencyData extends SetupData {
  sent: UsagePayload;
  body: string;
  originalId: string;
}

type Variant = { invariant: Name; label: string; body: (d: IdempotencyData, i: number) => string };

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

/** Sends the original event; every iteration then retries it. */
function originalEvent(): IdempotencyData {
  ingestPreflight();
  const sent = usagePayload(valora.idempotencyKey("k6-usage-idem"));
  const body = JSON.stringify(sent);
  const res = withRetry(() => postUsage(body, CLIENT_RETRY, undefined, `${USAGE} (setup)`));
  if (res.status < 200 || res.status >= 300) abort(`the original event was refused: ${explainRefusal(res)}`);
  const originalId = checkEcho(res, sent);
  if (originalId === undefined) abort("the original event's answer does not echo it (see the ingest_echo warning)");
  return { sent, body, originalId, notChecked: {} };
}

/** Retry number `i` of the scenario: exact, whitespace-padded key, changed payload, in turn. */
function retry(d: IdempotencyData): void {
  const i = exec.scenario.iterationInTest;
  const variant = VARIANTS[i % VARIANTS.length];
  const res = postUsage(variant.body(d, i), CLIENT_RETRY);
  if (res.status === 429) {
    // Throttled: the server never answered the retry, so idempotency was not tested by it.
    notCheckedNow(variant.invariant, throttled(res, "the retry"));
    return;
  }
  if (res.status < 200 || res.status >= 300) {
    holds(variant.invariant, false, variant.label, () => `the retry answered ${res.status}: ${excerpt(res.body)}`);
    return;
  }
  const rec = usageRecord(res);
  const id = recordId(rec);
  const diff = differences(rec, d.sent);
  if (id !== d.originalId) diff.unshift(`id ${JSON.stringify(id)} ≠ original ${d.originalId}`);
  holds(variant.invariant, diff.length === 0, variant.label, () => diff.join("; "));
}

const catches = {
  "ingest-duplicate": ["idempotent_retry", "idempotent_key_whitespace", "idempotent_changed_payload"],
};

export const ingestIdempotency: Scenario<IdempotencyData> = {
  name: "ingest_idempotency",
  invariants: [usageInvariants.names[0], ...names, usageInvariants.names[1]],
  scenarios: {
    ingest_idempotency: {
      executor: "per-vu-iterations",
      vus: 1,
      iterations: v.IDEMPOTENCY_ITERATIONS,
      maxDuration: "10m",
      exec: "retry",
    },
  },
  thresholds: { [`http_req_failed{name:${USAGE}}`]: ["rate<0.01"] },
  setup: originalEvent,
  iterations: { retry },
  notes: limiterNotes,
  catches,
  // setup's key check, probe and original event, then the retries.
  apiRequests: () => 3 + v.IDEMPOTENCY_ITERATIONS,
  smoke: {
    order: 2,
    // One retry of each kind, after smoke's paced ingest_load.
    scenarios: {
      ingest_idempotency: {
        executor: "per-vu-iterations",
        vus: 1,
        iterations: VARIANTS.length,
        maxDuration: "30s",
        startTime: "6s",
        exec: "retry",
      },
    },
    thresholds: { "http_req_failed{scenario:ingest_idempotency}": ["rate<0.01"] },
    setup: originalEvent,
    iterations: { retry },
    catches,
    apiRequests: () => 3 + VARIANTS.length,
  },
};
