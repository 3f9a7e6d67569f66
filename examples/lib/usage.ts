// POST /api/usage with Valora's API key, shared by the examples that ingest usage.
import { sleep } from "k6";
import http from "k6/http";
import { baseUrl, env } from "./env.ts";

const url = `${baseUrl()}/api/usage`;
const headers = { Authorization: `Bearer ${env("API_KEY")}`, "Content-Type": "application/json" };
const customerId = env("CUSTOMER_ID");
const meterCode = env("METER_CODE");

/** A usage event's body. The idempotency key is what makes a retry safe: Valora records the event once. */
export function usageBody(idempotencyKey: string, value = 1): string {
  return JSON.stringify({
    customer_id: customerId,
    meter_code: meterCode,
    value,
    recorded_at: new Date().toISOString(),
    idempotency_key: idempotencyKey,
  });
}

/** Posts a body and returns the status and the record id Valora answered with ("" when there is none). */
export function postUsage(body: string): { status: number; id: string; retryAfter: number } {
  const res = http.post(url, body, {
    headers,
    tags: { name: "POST /api/usage" },
    // A 429 is Valora's limiter asking the client to wait: expected, not a failure.
    responseCallback: http.expectedStatuses({ min: 200, max: 299 }, 429),
  });
  let id = "";
  if (res.status === 200) {
    const rec = res.json() as { id?: unknown };
    // Record ids are snowflakes above 2^53: Valora sends them as strings, keep them strings.
    if (typeof rec.id === "string") id = rec.id;
  }
  return { status: res.status, id, retryAfter: Number(res.headers["Retry-After"] ?? 1) };
}

/**
 * Posts until Valora answers other than 429 (at most 5 tries), waiting as Retry-After says, with the same body,
 * and so the same idempotency key, every time.
 */
export function postWithRetry(body: string): { status: number; id: string } {
  let answer = postUsage(body);
  for (let attempt = 1; answer.status === 429 && attempt < 5; attempt++) {
    sleep(Math.min(answer.retryAfter, 5) + Math.random()); // jitter, so that retries do not collide again
    answer = postUsage(body);
  }
  return answer;
}
