// The suite: every scenario's descriptor, and the parts smoke is composed of. The build evaluates this module (in
// Node, with k6's modules stubbed) to write dist/catalog.json: the invariants with their descriptions, the
// variables, the scenarios and what each must trip under each stand-in fault, the one source of the fault matrix
// and of the README's tables.
import { DECLARED } from "../framework/config";
import { DEFINED } from "../framework/invariants";
import { smoke, type Scenario, type SetupData } from "../framework/scenario";
import { apiKeyAuthPerf } from "./api_key_auth_perf";
import { billingDashboard } from "./billing_dashboard";
import { ingestBurst } from "./ingest_burst";
import { ingestIdempotency } from "./ingest_idempotency";
import { ingestLoad } from "./ingest_load";
import { pagination } from "./pagination";
import { provisionScenario } from "./provision";
import { webhookIdempotency } from "./webhook_idempotency";

/** The seven scripts of Valora's own suite, in the order smoke runs them and the matrix prints them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SMOKE_PARTS: Scenario<SetupData, any>[] = [
  ingestLoad,
  ingestIdempotency,
  ingestBurst,
  apiKeyAuthPerf,
  webhookIdempotency,
  billingDashboard,
  pagination,
] as Scenario<SetupData, unknown>[];

/** Everything the build writes to dist/catalog.json for the Go tests. */
export function catalogJson(): string {
  const all = [...SMOKE_PARTS, provisionScenario as unknown as Scenario<SetupData>];
  const composed = smoke(SMOKE_PARTS, () => undefined, () => undefined);
  const scenarios: Record<string, string[]> = {};
  const faults: Record<string, Record<string, string[]>> = {};
  for (const s of [...all, composed as unknown as Scenario<SetupData>]) {
    scenarios[s.name] = [...s.invariants];
    for (const [fault, trips] of Object.entries(s.catches)) {
      faults[fault] = faults[fault] ?? {};
      faults[fault][s.name] = trips;
    }
  }
  const knownDefects: Record<string, string> = {};
  for (const [n, spec] of Object.entries(DEFINED)) if (spec.knownDefect) knownDefects[n] = spec.knownDefect;
  return JSON.stringify(
    {
      invariants: DEFINED,
      scenarios,
      smokeParts: SMOKE_PARTS.map((s) => s.name),
      knownDefects,
      faults,
      variables: DECLARED,
    },
    null,
    2,
  );
}
