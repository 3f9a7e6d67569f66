// The suite: every scenario descriptor that a file of scenarios/suite/ exports, and the parts smoke is composed of
// (those with a smoke part). The build evaluates this module (in Node, with k6's modules stubbed) to write
// dist/catalog.json: the invariants with their descriptions, the
// variables, the scenarios and what each must trip under each stand-in fault, the one source of the fault matrix
// and of the README's tables.
import suite from "valora-k6:suite";
import { DECLARED } from "../framework/config";
import { DEFINED } from "../framework/invariants";
import { smoke, type Scenario, type SetupData } from "../framework/scenario";

function isScenario(x: unknown): x is Scenario<SetupData> {
  return typeof x === "object" && x !== null && "name" in x && "invariants" in x && "catches" in x && "iterations" in x;
}

/** Every descriptor exported by a file of scenarios/suite/ (the build lists the files: "valora-k6:suite"). */
export const SCENARIOS: Scenario<SetupData>[] = Object.values(suite)
  .flatMap((m) => Object.values(m))
  .filter(isScenario)
  .sort((a, b) => (a.smoke?.order ?? 99) - (b.smoke?.order ?? 99) || a.name.localeCompare(b.name));

/** The scenarios that have a smoke part, in the order smoke runs them and the matrix prints them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SMOKE_PARTS: Scenario<SetupData, any>[] = SCENARIOS.filter((s) => s.smoke !== undefined);

/** Everything the build writes to dist/catalog.json for the Go tests. */
export function catalogJson(): string {
  const all = SCENARIOS;
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
