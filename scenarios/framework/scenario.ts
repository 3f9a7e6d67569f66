// A scenario is a descriptor: its name, the invariants it exists to check (declared, with their descriptions, by the
// modules that check them), its own variables (declared by its module), what it must trip under each stand-in
// fault, its k6 options, setup, iterations and teardown, and the part it plays in smoke. plan() turns a descriptor
// into what an entry file exports; smoke() composes the descriptors' smoke parts into one scenario. The catalogue
// (dist/catalog.json: invariants, variables, scenarios, the fault matrix) is read off the same descriptors.
import exec from "k6/execution";
import type { Options, Scenario as K6Scenario, Threshold } from "k6/options";
import { assertConfiguration, cfg, problem } from "./config";
import { adoptTarget, flavorTraits, keyLimit, resolveTarget, targetLine, type Target } from "./flavor";
import { DEFINED, invariantThresholds, mergeNotChecked, type NotChecked } from "./invariants";
import { info, warn } from "./log";
import { report, TREND_STATS, type ReportExtras, type SummaryData } from "./summary";
import { finish, refuseUnsoundFlags } from "./verdict";

/** A threshold's metric key as k6 reports it, or an invariant's name: what a fault must trip. */
export type Trip = string;

/** What a scenario (or a smoke part) must trip under each stand-in fault; "healthy" lists the accepted defects. */
export type Catches = Record<string, Trip[]>;

/** Setup data: the scenario's own, plus why some invariants cannot be checked in this run. */
export interface SetupData {
  notChecked?: NotChecked;
  /** The target's flavour, resolved once in setup (plan() fills it in). */
  targetFlavor?: Target;
  /** Invariants another instance of a split run checks. */
  elsewhere?: string[];
}

export interface Iterations<D> {
  [exec: string]: (d: D) => void;
}

/** Smoke's shared context: admin access obtained once for all parts (undefined when none is configured). */
export interface SmokeContext<A> {
  admin: A | undefined;
}

/** How a scenario runs inside smoke: at minimal load, with its own k6 scenarios (names unique across parts). */
export interface SmokePart<D extends SetupData, A = unknown> {
  /** Where it comes in smoke (and in the fault matrix's print): Valora's own suite's order. */
  order: number;
  scenarios: Record<string, K6Scenario & { exec: string }>;
  thresholds?: Record<string, Threshold[]>;
  setup(ctx: SmokeContext<A>): D;
  iterations: Iterations<D>;
  teardown?(d: D): void;
  /** Notes printed under smoke's verdict because of this part. */
  notes?(): string[];
  /** What smoke must trip under each fault because of this part. */
  catches: Catches;
  /** The /api requests this part sends with keys when nothing is throttled (undefined: as many as are answered). */
  apiRequests?(): number | undefined;
  /** The longest setup and teardown this part needs, in seconds. */
  setupSeconds?: number;
  teardownSeconds?: number;
}

export interface Scenario<D extends SetupData, A = unknown> {
  name: string;
  /** The invariants this scenario exists to check, in report order. */
  invariants: readonly string[];
  scenarios: Record<string, K6Scenario & { exec: string }>;
  thresholds: Record<string, Threshold[]>;
  extraOptions?: Partial<Options>;
  setup(): D;
  iterations: Iterations<D>;
  teardown?(d: D): void;
  /** Lines printed under the verdict (what a result means: a limiter that answered, say). */
  notes?(): string[];
  /** What this run could not establish beyond its invariants (the capacity scenario's generator limit): INCOMPLETE. */
  unestablished?(): string[];
  /** Extra report content (provision's preface and files). */
  reportExtras?(data: SummaryData): ReportExtras;
  catches: Catches;
  smoke?: SmokePart<D, A>;
  /**
   * The /api requests the run sends with keys when nothing is throttled, to plan them against Railzway's per-key
   * limiter: a number, undefined for open-ended load (as many as are answered), or absent when the scenario sends
   * none to speak of.
   */
  apiRequests?(): number | undefined;
}

