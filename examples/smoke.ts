// The smallest check that a k6 binary has k6/x/valora and that it works: no server, no variables, one second.
// xk6 lint runs this file (its smoke checker looks for examples/smoke.ts); so can you, after a build:
//   ./k6 run examples/smoke.ts
import { check } from "k6";
import crypto from "k6/crypto";
import type { Options } from "k6/options";
import * as valora from "k6/x/valora";

export const options: Options = {
  vus: 2,
  iterations: 10,
  thresholds: { checks: ["rate==1"] }, // any failed check fails the run (exit 99)
};

export default function (): void {
  const event = valora.stripeEvent({ type: "charge.succeeded", customerId: "2008111839082188800", amount: 4200 });
  const sig = valora.signStripe(event.body, { secret: "whsec_smoke", timestamp: 1700000000 });
  const id = valora.snowflake();
  check(null, {
    // The signature is plain HMAC-SHA256 over "<t>.<body>", so k6's own crypto must agree with it.
    "Stripe signature equals k6/crypto's HMAC": () =>
      sig.signature === crypto.hmac("sha256", "whsec_smoke", `1700000000.${event.body}`, "hex"),
    "snowflake ids are unique across VUs": () => valora.firstSeen("smoke-ids", id),
    "a snowflake carries this instance's node": () => valora.decodeSnowflake(id).node === valora.nodeId(),
    "session cookies are parsed": () => valora.sessionFromSetCookie("_sid=tok123; Path=/; HttpOnly") === "tok123",
  });
}
