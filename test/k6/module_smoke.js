// Runs inside the built ./k6: every export of k6/x/valora works in a real VU, and its Stripe signatures agree
// with k6's own crypto. Run by the e2e tests; fails through the checks threshold.
import { check } from "k6";
import crypto from "k6/crypto";
import exec from "k6/execution";
import * as valora from "k6/x/valora";

export const options = {
  scenarios: {
    vus: { executor: "per-vu-iterations", vus: 4, iterations: 25, maxDuration: "30s" },
  },
  thresholds: { checks: ["rate==1"] },
};

const secret = "whsec_module_smoke";

export default function () {
  const event = valora.stripeEvent({ type: "charge.succeeded", customerId: "2008111839082188800", amount: 4200 });
  const parsed = JSON.parse(event.body);
  const sig = valora.signStripe(event.body, { secret: [secret, "whsec_rotated"] });
  const expected = crypto.hmac("sha256", secret, `${sig.timestamp}.${event.body}`, "hex");
  check(sig, {
    "stripe signature equals k6/crypto HMAC": (s) => s.signature === expected,
    "stripe header carries t and one v1 per secret": (s) =>
      s.header === `t=${s.timestamp},v1=${s.signatures[0]},v1=${s.signatures[1]}`,
    "stripe event is a processable event": () =>
      parsed.object === "event" && parsed.id === event.id && event.id.startsWith("evt_") &&
      parsed.data.object.metadata.customer_id === "2008111839082188800" && parsed.data.object.amount === 4200,
  });

  const buf = new Uint8Array([0x7b, 0x7d]).buffer; // "{}"
  check(valora.signStripe(buf, { secret, timestamp: 1700000000 }), {
    "ArrayBuffer payloads sign their exact bytes": (s) =>
      s.signature === crypto.hmac("sha256", secret, "1700000000.{}", "hex"),
  });

  const adyen = JSON.parse(valora.signAdyen(valora.adyenEvent({ eventCode: "AUTHORISATION", customerId: "42" }).body,
    { hmacKey: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056" }));
  check(adyen, {
    "adyen items are signed": (a) =>
      a.notificationItems[0].NotificationRequestItem.additionalData.hmacSignature.length === 44,
  });

  const id = valora.snowflake();
  const parts = valora.decodeSnowflake(id);
  check(id, {
    "snowflake ids are unique across VUs": (v) => valora.firstSeen("module-smoke-ids", v),
    "snowflake carries this instance's node": () => parts.node === valora.nodeId(),
    "snowflake time is now": () => Math.abs(parts.time - Date.now()) < 5000,
    "idempotency keys are unique across VUs": () => valora.firstSeen("module-smoke-keys", valora.idempotencyKey("smoke")),
    "provider ids have the kind's prefix": () => valora.providerId("pi").startsWith("pi_"),
  });

  check(null, {
    "every VU agrees on the first value": () =>
      valora.agree("module-smoke-first", `vu-${exec.vu.idInTest}`) === valora.agree("module-smoke-first", "late"),
    "session cookies are parsed": () =>
      valora.sessionFromSetCookie(["a=b; Path=/", "_sid=tok123; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax"]) === "tok123",
  });

  let typeError = "";
  try {
    valora.providerId("xx");
  } catch (e) {
    typeError = String(e);
  }
  check(typeError, { "bad enum arguments are TypeErrors naming the accepted values": (m) => m.includes("TypeError") && m.includes("evt") });
}

export function teardown() {
  check(null, {
    "100 iterations produced 100 distinct ids": () => valora.setSize("module-smoke-ids") === 100,
  });
}