/** What the run says up front about Railzway's per-key limiter: whether its /api requests fit the keys' windows. */
function keyBudgetLine(planned: number | undefined): string {
  const keys = 1 + cfg.apiKeys.length;
  // Setup checks each key of API_KEYS once more.
  const requests = planned === undefined ? undefined : planned + cfg.apiKeys.length;
  const cap = keys * keyLimit.requests;
  const over = `${keys} key${keys > 1 ? "s" : ""} (API_KEY${keys > 1 ? " and API_KEYS" : ""})`;
  const more = "list more keys of the org in API_KEYS to spread the load; a request the limiter throttles is NOT CHECKED, never a violation";
  if (requests === undefined) {
    return `Railzway's per-key limiter (${keyLimit.shown} per key) will cap this run: it sends /api requests as fast as they are answered, over ${over}, so at most about ${cap} are answered per window; ${more}`;
  }
  if (requests > cap * 0.9) {
    return `Railzway's per-key limiter (${keyLimit.shown} per key) will cap this run: it sends about ${requests} /api requests over ${over} (more if 429s are retried), more than their ${cap} per window; ${more}`;
  }
  return `Railzway's per-key limiter (${keyLimit.shown} per key): this run sends about ${requests} /api requests over ${over} (more if 429s are retried), within their ${cap} per window`;
}

/** The exports of an entry file. */
export interface Plan<D> {
  options: Options;
  setup(): D;
  /** Runs the iteration of the k6 scenario that is running (every k6 scenario execs "default"). */
  run(d: D): void;
  teardown(d: D): void;
  handleSummary(data: SummaryData): Record<string, string>;
}

function checkNames(s: { name: string; invariants: readonly string[] }): void {
  for (const n of s.invariants) if (!(n in DEFINED)) throw `valora-k6: scenario ${s.name} checks ${n}, which no module declares`;
  const lists: [string, Iterable<string>][] = [
    ["ACCEPT_VIOLATIONS", cfg.acceptViolations],
    ["OPTIONAL_INVARIANTS", cfg.optionalInvariants],
    ["VALORA_K6_SELFTEST_DISABLE_INVARIANT", cfg.selftestDisabled],
  ];
  for (const [variable, names] of lists) {
    for (const n of names) {
      if (!SUITE_INVARIANTS.includes(n)) {
        problem(`${variable}: "${n}" is not an invariant of this suite (the reports list their names)`);
      }
    }
  }
}

declare const __VALORA_K6_INVARIANTS__: string[] | undefined;

/** Every invariant of the suite, written in by the build (a scenario's bundle loads only its own modules). */
const SUITE_INVARIANTS: string[] =
  typeof __VALORA_K6_INVARIANTS__ === "undefined" ? Object.keys(DEFINED) : __VALORA_K6_INVARIANTS__;

/** What an entry file exports for a descriptor. Throws (exit 107) any configuration problem of the loaded modules. */
export function plan<D extends SetupData>(s: Scenario<D>): Plan<D> {
  checkNames(s);
  assertConfiguration();
  const scenarios: Record<string, K6Scenario> = {};
  const execOf: Record<string, (d: D) => void> = {};
  let first: ((d: D) => void) | undefined;
  for (const [name, sc] of Object.entries(s.scenarios)) {
    const fn = s.iterations[sc.exec];
    if (!fn) throw `valora-k6: scenario ${s.name}: k6 scenario ${name} runs ${sc.exec}, which it does not define`;
    execOf[name] = fn;
    first = first ?? fn;
    scenarios[name] = { ...sc, exec: "default" };
  }
  return {
    options: {
      scenarios,
      thresholds: { ...s.thresholds, ...invariantThresholds(s.invariants) },
      summaryTrendStats: TREND_STATS,
      ...(s.extraOptions ?? {}),
    },
    setup(): D {
      refuseUnsoundFlags();
      const target = resolveTarget();
      info(targetLine(target));
      if (flavorTraits().keyLimiter && s.apiRequests) {
        const line = keyBudgetLine(s.apiRequests());
        if (line.includes("will cap")) warn(line);
        else info(line);
      }
      const d = s.setup();
      return d ? { ...d, targetFlavor: target } : d;
    },
    // With one scenario there is nothing to look up: reading exec.scenario builds an object on every access, and
    // this runs on every iteration. k6's --vus/--iterations/--duration replace the scenarios with one named
    // "default": it runs the first. Each VU adopts the flavour setup resolved, once, before its first iteration.
    run: ((): ((d: D) => void) => {
      const pick =
        Object.keys(execOf).length === 1
          ? first!
          : (d: D): void => {
              (execOf[exec.scenario.name] ?? first!)(d);
            };
      let adopted = false;
      return (d: D): void => {
        if (!adopted) {
          adopted = true;
          adoptTarget(d?.targetFlavor);
        }
        pick(d);
      };
    })(),
    teardown(d: D): void {
      adoptTarget(d?.targetFlavor);
      if (d && s.teardown) s.teardown(d);
      finish(s.invariants, d, s.unestablished?.() ?? []);
    },
    handleSummary(data: SummaryData): Record<string, string> {
      const target = (data.setup_data as SetupData | undefined)?.targetFlavor;
      adoptTarget(target);
      const extras = s.reportExtras?.(data) ?? {};
      const notes = [...(target ? [targetLine(target)] : []), ...(extras.notes ?? []), ...(s.notes?.() ?? [])];
      return report(s.name, s.invariants, data, {
        ...extras,
        notes,
        flavor: target?.flavor,
        unestablished: s.unestablished?.() ?? [],
      });
    },
  };
}

