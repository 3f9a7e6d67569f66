// capacity: how many usage events a second Valora takes with every invariant held. An open-model ramp
// (ramping-arrival-rate) of the ingest hot path from CAPACITY_START to CAPACITY_MAX events/s in CAPACITY_STEPS equal
// steps of CAPACITY_STEP_DURATION, with the dashboard and auth reads mixed in at CAPACITY_READ_PERCENT of the
// requests. Each step is judged as soon as its last request is either answered or past the latency budget; the
// first step that breaks ends the load (later iterations send nothing), and the report names the knee (the highest
// step that held) and why the next one broke:
//   invariant   an invariant was violated                                        Valora is wrong under load
//   errors      more than 1 % of the step's requests failed or were refused      Valora's limit
//   latency     p95 of the accepted events exceeded CAPACITY_P95_BUDGET          Valora's limit
//   generator   k6 could not start the step's iterations on time (dropped)       this k6's limit, not Valora's
// Verdicts (README, "Reading a capacity result"): PASSED when the knee is Valora's (or the ramp never broke: the
// knee is then at least CAPACITY_MAX), FAILED when an invariant was violated or Valora could not hold
// CAPACITY_START, INCOMPLETE when the generator was the limit (the knee is only a lower bound).
// The iterations are those of ingest_load, billing_dashboard and api_key_auth_perf, with their checks.
import exec from "k6/execution";
import type { Scenario as K6Scenario } from "k6/options";
import * as valora from "k6/x/valora";
import { cfg, durationSeconds, problem, variables } from "../framework/config";
import { observeResponses, type Response } from "../framework/http";
import { redact } from "../framework/log";
import { defineInvariants, tally } from "../framework/invariants";
import type { Scenario, SetupData } from "../framework/scenario";
import { acquireAdmin, NO_ADMIN_REASON, releaseAdmin, vuCredentials, type AdminAuth } from "../framework/session";
import type { JUnitCase, SummaryData } from "../framework/summary";
import { authIteration } from "./api_key_auth_perf";
import { billingDashboard, dashboardIteration } from "./billing_dashboard";
import { ingestLoad, ingestLoadIteration } from "./ingest_load";
import { ingestPreflight } from "./usage";
import { adminInvariants } from "./admin";
import { plotSvg, reportHtml } from "./capacity_plot";

const v = variables("capacity", {
  CAPACITY_START: { kind: "int", def: 10, min: 1, max: 1000000, doc: "events/s of the first step" },
  CAPACITY_MAX: { kind: "int", def: 200, min: 1, max: 1000000, doc: "events/s of the last step" },
  CAPACITY_STEPS: { kind: "int", def: 10, min: 2, max: 100, doc: "steps from CAPACITY_START to CAPACITY_MAX" },
  CAPACITY_STEP_DURATION: { kind: "duration", def: "1m", min: 2, max: 3600, doc: "how long each step holds its rate" },
  CAPACITY_P95_BUDGET: {
    kind: "seconds",
    def: "300ms",
    min: 0.001,
    max: 60,
    doc: "a step breaks when p95 of its accepted events exceeds this",
  },
  CAPACITY_READ_PERCENT: {
    kind: "int",
    def: 10,
    min: 0,
    max: 90,
    doc: "share of the requests, in %, that are dashboard and auth reads (on top of the events/s)",
  },
  CAPACITY_VUS: {
    kind: "int",
    def: 0,
    min: 0,
    max: 10000,
    doc: "VUs allocated before the ramp starts (0: twice what CAPACITY_MAX needs at the budget's latency)",
  },
  CAPACITY_MAX_VUS: { kind: "int", def: 500, min: 1, max: 10000, doc: "most VUs k6 may use" },
});

/** A step breaks when more than this share of its requests failed or were refused. */
export const MAX_ERROR_RATE = 0.01;
/** A step is generator-limited when k6 is short by more than this share of the step's iterations (and 2). */
const MAX_SHORT = 0.02;

const stepSeconds = durationSeconds(v.CAPACITY_STEP_DURATION);
const budgetMs = 1000 * (v.CAPACITY_P95_BUDGET ?? 0.3);
const readShare = v.CAPACITY_READ_PERCENT / 100;

