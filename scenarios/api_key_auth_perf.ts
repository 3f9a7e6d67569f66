// API-key authentication: AUTH_VUS VUs for AUTH_DURATION on GET /api/customers?page_size=1. With AUTH_COMPARE=true
// each iteration also sends the request without a key, and the per-iteration overhead and ratio are measured. A
// second scenario sends the refusal cases once: no key, an unknown key, malformed headers, org hints.
import { cfg } from "./lib/config";
import { AUTH_INVARIANTS, authIteration, authRefusals, authThresholds } from "./lib/auth";
import { invariantThresholds, type NotChecked } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { assertApiKey, assertReachable } from "./lib/preflight";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

export const options = scenarioOptions(
  {
    auth_perf: { executor: "constant-vus", vus: cfg.authVus, duration: cfg.authDuration },
    auth_refusals: { executor: "per-vu-iterations", vus: 1, iterations: 1, exec: "refusals" },
  },
  { ...authThresholds(cfg.authCompare), ...invariantThresholds(AUTH_INVARIANTS) },
);

export function setup(): { notChecked: NotChecked } {
  refuseUnsoundFlags();
  assertReachable();
  assertApiKey();
  return { notChecked: {} };
}

export default function (): void {
  authIteration(cfg.authCompare);
}

export function refusals(): void {
  authRefusals();
}

export function teardown(d: unknown): void {
  finish("api_key_auth_perf", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("api_key_auth_perf", data);
}
