// Runs inside the built ./k6: every export of k6/x/valora works in a real VU, its Stripe and Braintree signatures
// agree with k6's own crypto, and a bad argument is a TypeError a script can catch (a missing argument used to
// crash k6 with a Go nil pointer, exit 2, even inside try/catch). Run by the e2e tests and the image test; fails
// through the checks threshold.
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
// A fixed directory and content: concurrent smoke runs overwrite each other's file with the same bytes.
const smokeDir = `${__ENV.TMPDIR || "/tmp"}/valora-k6-module-smoke`;
const envText = "BASE_URL=http://127.0.0.1:8080\nAPI_KEY=module-smoke\n";

// thrown returns what calling fn threw, as "<name>: <message>", or "" when it returned.
function thrown(fn) {
  try {
    fn();
    return "";
  } catch (e) {
    return `${e instanceof TypeError ? "TypeError" : e && e.name}: ${e && e.message}`;
  }
}

export function setup() {
  valora.ensureDir(smokeDir);
  valora.ensureDir(smokeDir); // an existing directory is fine
  valora.writeFile(`${smokeDir}/valora.env`, envText);
  check(null, {
    "writeFile then readFile gives the content back": () => valora.readFile(`${smokeDir}/valora.env`) === envText,
    "readFile of a missing file is null": () => valora.readFile(`${smokeDir}/no-such-file`) === null,
    "writeFile never creates a missing directory": () => {
      const m = thrown(() => valora.writeFile(`${smokeDir}/no/such/dir/x.json`, "{}"));
      return m.startsWith("Error: writeFile: ") && m.includes("no/such/dir") && valora.readFile(`${smokeDir}/no/such/dir/x.json`) === null;
    },
    "runStatus in setup: not interrupted": () => valora.runStatus().interrupted === false && valora.runStatus().signal === null,
  });
}