interface SmokeData<A> extends SetupData {
  parts: Record<string, SetupData>;
  admin: A | undefined;
}

/**
 * Smoke: every part at minimal load in one run, each through the same functions as its own scenario. `acquire`
 * obtains admin access once for the parts that need it (undefined when none is configured); `release` gives it back.
 */
export function smoke<A>(
  parts: Scenario<SetupData, A>[],
  acquire: () => A | undefined,
  release: (a: A | undefined) => void,
): Scenario<SmokeData<A>, A> & { parts: string[] } {
  const scenarios: Record<string, K6Scenario & { exec: string }> = {};
  const iterations: Iterations<SmokeData<A>> = {};
  let thresholds: Record<string, Threshold[]> = {};
  const catches: Catches = {};
  const invariants = new Set<string>();
  let setupSeconds = 90;
  let teardownSeconds = 30;
  const requestCounts: (() => number | undefined)[] = [];
  for (const p of parts) {
    const part = p.smoke;
    if (!part) throw `valora-k6: scenario ${p.name} has no smoke part`;
    for (const n of p.invariants) invariants.add(n);
    for (const [name, sc] of Object.entries(part.scenarios)) {
      if (name in scenarios) throw `valora-k6: smoke scenario ${name} is defined by two parts`;
      const key = `${p.name}:${sc.exec}`;
      scenarios[name] = { ...sc, exec: key };
      const fn = part.iterations[sc.exec];
      iterations[key] = (d) => fn(d.parts[p.name]);
    }
    thresholds = { ...thresholds, ...(part.thresholds ?? {}) };
    for (const [fault, trips] of Object.entries(part.catches)) {
      catches[fault] = [...new Set([...(catches[fault] ?? []), ...trips])];
    }
    if (part.apiRequests) requestCounts.push(part.apiRequests);
    setupSeconds += part.setupSeconds ?? 0;
    teardownSeconds = Math.max(teardownSeconds, part.teardownSeconds ?? 0);
  }
  return {
    name: "smoke",
    parts: parts.map((p) => p.name),
    invariants: [...invariants],
    scenarios,
    thresholds,
    extraOptions: { setupTimeout: `${setupSeconds}s`, teardownTimeout: `${teardownSeconds}s` },
    setup(): SmokeData<A> {
      const admin = acquire();
      const data: Record<string, SetupData> = {};
      for (const p of parts) data[p.name] = p.smoke!.setup({ admin });
      return { parts: data, admin, notChecked: mergeNotChecked(...Object.values(data).map((d) => d.notChecked)) };
    },
    iterations,
    teardown(d: SmokeData<A>): void {
      for (const p of parts) p.smoke!.teardown?.(d.parts[p.name]);
      release(d.admin);
    },
    notes(): string[] {
      const out: string[] = [];
      for (const p of parts) for (const n of p.smoke!.notes?.() ?? []) if (!out.includes(n)) out.push(n);
      return out;
    },
    catches,
    apiRequests(): number | undefined {
      let total = 0;
      for (const count of requestCounts) {
        const n = count();
        if (n === undefined) return undefined;
        total += n;
      }
      return total;
    },
  };
}
