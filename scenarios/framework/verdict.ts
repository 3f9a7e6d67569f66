// The verdict of a run, computed one way for teardown (from this process's tally, to set the exit code) and for
// handleSummary (from k6's metrics, for the summary and the reports), so both always agree.
//
//   PASSED       every invariant the scenario exists to check was checked and held (or was declared optional),
//                and every threshold held                                                         exit 0
//   FAILED       an invariant was violated (and not accepted), or a threshold was crossed         exit 99
//                (110 under --no-thresholds, where k6 evaluates no threshold)
//   INCOMPLETE   an invariant the scenario exists to check was not checked, and it is not in
//                OPTIONAL_INVARIANTS; or setup aborted (exit 108); or the scenario could not
//                establish what it measures (Scenario.unestablished: capacity's generator limit)  exit 110
//   INTERRUPTED  k6 received SIGINT/SIGTERM before the run ended                                   exit 105
// An invalid configuration stops the run before it starts: exit 107, with no verdict.
import exec from "k6/execution";
import * as valora from "k6/x/valora";
import { cfg } from "./config";
import { DEFINED, runtimeNote, tally, type NotChecked } from "./invariants";
import { error } from "./log";

export type Status = "held" | "violated" | "accepted" | "not checked" | "not visible";

export interface InvariantResult {
  name: string;
  status: Status;
  passes: number;
  fails: number;
  /** Why not checked, or why a violation is accepted. */
  note: string;
  /** Not checked, but that does not make the run INCOMPLETE (declared optional, or conditional on its trigger). */
  optional: boolean;
}

export type VerdictName = "PASSED" | "FAILED" | "INCOMPLETE" | "INTERRUPTED";

export interface Verdict {
  name: VerdictName;
  /** One line each: what made the verdict. */
  reasons: string[];
}

export interface Observation {
  passes: number;
  fails: number;
}

export interface RunFacts {
  /** Setup never returned: the run was aborted before any VU started. */
  setupAborted: boolean;
  /** Reasons known at setup, from the setup data. */
  notChecked: NotChecked;
  /** Invariants another instance of a split run checks: this one runs none of the VUs that check them. */
  elsewhere: readonly string[];
}

/** Setup data may carry `notChecked` (reasons) and `elsewhere` (invariants checked by other instances). */
export function setupFacts(setupData: unknown): RunFacts {
  const d = setupData && typeof setupData === "object" ? (setupData as Record<string, unknown>) : undefined;
  const nc = d && d.notChecked && typeof d.notChecked === "object" ? (d.notChecked as NotChecked) : {};
  const elsewhere = d && Array.isArray(d.elsewhere) ? (d.elsewhere as string[]) : [];
  return { setupAborted: d === undefined, notChecked: nc, elsewhere };
}

/**
 * In a split run (k6-operator), a scenario of `vus` VUs may have none on this instance: the invariants only its VUs
 * check are then checked by another instance, and are not missing here.
 */
export function checkedElsewhere(vus: number, names: readonly string[]): string[] {
  return valora.instanceShare(vus) === 0 ? [...names] : [];
}

export function acceptedNote(name: string): string {
  const why = DEFINED[name]?.knownDefect;
  return `accepted by ${cfg.acceptedBy[name] ?? "ACCEPT_VIOLATIONS"}${why ? `: a known Valora defect (${why})` : ""}`;
}