if (v.CAPACITY_START >= v.CAPACITY_MAX) {
  problem(
    `CAPACITY_START and CAPACITY_MAX: the ramp must rise (got ${v.CAPACITY_START} to ${v.CAPACITY_MAX} events/s); set CAPACITY_MAX above CAPACITY_START`,
  );
}
/** VUs started before the ramp: starting one mid-step takes long enough to drop iterations. */
const preAllocated =
  v.CAPACITY_VUS > 0
    ? v.CAPACITY_VUS
    : Math.min(v.CAPACITY_MAX_VUS, Math.max(10, Math.ceil((2 * v.CAPACITY_MAX * budgetMs) / 1000 / (1 - readShare))));
if (v.CAPACITY_VUS > v.CAPACITY_MAX_VUS) {
  problem(`CAPACITY_VUS: ${v.CAPACITY_VUS} is more than CAPACITY_MAX_VUS (${v.CAPACITY_MAX_VUS})`);
}
// A step is judged a budget (plus a margin) after it ends, while the next one runs: the step must be longer.
if (stepSeconds < budgetMs / 1000 + 1) {
  problem(
    `CAPACITY_STEP_DURATION: ${v.CAPACITY_STEP_DURATION} is too short for a ${budgetMs} ms budget: a step must last at least the budget plus 1s`,
  );
}
if (stepSeconds * v.CAPACITY_STEPS > 86400) {
  problem(`CAPACITY_STEPS × CAPACITY_STEP_DURATION: the ramp would last more than 24h`);
}

/** The events/s of each step, and the reads/s that go with them. */
export const STEP_RATES: number[] = Array.from({ length: v.CAPACITY_STEPS }, (_, i) =>
  Math.round(v.CAPACITY_START + ((v.CAPACITY_MAX - v.CAPACITY_START) * i) / (v.CAPACITY_STEPS - 1)),
);
const readRate = (events: number): number => (events * readShare) / (1 - readShare);

/** k6 schedules per minute, so fractional rates (reads at a low share) keep their precision. */
function ramp(rates: number[], fn: "ingest" | "read"): K6Scenario & { exec: string } {
  const perMinute = rates.map((r) => Math.round(r * 60));
  const stages: { duration: string; target: number }[] = [];
  perMinute.forEach((target, i) => {
    if (i > 0) stages.push({ duration: "0s", target });
    stages.push({ duration: v.CAPACITY_STEP_DURATION, target });
  });
  // The VUs are split as the requests are: most go to the events.
  const part = fn === "ingest" ? 1 - readShare : readShare;
  const vus = (n: number): number => Math.max(1, Math.ceil(n * part));
  return {
    executor: "ramping-arrival-rate",
    startRate: perMinute[0],
    timeUnit: "1m",
    stages,
    preAllocatedVUs: vus(preAllocated),
    maxVUs: vus(v.CAPACITY_MAX_VUS),
    gracefulStop: `${Math.ceil(budgetMs / 1000) + 5}s`,
    exec: fn,
  };
}

const withReads = readShare > 0;
const dashboardInvariants = billingDashboard.invariants.filter((n) => !adminInvariants.names.includes(n as never));
const invariants = [...ingestLoad.invariants, ...(withReads ? dashboardInvariants : [])];

/**
 * Valora holding the first step is the one thing the ramp must show: an invariant, so that a run that breaks at once
 * is FAILED whether or not k6 evaluates thresholds (--no-thresholds), and NOT CHECKED when the first step was never
 * judged (an interrupted run, or one where the generator was the limit).
 */
const own = defineInvariants({
  capacity_start_held: {
    description: "Valora holds CAPACITY_START: the first step stays within the p95 budget and the error limit",
  },
});

// ---------------------------------------------------------------- per-step figures, shared by every VU

type Kind = "ingest" | "reads";
const key = (step: number, kind: Kind, what: string): string => `capacity/${step}/${kind}/${what}`;

/** Latency histogram: bucket b holds durations up to 0.1 ms × 1.05^b (5 % wide), so p95 is known within 5 %. */
const BUCKETS = 300;
function bucket(ms: number): number {
  return ms <= 0.1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / 0.1) / Math.log(1.05)));
}
const bucketTop = (b: number): number => 0.1 * Math.pow(1.05, b);

function stepAt(startMs: number, nowMs: number): number {
  return Math.floor((nowMs - startMs) / (stepSeconds * 1000));
}

