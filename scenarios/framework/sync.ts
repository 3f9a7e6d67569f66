// Making VUs act at the same instant. In a distributed run every instance runs only its share of a scenario's
// VUs, so the barrier waits for that share (k6/x/valora scales it the way k6's executors do).
import * as valora from "k6/x/valora";
import { warnLimited } from "./log";

/** How many of the scenario's VUs run on this instance: all of them, or its share in a distributed run. */
function parties(configuredVUs: number): number {
  return valora.instanceShare(configuredVUs);
}

/**
 * Blocks until every VU of the scenario (on this instance) has arrived, then releases them together. Returns false,
 * after a warning, if they did not all arrive in time: the caller must then not pretend the requests were
 * simultaneous (its invariants are NOT CHECKED).
 */
export function startTogether(name: string, configuredVUs: number, timeoutSeconds = 30): boolean {
  const n = parties(configuredVUs);
  const released = valora.barrier(name, n, timeoutSeconds);
  if (!released) {
    warnLimited(`barrier:${name}`, `barrier "${name}": not all ${n} VUs arrived within ${timeoutSeconds}s`);
  }
  return released;
}

/**
 * Refuses (a configuration error, at setup) a VU count that leaves this instance fewer than 2 VUs: with one VU
 * nothing is simultaneous, and the invariants that need a burst could not be tested.
 */
export function requireSimultaneous(vus: number, variable: string): void {
  const here = parties(vus);
  if (here < 2) {
    throw (
      `invalid configuration: ${variable}: ${vus} VUs give this instance ${here}; at least 2 VUs per instance are ` +
      "needed to send identical requests at one instant (raise it, or split the run over fewer instances)"
    );
  }
}