export function classify(name: string, o: Observation, facts: RunFacts): InvariantResult {
  const r: InvariantResult = { name, status: "held", passes: o.passes, fails: o.fails, note: "", optional: false };
  const runtime = runtimeNote(name);
  if (o.fails > 0) {
    if (cfg.acceptViolations.has(name)) {
      r.status = "accepted";
      r.note = acceptedNote(name);
    } else {
      r.status = "violated";
    }
    return r;
  }
  if (runtime) {
    r.status = runtime.label;
    r.note = runtime.reason;
  } else if (o.passes > 0) {
    return r;
  } else {
    r.status = "not checked";
    const setup = facts.notChecked[name];
    const conditional = DEFINED[name]?.conditional;
    if (facts.elsewhere.includes(name)) {
      r.note = "checked by another instance of this split run (this one runs none of the VUs that check it)";
      r.optional = true;
    } else if (setup) r.note = setup;
    else if (facts.setupAborted) r.note = "setup aborted the run (see its reason above)";
    else if (conditional) {
      r.note = conditional;
      r.optional = true;
    } else r.note = "no check ran (the run ended or was stopped before reaching it)";
  }
  if (cfg.optionalInvariants.has(name)) {
    r.optional = true;
    r.note += " (optional: OPTIONAL_INVARIANTS)";
  }
  return r;
}

export interface VerdictInputs {
  results: InvariantResult[];
  /** Crossed thresholds that are not invariants (latency, failures), as "metric: expr". */
  failedThresholds: string[];
  interrupted: string | null;
  setupAborted: boolean;
  /** What the scenario itself could not establish (the capacity scenario's generator limit): INCOMPLETE. */
  unestablished?: string[];
}

export function verdictOf(v: VerdictInputs): Verdict {
  const violated = v.results.filter((r) => r.status === "violated");
  const missing = v.results.filter((r) => (r.status === "not checked" || r.status === "not visible") && !r.optional);
  const reasons: string[] = [];
  if (v.interrupted) reasons.push(`k6 received ${v.interrupted}: the run did not finish, nothing after that was proven`);
  for (const r of violated) reasons.push(`${r.name} violated (${r.fails} failed checks)`);
  for (const t of v.failedThresholds) reasons.push(`threshold crossed: ${t}`);
  if (v.setupAborted) reasons.push("setup aborted the run");
  for (const r of missing) reasons.push(`${r.name} ${r.status}: ${r.note}`);
  const unestablished = v.unestablished ?? [];
  reasons.push(...unestablished);
  if (cfg.selftestDisabled.size > 0) {
    reasons.push(`self-test mutation active (VALORA_K6_SELFTEST_DISABLE_INVARIANT): ${[...cfg.selftestDisabled].join(", ")}`);
  }
  let name: VerdictName = "PASSED";
  if (v.interrupted) name = "INTERRUPTED";
  else if (violated.length > 0 || v.failedThresholds.length > 0) name = "FAILED";
  else if (v.setupAborted || missing.length > 0 || unestablished.length > 0 || cfg.selftestDisabled.size > 0) {
    name = "INCOMPLETE";
  }
  return { name, reasons };
}

/** The signal that interrupted this k6 process, or null. */
export function interruption(): string | null {
  const s = valora.runStatus();
  return s.interrupted ? (s.signal ?? "a stop signal") : null;
}

/**
 * Every scenario's teardown ends here: the verdict from this process's tally. k6 sets the exit code of a FAILED run
 * itself (its thresholds); an INCOMPLETE run, or a FAILED one under --no-thresholds, is marked failed here (110).
 */
export function finish(invariants: readonly string[], setupData: unknown, unestablished: string[] = []): Verdict {
  const facts = setupFacts(setupData);
  const results = invariants.map((n) => classify(n, tally(n), facts));
  const status = valora.runStatus();
  const v = verdictOf({
    results,
    failedThresholds: [],
    interrupted: interruption(),
    setupAborted: facts.setupAborted,
    unestablished,
  });
  if (v.name === "INCOMPLETE" || (v.name === "FAILED" && !status.thresholds)) {
    exec.test.fail();
  }
  return v;
}

/** Refuses, at setup, k6 flags under which the verdict cannot be earned. */
export function refuseUnsoundFlags(): void {
  const o = exec.test.options as { noTeardown?: boolean | null };
  if (o.noTeardown) {
    error(
      "invalid configuration: --no-teardown (K6_NO_TEARDOWN): valora-k6 checks invariants and decides the verdict in teardown; without it an unchecked invariant would exit 0",
    );
    throw "invalid configuration: --no-teardown is not supported: run without it";
  }
}
