// Ids in a split run. k6-operator runs one test as several k6 instances, each with its own --execution-segment;
// you can do the same by hand. Each instance derives its snowflake node from its segment, so the ids and keys it
// makes never collide with another instance's, without any coordination between them.
//   BASE_URL, API_KEY, CUSTOMER_ID, METER_CODE
//   ./k6 run --execution-segment 0:1/2 --execution-segment-sequence 0,1/2,1 examples/split_ids.ts &
//   ./k6 run --execution-segment 1/2:1 --execution-segment-sequence 0,1/2,1 examples/split_ids.ts
import { check } from "k6";
import type { Options } from "k6/options";
import { decodeSnowflake, firstSeen, idempotencyKey, instanceShare, nodeId, snowflake } from "k6/x/valora";
import { postWithRetry, usageBody } from "./lib/usage.ts";

const TOTAL_VUS = 6;

export const options: Options = {
  scenarios: {
    // k6 gives each instance its share of the 6 VUs: 3 and 3 with the two segments above.
    ingest: { executor: "per-vu-iterations", vus: TOTAL_VUS, iterations: 3, maxDuration: "1m" },
  },
  thresholds: { checks: ["rate==1"] },
};

export function setup(): void {
  // instanceShare scales a count as k6's executors do: what a barrier or an expected total must use in a split run.
  console.log(`instance node ${nodeId()} runs ${instanceShare(TOTAL_VUS)} of ${TOTAL_VUS} VUs`);
}

export default function (): void {
  const id = snowflake(); // e.g. for an id the client chooses (an external reference, a metadata field)
  const key = idempotencyKey("split");
  const answer = postWithRetry(usageBody(key));
  check(null, {
    "the id carries this instance's node": () => decodeSnowflake(id).node === nodeId(),
    "ids are unique within this instance": () => firstSeen("split-ids", id),
    "the event is accepted once": () => answer.status === 200 && firstSeen("split-records", answer.id),
  });
}
