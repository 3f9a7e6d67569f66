// Usage ingest idempotency: setup sends one event; then IDEMPOTENCY_ITERATIONS retries of it, one after another:
// exact, with the key padded by whitespace, and with a changed payload, in turn. Every retry must return the
// original record.
import exec from "k6/execution";
import { cfg } from "./lib/config";
import {
  IDEMPOTENCY_INVARIANTS,
  idempotencyIteration,
  idempotencySetup,
  ingestPreflight,
  type IdempotencyData,
  USAGE,
  limiterNotes,
} from "./lib/ingest";
import { invariantThresholds } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

export const options = scenarioOptions(
  {
    ingest_idempotency: {
      executor: "per-vu-iterations",
      vus: 1,
      iterations: cfg.idempotencyIterations,
      maxDuration: "10m",
    },
  },
  { [`http_req_failed{name:${USAGE}}`]: ["rate<0.01"], ...invariantThresholds(IDEMPOTENCY_INVARIANTS) },
);

export function setup(): IdempotencyData {
  refuseUnsoundFlags();
  ingestPreflight();
  return idempotencySetup(cfg.idempotencyIterations);
}

export default function (d: IdempotencyData): void {
  idempotencyIteration(d, exec.scenario.iterationInTest);
}

export function teardown(d: unknown): void {
  finish("ingest_idempotency", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("ingest_idempotency", data, { notes: limiterNotes("ingest_idempotency") });
}
