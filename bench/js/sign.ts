// Cost of one Stripe signature over a 1 KiB payload, the finished header included: k6/x/valora's signStripe,
// k6/crypto's hmac called from JavaScript, and js-sha256's pure-JavaScript HMAC, each called the way a script
// usually writes it. All must produce the same header, or the benchmark fails. The other cases split the cost:
// reading an imported function through its module binding costs as much as some calls, so the same calls are
// also measured through a local constant; hashSessionToken is a Go SHA-256 of the same payload that takes a
// string and returns one, with no options object and no result object.
import { hmac } from "k6/crypto";
import * as valora from "k6/x/valora";
import { sha256 } from "js-sha256";
import { microConfig, run, writeResult, type MicroResult } from "./lib/micro";

export const options = {
  scenarios: { micro: { executor: "shared-iterations", vus: 1, iterations: 1 } },
  setupTimeout: "15m",
};

const SECRET = "whsec_bench_0123456789abcdef0123456789abcdef";
const TIMESTAMP = 1767225600;

/** A Stripe event padded to exactly 1024 bytes of ASCII JSON. */
function payload1KiB(): string {
  const head = '{"id":"evt_bench","object":"event","type":"charge.succeeded","data":{"object":{"padding":"';
  const tail = '"}}}';
  return head + "x".repeat(1024 - head.length - tail.length) + tail;
}

export function setup(): MicroResult {
  const body = payload1KiB();
  if (body.length !== 1024) throw new Error(`payload is ${body.length} bytes, not 1024`);
  const signed = `${TIMESTAMP}.${body}`;

  const viaValora = (): string => valora.signStripe(body, { secret: SECRET, timestamp: TIMESTAMP }).header;
  const viaValoraHeader = (): string => valora.stripeSignatureHeader(body, SECRET, TIMESTAMP);
  const viaK6Crypto = (): string => `t=${TIMESTAMP},v1=${hmac("sha256", SECRET, signed, "hex")}`;
  const viaPureJs = (): string => `t=${TIMESTAMP},v1=${sha256.hmac(SECRET, signed)}`;

  const signStripe = valora.signStripe;
  const hashSessionToken = valora.hashSessionToken;
  const localHmac = hmac;
  const opts = { secret: SECRET, timestamp: TIMESTAMP };
  const viaValoraLocal = (): string => signStripe(body, opts).header;
  const viaK6CryptoLocal = (): string => `t=${TIMESTAMP},v1=${localHmac("sha256", SECRET, signed, "hex")}`;

  const want = viaValora();
  for (const [name, f] of [
    ["stripeSignatureHeader", viaValoraHeader],
    ["k6/crypto", viaK6Crypto],
    ["js-sha256", viaPureJs],
    ["local signStripe", viaValoraLocal],
    ["local hmac", viaK6CryptoLocal],
  ] as const) {
    const got = f();
    if (got !== want) throw new Error(`${name} signs differently: ${got} ≠ ${want}`);
  }

  return run(
    [
      { name: "k6/x/valora stripeSignatureHeader", op: viaValoraHeader },
      { name: "k6/x/valora signStripe", op: viaValora },
      { name: "k6/crypto hmac", op: viaK6Crypto },
      { name: "js-sha256 hmac (pure JS)", op: viaPureJs },
      { name: "signStripe, function and options in locals", op: viaValoraLocal },
      { name: "hmac, function in a local", op: viaK6CryptoLocal },
      { name: "hashSessionToken, function in a local", op: () => hashSessionToken(body) },
      { name: "loop and call overhead", op: () => TIMESTAMP },
    ],
    microConfig(),
  );
}

export default function (): void {}

export const handleSummary = writeResult;
