// Making VUs act at the same instant. In a distributed run every instance runs only its share of a scenario's
// VUs, so the number of parties is counted rather than assumed.
import exec from "k6/execution";
import { sleep } from "k6";
import * as valora from "k6/x/valora";
import { warnLimited } from "./log";

function segmented(): boolean {
  const seg = exec.test.options.executionSegment;
  return typeof seg === "string" && seg !== "" && seg !== "0:1";
}

/** How many VUs of this instance reach `name`: the configured count, or (segmented) the arrivals once they settle. */
function parties(name: string, configuredVUs: number): number {
  if (!segmented()) return configuredVUs;
  const set = `arrivals:${name}`;
  valora.firstSeen(set, String(exec.vu.idInTest));
  const deadline = Date.now() + 5000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    const n = valora.setSize(set);
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 500) {
      break;
    }
    sleep(0.05);
  }
  // The first VU to settle fixes the count for all, so every VU waits for the same number of parties.
  return Number(valora.agree(`parties:${name}`, String(last)));
}

/**
 * Blocks until every VU of the scenario (on this instance) has arrived, then releases them together. Returns false,
 * after a warning, if they did not all arrive in time: the requests still go out, only less simultaneously.
 */
export function startTogether(name: string, configuredVUs: number, timeoutSeconds = 30): boolean {
  const n = parties(name, configuredVUs);
  const released = valora.barrier(name, n, timeoutSeconds);
  if (!released) {
    warnLimited(
      `barrier:${name}`,
      `barrier "${name}": not all ${n} VUs arrived within ${timeoutSeconds}s; sending anyway`,
    );
  }
  return released;
}
