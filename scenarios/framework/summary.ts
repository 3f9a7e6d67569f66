// End-of-test reports, written by every scenario's handleSummary: a compact text summary on stdout and, with
// REPORT_DIR, <scenario>.summary.json, <scenario>.junit.xml and <scenario>.invariants.md. setup() data never
// reaches any of them: k6 hands it over as `setup_data`, and it holds sessions and keys.
import * as valora from "k6/x/valora";
import { cfg } from "./config";
import { description } from "./invariants";
import { redact } from "./log";
import { classify, interruption, setupFacts, verdictOf, type InvariantResult, type Verdict } from "./verdict";

interface MetricData {
  type: string;
  contains: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

/** The part of k6's handleSummary data these reports read. */
export interface SummaryData {
  metrics: Record<string, MetricData>;
  state?: { testRunDurationMs?: number };
  setup_data?: unknown;
  [key: string]: unknown;
}

interface ThresholdResult {
  metric: string;
  expr: string;
  ok: boolean;
  actual?: number;
  unit: string;
}

/** Trend stats every scenario asks k6 for. */
export const TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"];

// A missing REPORT_DIR is created at init, so the reports are never lost to a missing directory at the end.
if (cfg.reportDir) {
  try {
    valora.ensureDir(cfg.reportDir);
  } catch (e) {
    throw `invalid configuration: REPORT_DIR: cannot create the directory "${cfg.reportDir}" (${String(e)})`;
  }
}

/** Every scenario's setup returns an object; none reaching handleSummary means setup failed and the run aborted. */
function setupFailed(data: SummaryData): boolean {
  return data.setup_data === undefined || data.setup_data === null;
}

export function invariantResults(data: SummaryData, names: readonly string[]): InvariantResult[] {
  const facts = setupFacts(data.setup_data);
  return names.map((name) => {
    const v = data.metrics[`checks{invariant:${name}}`]?.values ?? {};
    return classify(name, { passes: v.passes ?? 0, fails: v.fails ?? 0 }, facts);
  });
}

const EXPR = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|==|===|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

function thresholdResults(data: SummaryData): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const metric of Object.keys(data.metrics).sort()) {
    const m = data.metrics[metric];
    // Internal: makes runtime "not checked" counts visible; never a real threshold.
    if (!m.thresholds || metric.startsWith("invariant_not_checked")) continue;
    for (const [expr, r] of Object.entries(m.thresholds)) {
      const key = EXPR.exec(expr)?.[1];
      const unit = m.contains === "time" && key !== "rate" && key !== "count" ? "ms" : "";
      out.push({ metric, expr, ok: r.ok, actual: key ? m.values[key] : undefined, unit });
    }
  }
  return out;
}

function fmt(n: number | undefined, unit = ""): string {
  if (n === undefined || Number.isNaN(n)) return "-";
  if (unit === "ms") return n >= 1000 ? `${(n / 1000).toFixed(2)}s` : `${n.toFixed(2)}ms`;
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) < 1 ? n.toFixed(4) : n.toFixed(2);
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

const isInvariantThreshold = (t: ThresholdResult): boolean => t.metric.startsWith("checks{invariant:");

const MARK: Record<InvariantResult["status"], string> = {
  held: "✓",
  violated: "✗",
  accepted: "!",
  "not checked": "-",
  "not visible": "?",
};

/** Lines printed under a scenario's verdict: the notes that explain a result (limiter on, accepted defects). */
export type Notes = string[];