export default function () {
  const event = valora.stripeEvent({ type: "charge.succeeded", customerId: "2008111839082188800", amount: 4200 });
  const parsed = JSON.parse(event.body);
  const sig = valora.signStripe(event.body, { secret: [secret, "whsec_rotated"] });
  const expected = crypto.hmac("sha256", secret, `${sig.timestamp}.${event.body}`, "hex");
  check(sig, {
    "stripe signature equals k6/crypto HMAC": (s) => s.signature === expected,
    "stripe header carries t and one v1 per secret": (s) =>
      s.header === `t=${s.timestamp},v1=${s.signatures[0]},v1=${s.signatures[1]}`,
    "stripe header-only form agrees": (s) =>
      valora.stripeSignatureHeader(event.body, [secret, "whsec_rotated"], s.timestamp) === s.header,
    "stripe event is a processable event": () =>
      parsed.object === "event" && parsed.id === event.id && event.id.startsWith("evt_") &&
      parsed.data.object.metadata.customer_id === "2008111839082188800" && parsed.data.object.amount === 4200,
  });

  const buf = new Uint8Array([0x7b, 0x7d]).buffer; // "{}"
  check(valora.signStripe(buf, { secret, timestamp: 1700000000 }), {
    "ArrayBuffer payloads sign their exact bytes": (s) =>
      s.signature === crypto.hmac("sha256", secret, "1700000000.{}", "hex"),
  });

  const adyenEvent = valora.adyenEvent({ eventCode: "AUTHORISATION", customerId: "42" });
  const adyen = JSON.parse(valora.signAdyen(adyenEvent.body,
    { hmacKey: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056" }));
  const item = adyen.notificationItems[0].NotificationRequestItem;
  check(adyen, {
    "adyen items are signed": () => item.additionalData.hmacSignature.length === 44,
    "adyen PSP references carry the run id": () => /^[0-9A-Z]{26}$/.test(item.pspReference) && adyenEvent.id === `${item.pspReference}_AUTHORISATION`,
  });

  const btPayload = "PHhtbC8+";
  const bt = valora.signBraintree(btPayload, { publicKey: "pub", privateKey: "priv" });
  check(bt, {
    "braintree signature equals k6/crypto HMAC": (b) => b.signature === `pub|${crypto.hmac("sha256", "priv", btPayload, "hex")}`,
    "braintree form carries both fields": (b) => b.form === `bt_signature=${encodeURIComponent(b.signature)}&bt_payload=PHhtbC8%2B`,
  });

  const id = valora.snowflake();
  const parts = valora.decodeSnowflake(id);
  const key = valora.idempotencyKey("smoke");
  check(id, {
    "snowflake ids are unique across VUs": (v) => valora.firstSeen("module-smoke-ids", v),
    "seen finds what firstSeen recorded, and nothing else": (v) =>
      valora.seen("module-smoke-ids", v) && !valora.seen("module-smoke-ids", `${v}0`),
    "snowflake carries this instance's node": () => parts.node === valora.nodeId() && parts.node >= 2 && parts.node <= 1023,
    "snowflake time is now": () => Math.abs(parts.time - Date.now()) < 5000,
    "idempotency keys are unique across VUs": () => valora.firstSeen("module-smoke-keys", key),
    "idempotency keys carry one run id for the whole process": () =>
      /^smoke-[0-9a-z]{13}[0-9a-z]+$/.test(key) && valora.agree("module-smoke-run", key.slice(0, 19)) === key.slice(0, 19),
    "provider ids have the kind's prefix": () => /^pi_[0-9A-Za-z]{24}$/.test(valora.providerId("pi")),
  });

  check(null, {
    "every VU agrees on the first value": () =>
      valora.agree("module-smoke-first", `vu-${exec.vu.idInTest}`) === valora.agree("module-smoke-first", "late"),
    "count adds atomically and returns the total": () => valora.count("module-smoke-iterations", 1) >= 1,
    "session cookies are parsed": () =>
      valora.sessionFromSetCookie(["a=b; Path=/", "_sid=tok123; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax"]) === "tok123",
    "a barrier of one party releases at once": () => valora.barrier(`module-smoke-${exec.vu.idInTest}`, 1, 1) === true,
    "instanceShare of an unsplit run is the total": () => valora.instanceShare(7) === 7,
  });

  check(null, {
    "bad enum arguments are TypeErrors naming the accepted values": () => {
      const m = thrown(() => valora.providerId("xx"));
      return m.startsWith("TypeError") && m.includes("evt");
    },
    "missing arguments are TypeErrors, not crashes": () =>
      thrown(() => valora.stripeSignatureHeader(event.body)).startsWith('TypeError: stripeSignatureHeader: argument "secret"') &&
      thrown(() => valora.decodeSnowflake()).startsWith('TypeError: decodeSnowflake: argument "id"') &&
      thrown(() => valora.instanceShare()).startsWith('TypeError: instanceShare: argument "total"') &&
      thrown(() => valora.sessionFromSetCookie()).startsWith('TypeError: sessionFromSetCookie: argument "setCookie"'),
    "absurd numbers are refused": () =>
      thrown(() => valora.barrier("module-smoke-never", 2, Infinity)).startsWith("TypeError") &&
      thrown(() => valora.signStripe("x", { secret, timestamp: -1 })).startsWith("TypeError") &&
      thrown(() => valora.count("module-smoke-iterations", NaN)).startsWith("TypeError"),
    "a blank token is refused": () => thrown(() => valora.hashSessionToken("")).startsWith("TypeError"),
  });
}

export function teardown() {
  const status = valora.runStatus();
  check(status, {
    "100 iterations produced 100 distinct ids": () => valora.setSize("module-smoke-ids") === 100,
    "100 iterations counted 100": () => valora.count("module-smoke-iterations") === 100,
    "runStatus in teardown: not interrupted, thresholds known": (s) =>
      s.interrupted === false && s.signal === null && typeof s.thresholds === "boolean",
  });
}
