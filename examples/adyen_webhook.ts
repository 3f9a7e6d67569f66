// An Adyen notification: Adyen signs each notification item (HMAC-SHA256 over its fields, base64) and puts the
// signature inside the body, in additionalData.hmacSignature. signAdyen does exactly that.
//   BASE_URL, ADYEN_HMAC_KEY (the hex key from Adyen's Customer Area), CUSTOMER_ID
//   ./k6 run examples/adyen_webhook.ts
import { check } from "k6";
import http from "k6/http";
import type { Options } from "k6/options";
import { adyenEvent, signAdyen } from "k6/x/valora";
import { baseUrl, env } from "./lib/env.ts";

export const options: Options = {
  iterations: 5,
  thresholds: { checks: ["rate==1"], http_req_failed: ["rate==0"] },
};

const url = `${baseUrl()}/api/payments/webhooks/adyen`;
const hmacKey = env("ADYEN_HMAC_KEY");
const customerId = env("CUSTOMER_ID");
const headers = { "Content-Type": "application/json" };

export default function (): void {
  // An unsigned notification with one AUTHORISATION item and a fresh PSP reference…
  const event = adyenEvent({ eventCode: "AUTHORISATION", customerId, amount: 2500 });
  // …and the same notification with every item signed. Send the returned string as it is.
  const signed = signAdyen(event.body, { hmacKey });

  const ok = http.post(url, signed, { headers, tags: { name: "adyen webhook" } });
  const unsigned = http.post(url, event.body, {
    headers,
    tags: { name: "adyen webhook (unsigned)" },
    responseCallback: http.expectedStatuses(400),
  });

  check(null, {
    "a signed notification is accepted": () => ok.status === 200,
    "an unsigned one is refused": () => unsigned.status === 400,
  });
}