function text(
  scenario: string,
  data: SummaryData,
  th: ThresholdResult[],
  inv: InvariantResult[],
  v: Verdict,
  notes: Notes,
  thresholdsOn: boolean,
): string {
  const secs = ((data.state?.testRunDurationMs ?? 0) / 1000).toFixed(1);
  const lines: string[] = [];
  lines.push("");
  lines.push(`valora-k6 · ${scenario} · ${secs}s · ${v.name}`);
  if (v.name !== "PASSED") for (const r of v.reasons) lines.push(`  ${r}`);
  if (!thresholdsOn) lines.push("  (--no-thresholds: k6 evaluated no threshold; the verdict comes from the invariants)");
  const accepted = inv.filter((i) => i.status === "accepted");
  if (accepted.length > 0) {
    lines.push(`  accepted violations: ${accepted.map((i) => i.name).join(", ")} (ACCEPT_VIOLATIONS)`);
  }
  for (const n of notes) lines.push(`  note: ${n}`);

  const plain = th.filter((t) => !isInvariantThreshold(t));
  if (plain.length > 0) {
    lines.push("", "Thresholds");
    const w = Math.max(...plain.map((t) => t.metric.length));
    for (const t of plain) {
      lines.push(`  ${t.ok ? "✓" : "✗"} ${pad(t.metric, w)}  ${pad(t.expr, 12)} ${fmt(t.actual, t.unit)}`);
    }
  }

  if (inv.length > 0) {
    lines.push("", "Invariants");
    const w = Math.max(...inv.map((i) => i.name.length));
    for (const i of inv) {
      const counts = i.passes + i.fails > 0 ? `${i.fails} of ${i.passes + i.fails} failed` : "";
      const detail = i.status === "held" ? `${i.passes} checks` : [counts, i.note].filter(Boolean).join("; ");
      lines.push(`  ${MARK[i.status]} ${pad(i.name, w)}  ${pad(i.status.toUpperCase(), 11)}  ${detail}`);
    }
  }

  // Request durations (overall and per thresholded route) and the scenarios' own trends; k6's other timing
  // breakdowns add little to a summary.
  const trends = Object.keys(data.metrics)
    .filter((k) => data.metrics[k].type === "trend")
    .filter((k) => k.startsWith("http_req_duration") || !/^(http_req_|iteration_duration|group_duration)/.test(k))
    .filter((k) => k !== "http_req_duration{expected_response:true}")
    .sort();
  if (trends.length > 0) {
    const w = Math.max(...trends.map((k) => k.length));
    lines.push("", `Trends${" ".repeat(w - 3)}avg        p(95)      p(99)      max`);
    for (const k of trends) {
      const m = data.metrics[k];
      const unit = m.contains === "time" ? "ms" : "";
      const val = m.values;
      lines.push(
        `  ${pad(k, w)}  ${pad(fmt(val.avg, unit), 10)} ${pad(fmt(val["p(95)"], unit), 10)} ${pad(fmt(val["p(99)"], unit), 10)} ${fmt(val.max, unit)}`,
      );
    }
  }

  const m = data.metrics;
  const facts: string[] = [];
  if (m.http_reqs) facts.push(`requests ${fmt(m.http_reqs.values.count)} (${fmt(m.http_reqs.values.rate)}/s)`);
  if (m.http_req_failed) facts.push(`failed ${(100 * (m.http_req_failed.values.rate ?? 0)).toFixed(2)}%`);
  if (m.usage_rate_limited) facts.push(`429s ${fmt(m.usage_rate_limited.values.count)}`);
  if (m.iterations) facts.push(`iterations ${fmt(m.iterations.values.count)}`);
  if (m.checks && (m.checks.values.passes ?? 0) + (m.checks.values.fails ?? 0) > 0) {
    facts.push(`checks ${(100 * (m.checks.values.rate ?? 0)).toFixed(2)}%`);
  }
  if (facts.length > 0) lines.push("", facts.join(" · "));
  lines.push("");
  return lines.join("\n");
}

function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function junitCase(c: JUnitCase): string {
  const open = `    <testcase classname="${xml(c.classname)}" name="${xml(c.name)}"`;
  const body = [
    c.failure !== undefined ? `      <failure message="${xml(c.failure)}"/>` : "",
    c.skipped !== undefined ? `      <skipped message="${xml(c.skipped)}"/>` : "",
    c.out !== undefined ? `      <system-out>${xml(c.out)}</system-out>` : "",
  ].filter(Boolean);
  return body.length === 0 ? `${open}/>` : `${open}>\n${body.join("\n")}\n    </testcase>`;
}

function junit(
  scenario: string,
  data: SummaryData,
  th: ThresholdResult[],
  inv: InvariantResult[],
  v: Verdict,
  extra: JUnitCase[],
): string {
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  const cls = xml(scenario);
  // The verdict itself is a test case, so a report reader sees INCOMPLETE and INTERRUPTED as failures too.
  if (v.name === "PASSED") {
    cases.push(`    <testcase classname="${cls}" name="verdict"><system-out>PASSED</system-out></testcase>`);
  } else {
    failures++;
    cases.push(
      `    <testcase classname="${cls}" name="verdict">\n      <failure message="${xml(`${v.name}: ${v.reasons.join("; ")}`)}"/>\n    </testcase>`,
    );
  }
  for (const c of extra) {
    if (c.failure !== undefined) failures++;
    else if (c.skipped !== undefined) skipped++;
    cases.push(junitCase(c));
  }
  for (const t of th.filter((x) => !isInvariantThreshold(x))) {
    const name = xml(`${t.metric}: ${t.expr}`);
    if (t.ok) {
      cases.push(`    <testcase classname="${cls}.thresholds" name="${name}"/>`);
    } else {
      failures++;
      cases.push(
        `    <testcase classname="${cls}.thresholds" name="${name}">\n` +
          `      <failure message="${xml(`threshold crossed: ${t.expr} (actual ${fmt(t.actual, t.unit)})`)}"/>\n    </testcase>`,
      );
    }
  }
  for (const i of inv) {
    const open = `    <testcase classname="${cls}.invariants" name="${xml(i.name)}"`;
    const counts = `${i.fails} of ${i.passes + i.fails} checks failed`;
    if (i.status === "violated") {
      failures++;
      cases.push(`${open}>\n      <failure message="${xml(`${counts}: ${description(i.name)}`)}"/>\n    </testcase>`);
    } else if (i.status === "not checked" || i.status === "not visible") {
      if (i.optional) {
        skipped++;
        cases.push(`${open}>\n      <skipped message="${xml(`${i.status}: ${i.note}`)}"/>\n    </testcase>`);
      } else {
        failures++;
        cases.push(`${open}>\n      <failure message="${xml(`${i.status}: ${i.note}`)}"/>\n    </testcase>`);
      }
    } else if (i.status === "accepted") {
      cases.push(`${open}>\n      <system-out>${xml(`ACCEPTED: ${counts}; ${i.note}`)}</system-out>\n    </testcase>`);
    } else {
      cases.push(`${open}/>`);
    }
  }
  const secs = ((data.state?.testRunDurationMs ?? 0) / 1000).toFixed(3);
  const attrs = `tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${secs}"`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="valora-k6" ${attrs}>\n` +
    `  <testsuite name="${cls}" ${attrs}>\n` +
    `    <properties><property name="verdict" value="${v.name}"/></properties>\n` +
    `${cases.join("\n")}\n  </testsuite>\n</testsuites>\n`
  );
}

function markdown(scenario: string, inv: InvariantResult[], v: Verdict, notes: Notes): string {
  const lines = [`# Invariants: ${scenario}`, "", `**Verdict: ${v.name}**`, ""];
  for (const r of v.name === "PASSED" ? [] : v.reasons) lines.push(`- ${r}`);
  for (const n of notes) lines.push(`- note: ${n}`);
  if (v.name !== "PASSED" || notes.length > 0) lines.push("");
  lines.push("| Invariant | Status | Checks | Details |", "|---|---|---|---|");
  for (const i of inv) {
    const checks = i.passes + i.fails > 0 ? `${i.passes} held, ${i.fails} failed` : "-";
    const status = i.status === "violated" ? "**violated**" : i.status === "accepted" ? "**accepted**" : i.status;
    const detail = `${description(i.name)}${i.note ? ` — ${i.note}` : ""}`.replace(/\|/g, "\\|");
    lines.push(`| \`${i.name}\` | ${status} | ${checks} | ${detail} |`);
  }
  lines.push("");
  return lines.join("\n");
}

