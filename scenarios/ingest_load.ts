// Usage ingest under load (the hot path): INGEST_VUS VUs for INGEST_DURATION on one customer and meter, each
// event with a fresh idempotency key. Every accepted event must echo what was sent and get an id no other event
// got, across all VUs; 429s are the limiter's answer, counted apart from failures.
import { cfg } from "./lib/config";
import { ingestLoadIteration, ingestPreflight, limiterNotes, LOAD_INVARIANTS, loadThresholds } from "./lib/ingest";
import { invariantThresholds, type NotChecked } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

export const options = scenarioOptions(
  { ingest_load: { executor: "constant-vus", vus: cfg.ingestVus, duration: cfg.ingestDuration } },
  { ...loadThresholds(), ...invariantThresholds(LOAD_INVARIANTS) },
);

export function setup(): { notChecked: NotChecked } {
  refuseUnsoundFlags();
  ingestPreflight();
  return { notChecked: {} };
}

export default function (): void {
  ingestLoadIteration();
}

export function teardown(d: unknown): void {
  finish("ingest_load", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("ingest_load", data, { notes: limiterNotes("ingest_load") });
}