/** Records one answer of the step: the status classes and, for accepted answers, the latency. */
function record(step: number, kind: Kind, res: Response): void {
  const c = (what: string): number => valora.count(key(step, kind, what), 1);
  c("requests");
  if (res.status === 429) c("throttled");
  else if (res.status === 0 || res.status >= 400) c("failed");
  // A 302 from /admin is a rejected session: a failure for the dashboard, as in billing_dashboard.
  else if (res.status >= 300) c("failed");
  else {
    c("ok");
    const d = res.timings.duration;
    if (d > budgetMs) c("slow");
    c(`h/${bucket(d)}`);
  }
}

export type Cause = "invariant" | "errors" | "latency" | "generator";

export interface StepOutcome {
  held: boolean;
  cause?: Cause;
  why?: string;
}

interface Counts {
  started: number;
  finished: number;
  requests: number;
  ok: number;
  slow: number;
  failed: number;
  throttled: number;
}

function counts(step: number, kind: Kind): Counts {
  const g = (what: string): number => valora.count(key(step, kind, what));
  return {
    started: g("started"),
    finished: g("finished"),
    requests: g("requests"),
    ok: g("ok"),
    slow: g("slow"),
    failed: g("failed"),
    throttled: g("throttled"),
  };
}

/** p95 of the step's accepted answers, from the histogram: the top of the bucket it falls in, to 0.01 ms. */
function p95(step: number, kind: Kind, ok: number): number | undefined {
  if (ok === 0) return undefined;
  let seen = 0;
  let b = 0;
  for (; b < BUCKETS - 1; b++) {
    seen += valora.count(key(step, kind, `h/${b}`));
    if (seen >= 0.95 * ok) break;
  }
  return Math.round(bucketTop(b) * 100) / 100;
}

function invariantFails(): number {
  return invariants.filter((n) => !cfg.acceptViolations.has(n)).reduce((sum, n) => sum + tally(n).fails, 0);
}

/** Per second, the iterations of kind that step schedules for the whole run (k6 schedules per minute). */
const perSecond = (step: number, kind: Kind): number =>
  Math.round((kind === "ingest" ? STEP_RATES[step] : readRate(STEP_RATES[step])) * 60) / 60;

/** Iterations this instance must start in a step: its execution segment's share of the run's, as k6 splits them. */
const scheduled = (step: number, kind: Kind): number => valora.instanceShare(Math.round(perSecond(step, kind) * stepSeconds));

/** Iterations of kind this instance must have started by `at` seconds into the ramp. */
function scheduledBy(kind: Kind, at: number): number {
  let total = 0;
  STEP_RATES.forEach((_, j) => {
    total += perSecond(j, kind) * Math.max(0, Math.min(at, (j + 1) * stepSeconds) - j * stepSeconds);
  });
  return valora.instanceShare(Math.round(total));
}

/** How long after a step ends it is judged: by then each of its requests is answered or older than the budget. */
const JUDGE_DELAY_S = budgetMs / 1000 + 0.5;

/** This instance's share of the rates: 1 unless the run is split (k6-operator), where the knee is the pods' sum. */
function instanceFraction(): number {
  const whole = 1000000;
  return valora.instanceShare(whole) / whole;
}

/**
 * Judges one step. `final` is true after the run, when every request is answered; during the run, a request of the
 * step still unanswered a budget after the step ended is older than the budget, so it counts as slow: the share over
 * budget, which says whether p95 exceeds it, is then exact.
 */
