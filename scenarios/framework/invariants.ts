// Invariants: what must hold beyond a status code. Each is declared once, with its description, by the module that
// checks it (defineInvariants), which gets a `holds` typed to its own names. Each check carries an `invariant` tag,
// and each invariant a threshold `checks{invariant:<name>}: rate==1`, so one violation fails the run and the failed
// threshold names it. Every observation is also tallied in the k6 process's shared state (k6/x/valora), so teardown
// can tell an invariant that held from one that was never checked, and make the run INCOMPLETE (verdict.ts).
import { check } from "k6";
import type { Threshold } from "k6/options";
import * as valora from "k6/x/valora";
import { cfg } from "./config";
import { warnLimited } from "./log";

export interface InvariantSpec {
  /** What must hold, stated as the invariant (not as a status code). */
  description: string;
  /**
   * Set when a healthy run may legitimately observe nothing (no 429 was answered, say): the reason printed then.
   * Such an invariant being NOT CHECKED for that reason does not make the run INCOMPLETE.
   */
  conditional?: string;
  /** Set for a defect of Valora itself that the healthy stand-in reproduces: why it is violated on Valora. */
  knownDefect?: string;
}

/** Every invariant declared by the modules this bundle loaded. */
export const DEFINED: Record<string, InvariantSpec> = {};

/** Why an invariant could not be checked in this run, by invariant; known at setup. */
export type NotChecked = Record<string, string>;

export interface Invariants<N extends string> {
  names: N[];
  /** Records one observation of one of these invariants (see holds). */
  holds(name: N, ok: boolean, label: string, explain?: () => string): boolean;
  notCheckedNow(name: N, reason: string, label?: NotCheckedLabel): void;
}

/** Declares the invariants a module checks. A name may be declared once in the whole suite. */
export function defineInvariants<T extends Record<string, InvariantSpec>>(specs: T): Invariants<keyof T & string> {
  for (const [name, spec] of Object.entries(specs)) {
    if (name in DEFINED) throw `valora-k6: invariant ${name} is declared twice`;
    DEFINED[name] = spec;
  }
  return { names: Object.keys(specs) as (keyof T & string)[], holds, notCheckedNow };
}

const key = (name: string, what: "pass" | "fail" | "reason"): string => `valora-k6/invariant/${name}/${what}`;

/** Invariants this VU has already tallied a pass for: one shared-state call per VU and invariant, not per check. */
const passedHere = new Set<string>();

/** A check's set and tags, built once per VU for each label (hot paths record one observation per response). */
interface CheckOf {
  set: Record<string, (ok: boolean) => boolean>;
  tags: { invariant: string };
}
const checksOf = new Map<string, CheckOf>();
const itself = (ok: boolean): boolean => ok;

function checkOf(name: string, label: string): CheckOf {
  const k = `${name}\n${label}`;
  let c = checksOf.get(k);
  if (c === undefined) {
    c = { set: { [label]: itself }, tags: { invariant: name } };
    checksOf.set(k, c);
  }
  return c;
}

/**
 * Records one observation of an invariant. `label` names what was checked and must be stable (k6 aggregates checks
 * by name); `explain` adds the specifics of a violation to the log.
 */
function holds(name: string, ok: boolean, label: string, explain?: () => string): boolean {
  // The self-test mutation (make test only): this invariant's checks can no longer fail.
  if (!ok && cfg.selftestDisabled.has(name)) ok = true;
  const c = checkOf(name, label);
  check(ok, c.set, c.tags);
  if (ok) {
    if (!passedHere.has(name)) {
      passedHere.add(name);
      valora.count(key(name, "pass"), 1);
    }
  } else {
    valora.count(key(name, "fail"), 1);
    const detail = explain ? `: ${explain()}` : "";
    warnLimited(`invariant:${name}:${label}`, `invariant ${name} violated: ${label}${detail}`);
  }
  return ok;
}

/** How an invariant that was not checked is shown: never checked, or checked too late to see the effect. */
export type NotCheckedLabel = "not checked" | "not visible";

export interface RuntimeNote {
  label: NotCheckedLabel;
  reason: string;
}

/**
 * Marks an invariant as not checked for a reason found while running (a barrier that timed out, a limiter that
 * serialised a burst): it is then NOT CHECKED even if some of its checks passed. The first reason recorded wins.
 */
function notCheckedNow(name: string, reason: string, label: NotCheckedLabel = "not checked"): void {
  valora.agree(key(name, "reason"), `${label}|${reason}`);
}

/** The reason recorded by notCheckedNow; read only after the VUs are done (teardown, handleSummary). */
export function runtimeNote(name: string): RuntimeNote | undefined {
  const v = valora.agree(key(name, "reason"), "-");
  if (v === "-") return undefined;
  const i = v.indexOf("|");
  return { label: v.slice(0, i) as NotCheckedLabel, reason: v.slice(i + 1) };
}

/** This process's tally: how many VUs saw the invariant hold, and how many checks of it failed. */
export function tally(name: string): { passes: number; fails: number } {
  return { passes: valora.count(key(name, "pass")), fails: valora.count(key(name, "fail")) };
}

/** `checks{invariant:<name>}: rate==1` for each invariant; an accepted violation gets rate>=0: shown, not failing. */
export function invariantThresholds(names: readonly string[]): Record<string, Threshold[]> {
  const out: Record<string, Threshold[]> = {};
  for (const n of names) out[`checks{invariant:${n}}`] = [cfg.acceptViolations.has(n) ? "rate>=0" : "rate==1"];
  return out;
}

/** Merges the "not checked" reasons of several setups (smoke runs them all). */
export function mergeNotChecked(...parts: (NotChecked | undefined)[]): NotChecked {
  const out: NotChecked = {};
  for (const p of parts) Object.assign(out, p ?? {});
  return out;
}

export function description(name: string): string {
  return DEFINED[name]?.description ?? "";
}
