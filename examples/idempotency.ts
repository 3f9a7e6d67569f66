// Idempotency keys and a retried post. A client that retries a usage post (a timeout, a 429, a 5xx) must send the
// same idempotency key again; Valora then answers with the record it already has, so nothing is billed twice.
//   BASE_URL, API_KEY, CUSTOMER_ID, METER_CODE
//   ./k6 run examples/idempotency.ts
import { check } from "k6";
import type { Options } from "k6/options";
import { firstSeen, idempotencyKey } from "k6/x/valora";
import { postWithRetry, usageBody } from "./lib/usage.ts";

export const options: Options = {
  vus: 4,
  iterations: 20,
  thresholds: { checks: ["rate==1"] },
};

export default function (): void {
  // "invoice-…-<unique>": unique across VUs and across the instances of a split run, without coordination.
  const key = idempotencyKey("invoice");
  const body = usageBody(key, 3);

  // postWithRetry (lib/usage.ts) already retries a 429 with this same body, as any client should.
  const first = postWithRetry(body);
  // The client did not see the answer (say it timed out) and sends the very same request again.
  const retried = postWithRetry(body);

  check(null, {
    "the event is accepted": () => first.status === 200 && first.id !== "",
    "the retry returns the same record": () => retried.status === 200 && retried.id === first.id,
    // firstSeen is shared by every VU of this k6 process: true only the first time an id is offered.
    "no other event got this record id": () => firstSeen("record-ids", first.id),
    "no other iteration got this key": () => firstSeen("keys", key),
  });
}
