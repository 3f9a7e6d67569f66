// IDs per second from JavaScript: k6/x/valora's snowflake() and idempotencyKey() against the global
// crypto.randomUUID(), and the original suite's Date.now() + Math.random() key for reference. Reading an
// imported function through its module binding costs more than some calls, so the extension's functions are
// also measured through a local constant; nodeId() does no work, so it is the floor of any call into the
// extension.
import * as valora from "k6/x/valora";
import { microConfig, run, writeResult, type MicroResult } from "./lib/micro";

// k6 provides the Web Crypto global; the ES2022 lib this project type-checks against does not declare it.
declare const crypto: { randomUUID(): string };

export const options = {
  scenarios: { micro: { executor: "shared-iterations", vus: 1, iterations: 1 } },
  setupTimeout: "15m",
};

function originalKey(): string {
  return `k6-usage-load-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

export function setup(): MicroResult {
  const a = valora.snowflake();
  const b = valora.snowflake();
  if (!/^\d+$/.test(a) || a === b) throw new Error(`snowflake() is broken: ${a}, ${b}`);
  if (valora.idempotencyKey("k6-usage-load") === valora.idempotencyKey("k6-usage-load"))
    throw new Error("idempotencyKey() repeated itself");

  const snowflake = valora.snowflake;
  const idempotencyKey = valora.idempotencyKey;
  const nodeId = valora.nodeId;

  return run(
    [
      { name: "k6/x/valora snowflake()", op: () => valora.snowflake() },
      { name: "k6/x/valora idempotencyKey()", op: () => valora.idempotencyKey("k6-usage-load") },
      { name: "crypto.randomUUID()", op: () => crypto.randomUUID() },
      { name: "Date.now() + Math.random() key", op: originalKey },
      { name: "snowflake(), function in a local", op: () => snowflake() },
      { name: "idempotencyKey(), function in a local", op: () => idempotencyKey("k6-usage-load") },
      { name: "nodeId(), function in a local (call floor)", op: () => nodeId() },
      { name: "loop and call overhead", op: () => 0 },
    ],
    microConfig(),
  );
}

export default function (): void {}

export const handleSummary = writeResult;
