// Usage ingest burst: BURST_VUS VUs post the same event (one idempotency key) at the same instant. No 5xx; a 429 is
// retried after its Retry-After, as a real client would, so this also holds with Valora's limiter on; in the end
// every VU must hold the same record id.
import { cfg } from "./lib/config";
import {
  BURST_INVARIANTS,
  burstIteration,
  burstSetup,
  burstThresholds,
  ingestPreflight,
  type BurstData,
  limiterNotes,
} from "./lib/ingest";
import { invariantThresholds, type NotChecked } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

export const options = scenarioOptions(
  { ingest_burst: { executor: "per-vu-iterations", vus: cfg.burstVus, iterations: 1, maxDuration: "30s" } },
  { ...burstThresholds(), ...invariantThresholds(BURST_INVARIANTS) },
);

export function setup(): BurstData & { notChecked: NotChecked } {
  refuseUnsoundFlags();
  const burst = burstSetup(cfg.burstVus);
  ingestPreflight();
  return { ...burst, notChecked: {} };
}

export default function (d: BurstData): void {
  burstIteration(d, cfg.burstVus);
}

export function teardown(d: unknown): void {
  finish("ingest_burst", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("ingest_burst", data, { notes: limiterNotes("ingest_burst") });
}