export interface JUnitCase {
  classname: string;
  name: string;
  /** Set: the case failed, with this message. */
  failure?: string;
  /** Set: the case was skipped, with this message. */
  skipped?: string;
  out?: string;
}

export interface ReportExtras {
  /** Lines printed before the summary (redacted like everything on stdout). */
  preface?: string[];
  /** Notes printed under the verdict, in every report. */
  notes?: Notes;
  /** What the run could not establish beyond its invariants: makes it INCOMPLETE (Scenario.unestablished). */
  unestablished?: string[];
  /** Extra JUnit test cases (the capacity scenario's steps), after the verdict's. */
  cases?: JUnitCase[];
  /** Files written as given: the caller vouches that they may hold what they hold. */
  files?: Record<string, string>;
  /** The target's flavour (valora or railzway), for summary.json. */
  flavor?: string;
}

/** What a report knows of a run: the verdict and each invariant's result. */
export interface RunReport {
  verdict: Verdict;
  invariants: InvariantResult[];
}

export function evaluate(
  data: SummaryData,
  invariants: readonly string[],
  unestablished: string[] = [],
): RunReport & { thresholds: ThresholdResult[] } {
  const inv = invariantResults(data, invariants);
  const { setup_data: _dropped, ...clean } = data;
  const th = thresholdResults(clean as SummaryData);
  const failedThresholds = th.filter((t) => !t.ok && !isInvariantThreshold(t)).map((t) => `${t.metric}: ${t.expr}`);
  const v = verdictOf({
    results: inv,
    failedThresholds,
    interrupted: interruption(),
    setupAborted: setupFailed(data),
    unestablished,
  });
  return { verdict: v, invariants: inv, thresholds: th };
}

/** handleSummary for a scenario: stdout always, the three report files when REPORT_DIR is set. */
export function report(
  scenario: string,
  invariants: readonly string[],
  data: SummaryData,
  extras: ReportExtras = {},
): Record<string, string> {
  const { verdict: v, invariants: inv, thresholds: th } = evaluate(data, invariants, extras.unestablished);
  const { setup_data: _dropped, ...clean } = data;
  const notes = extras.notes ?? [];
  const thresholdsOn = valora.runStatus().thresholds;
  const preface = extras.preface && extras.preface.length > 0 ? `\n${extras.preface.join("\n")}\n` : "";
  const out: Record<string, string> = {
    ...(extras.files ?? {}),
    stdout: redact(preface + text(scenario, clean as SummaryData, th, inv, v, notes, thresholdsOn)),
  };
  if (cfg.reportDir) {
    const base = `${cfg.reportDir}/${scenario}`;
    const json = {
      ...clean,
      valora_k6: { verdict: v.name, reasons: v.reasons, notes, invariants: inv, ...(extras.flavor ? { flavor: extras.flavor } : {}) },
    };
    out[`${base}.summary.json`] = redact(JSON.stringify(json, null, 2));
    out[`${base}.junit.xml`] = redact(junit(scenario, clean as SummaryData, th, inv, v, extras.cases ?? []));
    out[`${base}.invariants.md`] = redact(markdown(scenario, inv, v, notes));
  }
  return out;
}