function judge(step: number, final: boolean): StepOutcome {
  const ing = counts(step, "ingest");
  const rd = counts(step, "reads");
  const fails = invariantFails();
  if (fails > 0) return { held: false, cause: "invariant", why: `${fails} invariant checks failed (see Invariants)` };
  const requests = ing.requests + rd.requests;
  const bad = ing.failed + ing.throttled + rd.failed;
  if (requests > 0 && bad / requests > MAX_ERROR_RATE) {
    return {
      held: false,
      cause: "errors",
      why: `${pct(bad / requests)} of ${requests} requests failed or were refused (${ing.failed} failed and ${ing.throttled} throttled events, ${rd.failed} failed reads); the limit is ${pct(MAX_ERROR_RATE)}`,
    };
  }
  const pending = final ? 0 : Math.max(0, ing.started - ing.finished);
  const over = ing.slow + pending;
  const judged = ing.ok + pending;
  if (judged > 0 && over > 0.05 * judged) {
    return {
      held: false,
      cause: "latency",
      why: `${pct(over / judged)} of the accepted events took longer than ${budgetMs} ms, so p95 exceeded the budget`,
    };
  }
  // By the time a step is judged, k6 must have started every iteration scheduled up to the step's end: one it
  // started late but within the judging delay counts (for the step it started in); one it dropped, or is still
  // further behind on, does not. The last step is judged when the run ends, so the delay is allowed before the end.
  const last = step === STEP_RATES.length - 1;
  const until = (step + 1) * stepSeconds - (final && last ? JUDGE_DELAY_S : 0);
  for (const kind of ["ingest", "reads"] as Kind[]) {
    const want = scheduledBy(kind, until);
    const got = valora.count(`capacity/${kind}/started`);
    const short = want - got;
    if (want > 0 && short > MAX_SHORT * scheduled(step, kind) + 2) {
      return {
        held: false,
        cause: "generator",
        why:
          `k6 had started ${got} of the ${want} ${kind === "ingest" ? "events" : "reads"} scheduled by the end of the step ` +
          `(${short} short, ${pct(short / Math.max(1, scheduled(step, kind)))} of the step) while Valora answered within budget: ` +
          `k6 dropped them (no free VU among CAPACITY_MAX_VUS=${v.CAPACITY_MAX_VUS}) or had no CPU to start them on time`,
      };
    }
  }
  return { held: true };
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 2 : 1)} %`;

/** The step's outcome, the same for every VU and for the reports: the first judgement recorded wins. */
function outcome(step: number, final: boolean): StepOutcome {
  const agreed = valora.agree(`capacity/outcome/${step}`, JSON.stringify(judge(step, final)));
  const o = JSON.parse(agreed) as StepOutcome;
  if (step === 0 && o.cause !== "generator" && valora.firstSeen("capacity/start-judged", "0")) {
    own.holds("capacity_start_held", o.held, "capacity: Valora held CAPACITY_START", () => o.why ?? String(o.cause));
  }
  return o;
}

// Per VU: the next step to judge, and whether the ramp has broken.
let nextToJudge = 0;
let broken = false;

function judgeDue(startMs: number, nowMs: number): void {
  while (!broken && nextToJudge < STEP_RATES.length) {
    const dueMs = startMs + ((nextToJudge + 1) * stepSeconds + JUDGE_DELAY_S) * 1000;
    if (nowMs < dueMs) return;
    if (!outcome(nextToJudge, false).held) broken = true;
    nextToJudge++;
  }
}

/** One iteration of kind: nothing once a step has broken (the load stops there); otherwise counted and tagged. */
function paced(kind: Kind, body: () => void): void {
  const start = exec.scenario.startTime;
  const now = Date.now();
  judgeDue(start, now);
  const step = stepAt(start, now);
  if (broken || step >= STEP_RATES.length) return;
  exec.vu.metrics.tags.capacity_step = String(step + 1);
  valora.count(key(step, kind, "started"), 1);
  valora.count(`capacity/${kind}/started`, 1);
  observeResponses((res) => record(step, kind, res));
  try {
    body();
  } finally {
    observeResponses(undefined);
    valora.count(key(step, kind, "finished"), 1);
  }
}

interface Data extends SetupData {
  admin?: AdminAuth;
}

function read(d: Data): void {
  paced("reads", () => {
    if (d.admin && exec.scenario.iterationInTest % 2 === 0) dashboardIteration(vuCredentials(d.admin));
    else authIteration(false);
  });
}

// ---------------------------------------------------------------- the result

export interface StepResult {
  step: number;
  /** This instance's events/s (its share of a split run's); total_events_per_s is the whole run's. */
  events_per_s: number;
  total_events_per_s: number;
  reads_per_s: number;
  scheduled: number;
  started: number;
  requests: number;
  accepted: number;
  failed: number;
  throttled: number;
  error_rate: number;
  p95_ms: number | null;
  reads_p95_ms: number | null;
  /** "stopped": the ramp ended at an earlier step; this one may have begun, but is not judged. */
  outcome: "held" | "broke" | "stopped" | "not run";
  cause?: Cause;
  why?: string;
}

export interface CapacityResult {
  /** This instance's knee: the events/s of the highest step that held (in a split run, its share; sum the pods'). */
  knee_rps: number | null;
  /** This instance's share of the run's rates (1 unless split with execution segments). */
  instance_share: number;
  knee_is_lower_bound: boolean;
  limit: "valora" | "invariant" | "generator" | "not reached";
  cause: Cause | "none";
  breaking_step: StepResult | null;
  summary: string;
  budget_p95_ms: number;
  max_error_rate: number;
  step_duration_s: number;
  read_percent: number;
  steps: StepResult[];
}

/** Judges every step (those the run did not judge, now that all is answered) and says what they mean. */
export function capacityResult(): CapacityResult {
  const share = instanceFraction();
  const steps: StepResult[] = [];
  let broke: StepResult | null = null;
  let knee: number | null = null;
  // Steps up to the last one any iteration began in (an interrupted run reached no further).
  let reached = -1;
  STEP_RATES.forEach((_, i) => {
    if (counts(i, "ingest").started + counts(i, "reads").started > 0) reached = i;
  });
  STEP_RATES.forEach((rate, i) => {
    const ing = counts(i, "ingest");
    const rd = counts(i, "reads");
    const requests = ing.requests + rd.requests;
    const s: StepResult = {
      step: i + 1,
      events_per_s: Number((rate * share).toFixed(2)),
      total_events_per_s: rate,
      reads_per_s: Number((readRate(rate) * share).toFixed(2)),
      scheduled: scheduled(i, "ingest") + scheduled(i, "reads"),
      started: ing.started + rd.started,
      requests,
      accepted: ing.ok,
      failed: ing.failed + rd.failed,
      throttled: ing.throttled,
      error_rate: requests > 0 ? (ing.failed + ing.throttled + rd.failed) / requests : 0,
      p95_ms: p95(i, "ingest", ing.ok) ?? null,
      reads_p95_ms: p95(i, "reads", rd.ok) ?? null,
      outcome: broke ? "stopped" : "not run",
    };
    if (!broke && i <= reached) {
      const o = outcome(i, true);
      if (o.held) {
        s.outcome = "held";
        knee = s.events_per_s;
      } else {
        s.outcome = "broke";
        s.cause = o.cause;
        s.why = o.why;
        broke = s;
      }
    }
    steps.push(s);
  });
  const b = broke as StepResult | null;
  const ran = steps.some((s) => s.outcome === "held" || s.outcome === "broke");
  let limit: CapacityResult["limit"] = "not reached";
  let summary: string;
  if (!ran) {
    summary = "no step ran";
  } else if (!b) {
    summary = `every step held up to CAPACITY_MAX: the knee is at least ${knee} events/s (Valora was not saturated; raise CAPACITY_MAX to find it)`;
  } else {
    limit = b.cause === "generator" ? "generator" : b.cause === "invariant" ? "invariant" : "valora";
    const at = `step ${b.step} (${b.events_per_s} events/s) broke on ${b.cause}: ${b.why}`;
    if (knee === null) {
      summary =
        b.cause === "generator"
          ? `no step held: ${at}; the generator was the limit, not Valora`
          : `no step held: Valora did not sustain CAPACITY_START (${v.CAPACITY_START} events/s); ${at}`;
    } else if (b.cause === "generator") {
      summary = `knee at least ${knee} events/s; ${at}; the generator was the limit, not Valora: split the run (README, distributed) or give k6 more VUs or CPU`;
    } else if (b.cause === "invariant") {
      summary = `knee ${knee} events/s, then an invariant broke under load: ${at}`;
    } else {
      summary = `knee ${knee} events/s; ${at}`;
    }
  }
  if (share < 1) {
    summary += ` (figures are this instance's share, ${share.toFixed(4)} of the run's rates: the run's knee is the sum over its instances)`;
  }
  return {
    knee_rps: knee,
    instance_share: share,
    knee_is_lower_bound: ran && (!b || b.cause === "generator"),
    limit,
    cause: b?.cause ?? "none",
    breaking_step: b,
    summary,
    budget_p95_ms: budgetMs,
    max_error_rate: MAX_ERROR_RATE,
    step_duration_s: stepSeconds,
    read_percent: v.CAPACITY_READ_PERCENT,
    steps,
  };
}

