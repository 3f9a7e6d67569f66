// Signing and delivering a Stripe event. The event is built in the test and signed over the exact bytes that are
// sent, as Stripe does, so no signed payload has to be captured and pasted into the environment.
//   BASE_URL, WEBHOOK_SECRET (the endpoint's whsec_… secret), CUSTOMER_ID
//   ./k6 run examples/stripe_webhook.ts
import { check } from "k6";
import http from "k6/http";
import type { Options } from "k6/options";
import { signStripe, stripeEvent, stripeSignatureHeader } from "k6/x/valora";
import { baseUrl, env } from "./lib/env.ts";

export const options: Options = {
  iterations: 5,
  thresholds: { checks: ["rate==1"], http_req_failed: ["rate==0"] },
};

const url = `${baseUrl()}/api/payments/webhooks/stripe`;
const secret = env("WEBHOOK_SECRET");
const customerId = env("CUSTOMER_ID");

export default function (): void {
  // A fresh event each iteration: a new evt_… id, unique across VUs and across the instances of a split run.
  const event = stripeEvent({ type: "payment_intent.succeeded", customerId, amount: 1500 });

  // Sign event.body and send event.body: re-serialising the object would change the bytes and the signature.
  const sig = signStripe(event.body, { secret });
  const headers = { "Content-Type": "application/json", "Stripe-Signature": sig.header };
  const first = http.post(url, event.body, { headers, tags: { name: "stripe webhook" } });

  // Stripe retries a delivery it thinks failed. The same event id must be accepted again, and processed once.
  const retry = http.post(url, event.body, {
    // The header alone, for hot paths: the same signature as signStripe, as a string.
    headers: { ...headers, "Stripe-Signature": stripeSignatureHeader(event.body, secret) },
    tags: { name: "stripe webhook" },
  });

  // One changed byte after signing: Valora must refuse it (400 invalid_signature).
  const tampered = http.post(url, event.body.replace("1500", "1501"), {
    headers,
    tags: { name: "stripe webhook (tampered)" },
    responseCallback: http.expectedStatuses(400),
  });

  check(null, {
    "a signed event is accepted": () => first.status === 200,
    "its redelivery is accepted too": () => retry.status === 200,
    "a tampered body is refused": () => tampered.status === 400,
  });
}
