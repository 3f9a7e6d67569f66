// State shared by the VUs of one k6 process: barrier (wait until N VUs arrive, then release them at once), agree
// (the first value offered wins; everyone gets it) and firstSeen (a shared set: true only for a value's first
// offer). Here every VU posts the same usage event at the same instant, and all must get the same record.
//   BASE_URL, API_KEY, CUSTOMER_ID, METER_CODE
//   ./k6 run examples/cross_vu.ts
import { check } from "k6";
import exec from "k6/execution";
import type { Options } from "k6/options";
import { agree, barrier, firstSeen, idempotencyKey, instanceShare } from "k6/x/valora";
import { postWithRetry, usageBody } from "./lib/usage.ts";

const VUS = 5;

export const options: Options = {
  scenarios: {
    burst: { executor: "per-vu-iterations", vus: VUS, iterations: 1, maxDuration: "30s" },
  },
  thresholds: { checks: ["rate==1"] },
};

export default function (): void {
  // One key for all: the first VU here proposes a fresh key and every VU receives that same one.
  const body = usageBody(agree("burst-key", idempotencyKey("burst")));

  // Wait for the VUs this instance runs (all 5 unless the test is split), at most 10 s; false on time-out.
  const together = barrier("burst", instanceShare(VUS), 10);
  const answer = postWithRetry(body);

  check(null, {
    "all VUs were released together": () => together,
    "the concurrent duplicates are accepted": () => answer.status === 200,
    "every VU gets the record the first answer named": () => agree("burst-record", answer.id) === answer.id,
    "each VU posts once": () => firstSeen("burst-vus", String(exec.vu.idInTest)),
  });
}