function stepTable(r: CapacityResult): string[] {
  const ms = (x: number | null): string => (x === null ? "-" : x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(1)}ms`);
  const lines = ["", "Capacity steps          events/s  reads/s  started/scheduled  accepted  errors    p95       outcome"];
  for (const s of r.steps) {
    lines.push(
      `  step ${String(s.step).padEnd(3)}             ${String(s.events_per_s).padEnd(9)} ${String(s.reads_per_s).padEnd(8)} ` +
        `${`${s.started}/${s.scheduled}`.padEnd(18)} ${String(s.accepted).padEnd(9)} ${pct(s.error_rate).padEnd(9)} ${ms(s.p95_ms).padEnd(9)} ` +
        `${s.outcome}${s.cause ? ` (${s.cause})` : ""}`,
    );
  }
  return lines;
}

function junitCases(r: CapacityResult): JUnitCase[] {
  const cls = "capacity.steps";
  const cases: JUnitCase[] = [
    {
      classname: "capacity",
      name: "knee",
      out: `knee_rps=${r.knee_rps ?? "none"} limit=${r.limit}: ${r.summary}`,
      ...(r.limit === "generator" ? { failure: `generator-limited: ${r.summary}` } : {}),
      ...(r.knee_rps === null && r.limit !== "generator" ? { failure: r.summary } : {}),
    },
  ];
  for (const s of r.steps) {
    const name = `step ${s.step}: ${s.events_per_s} events/s`;
    if (s.outcome === "held") cases.push({ classname: cls, name, out: `held: p95 ${s.p95_ms ?? "-"} ms, errors ${pct(s.error_rate)}` });
    else if (s.outcome === "stopped") cases.push({ classname: cls, name, skipped: "not judged: the ramp ended at an earlier step" });
    else if (s.outcome === "not run") cases.push({ classname: cls, name, skipped: "not run" });
    // The breaking step is the finding, not a failure, unless it says the generator or an invariant was the limit.
    else if (s.cause === "generator" || s.cause === "invariant") cases.push({ classname: cls, name, failure: `${s.cause}: ${s.why}` });
    else cases.push({ classname: cls, name, out: `broke on ${s.cause}: ${s.why}` });
  }
  return cases;
}

export const capacity: Scenario<Data, AdminAuth> = {
  name: "capacity",
  invariants: [...invariants, ...own.names],
  scenarios: {
    capacity_ingest: ramp(STEP_RATES, "ingest"),
    ...(withReads ? { capacity_reads: ramp(STEP_RATES.map(readRate), "read") } : {}),
  },
  // The ramp is meant to cross the latency and error limits: they stop it, they are not thresholds. Valora not
  // holding even the first step violates capacity_start_held.
  thresholds: {},
  extraOptions: { setupTimeout: "120s", teardownTimeout: "60s" },
  setup(): Data {
    ingestPreflight();
    const notChecked: Record<string, string> = {};
    let admin: AdminAuth | undefined;
    if (withReads) {
      // One session per read VU where sessions are per VU (SESSION_PER_VU, ADMIN_DATABASE_URL).
      admin = acquireAdmin(Math.max(1, Math.ceil(v.CAPACITY_MAX_VUS * readShare)), "/admin/billing/customers");
      if (!admin) for (const n of dashboardInvariants) notChecked[n] = `${NO_ADMIN_REASON} (the reads are then auth reads only)`;
    }
    return { admin, notChecked };
  },
  iterations: {
    ingest: () => paced("ingest", () => ingestLoadIteration()),
    read,
  },
  teardown: (d) => releaseAdmin(d.admin),
  unestablished(): string[] {
    const r = capacityResult();
    return r.limit === "generator" ? [`capacity not established: ${r.summary}`] : [];
  },
  notes(): string[] {
    const r = capacityResult();
    // A generator limit is already the verdict's reason.
    return r.limit === "generator" ? [] : [`capacity: ${r.summary}`];
  },
  reportExtras(data: SummaryData) {
    const r = capacityResult();
    const dropped = data.metrics.dropped_iterations?.values.count ?? 0;
    const files: Record<string, string> = {};
    if (cfg.reportDir) {
      const svg = plotSvg(r);
      // Figures and causes only; redacted all the same, like every report.
      files[`${cfg.reportDir}/capacity.result.json`] = redact(JSON.stringify({ ...r, dropped_iterations: dropped }, null, 2));
      files[`${cfg.reportDir}/capacity.plot.svg`] = redact(svg);
      files[`${cfg.reportDir}/capacity.html`] = redact(reportHtml(r, svg));
    }
    return { preface: stepTable(r), files, cases: junitCases(r) };
  },
  catches: {
    "ingest-shared-id": ["ingest_unique_id"],
    "ingest-echo": ["ingest_echo"],
    "dashboard-shape": ["dashboard_customers_shape", "dashboard_cycles_shape"],
    // A Valora too slow or failing at CAPACITY_START holds no step.
    slow: ["capacity_start_held"],
    "errors-5xx": ["capacity_start_held"],
  },
};

