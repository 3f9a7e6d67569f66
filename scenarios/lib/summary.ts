// End-of-test reports, written by every scenario's handleSummary: a compact text summary on stdout and, with
// REPORT_DIR, <scenario>.summary.json, <scenario>.junit.xml and <scenario>.invariants.md. setup() data never
// reaches any of them: k6 hands it over as `setup_data`, and it holds sessions and keys.
import { cfg } from "./config";
import { advisory, INVARIANTS, noSampleReason, runtimeReason, type InvariantName, type NotChecked } from "./invariants";
import { redact } from "./log";

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

export type Status = "held" | "violated" | "finding" | "not checked";

export interface InvariantResult {
  name: InvariantName;
  status: Status;
  passes: number;
  fails: number;
  /** Why not checked, or what the finding means. */
  note: string;
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

function notCheckedOf(data: SummaryData): NotChecked {
  const s = data.setup_data;
  if (s && typeof s === "object" && "notChecked" in s) {
    const nc = (s as { notChecked?: unknown }).notChecked;
    if (nc && typeof nc === "object") return nc as NotChecked;
  }
  return {};
}

/** Every scenario's setup returns an object; none reaching handleSummary means setup failed and the run aborted. */
function setupFailed(data: SummaryData): boolean {
  return data.setup_data === undefined || data.setup_data === null;
}

export function invariantResults(data: SummaryData, names: readonly InvariantName[]): InvariantResult[] {
  const notChecked = notCheckedOf(data);
  const aborted = setupFailed(data);
  return names.map((name) => {
    const v = data.metrics[`checks{invariant:${name}}`]?.values ?? {};
    const passes = v.passes ?? 0;
    const fails = v.fails ?? 0;
    const runtime = data.metrics[`invariant_not_checked{invariant:${name}}`]?.values.count ?? 0;
    let status: Status;
    let note = "";
    if (fails > 0) {
      status = advisory(name) ? "finding" : "violated";
      if (status === "finding") {
        note =
          name === "webhook_rejects_stale_timestamp"
            ? "stale signatures are accepted (reported only; STRICT_WEBHOOK_TIMESTAMP=true makes this fail)"
            : "a documented Valora limitation, reported only";
      }
    } else if (passes > 0) {
      status = "held";
    } else {
      status = "not checked";
      note =
        (runtime > 0 ? runtimeReason(name) : undefined) ??
        notChecked[name] ??
        (aborted ? "setup failed, the run was aborted (see its reason above)" : noSampleReason(name));
    }
    return { name, status, passes, fails, note };
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

function verdict(th: ThresholdResult[], aborted: boolean): string {
  const failed = th.filter((t) => !t.ok).length;
  if (aborted) return "ABORTED (setup failed)";
  return failed === 0 ? "PASSED" : `FAILED (${failed} of ${th.length} thresholds)`;
}

function text(
  scenario: string,
  data: SummaryData,
  th: ThresholdResult[],
  inv: InvariantResult[],
  aborted: boolean,
): string {
  const secs = ((data.state?.testRunDurationMs ?? 0) / 1000).toFixed(1);
  const lines: string[] = [];
  lines.push("");
  lines.push(`valora-k6 · ${scenario} · ${secs}s · ${verdict(th, aborted)}`);

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
      const mark = i.status === "held" ? "✓" : i.status === "violated" ? "✗" : i.status === "finding" ? "!" : "-";
      const counts = i.passes + i.fails > 0 ? `${i.fails} of ${i.passes + i.fails} failed` : "";
      const detail = i.status === "held" ? `${i.passes} checks` : [counts, i.note].filter(Boolean).join("; ");
      lines.push(`  ${mark} ${pad(i.name, w)}  ${pad(i.status.toUpperCase(), 11)}  ${detail}`);
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
      const v = m.values;
      lines.push(
        `  ${pad(k, w)}  ${pad(fmt(v.avg, unit), 10)} ${pad(fmt(v["p(95)"], unit), 10)} ${pad(fmt(v["p(99)"], unit), 10)} ${fmt(v.max, unit)}`,
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

function junit(
  scenario: string,
  data: SummaryData,
  th: ThresholdResult[],
  inv: InvariantResult[],
  aborted: boolean,
): string {
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  if (aborted) {
    failures++;
    cases.push(
      `    <testcase classname="${xml(scenario)}" name="setup">\n      <failure message="setup failed: the run was aborted"/>\n    </testcase>`,
    );
  }
  for (const t of th.filter((x) => !isInvariantThreshold(x))) {
    const name = xml(`${t.metric}: ${t.expr}`);
    if (t.ok) {
      cases.push(`    <testcase classname="${xml(scenario)}.thresholds" name="${name}"/>`);
    } else {
      failures++;
      cases.push(
        `    <testcase classname="${xml(scenario)}.thresholds" name="${name}">\n` +
          `      <failure message="${xml(`threshold crossed: ${t.expr} (actual ${fmt(t.actual, t.unit)})`)}"/>\n    </testcase>`,
      );
    }
  }
  for (const i of inv) {
    const open = `    <testcase classname="${xml(scenario)}.invariants" name="${xml(i.name)}"`;
    if (i.status === "violated") {
      failures++;
      cases.push(
        `${open}>\n      <failure message="${xml(`${i.fails} of ${i.passes + i.fails} checks failed: ${INVARIANTS[i.name]}`)}"/>\n    </testcase>`,
      );
    } else if (i.status === "not checked") {
      skipped++;
      cases.push(`${open}>\n      <skipped message="${xml(i.note)}"/>\n    </testcase>`);
    } else if (i.status === "finding") {
      cases.push(
        `${open}>\n      <system-out>${xml(`finding: ${i.note} (${i.fails} of ${i.passes + i.fails})`)}</system-out>\n    </testcase>`,
      );
    } else {
      cases.push(`${open}/>`);
    }
  }
  const secs = ((data.state?.testRunDurationMs ?? 0) / 1000).toFixed(3);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="valora-k6" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${secs}">\n` +
    `  <testsuite name="${xml(scenario)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${secs}">\n` +
    `${cases.join("\n")}\n  </testsuite>\n</testsuites>\n`
  );
}

function markdown(scenario: string, inv: InvariantResult[], aborted: boolean): string {
  const lines = [`# Invariants: ${scenario}`, ""];
  if (aborted) lines.push("**The run was aborted: setup failed.**", "");
  lines.push("| Invariant | Status | Checks | Details |", "|---|---|---|---|");
  for (const i of inv) {
    const checks = i.passes + i.fails > 0 ? `${i.passes} held, ${i.fails} failed` : "-";
    const status = i.status === "violated" ? "**violated**" : i.status;
    const detail = `${INVARIANTS[i.name]}${i.note ? ` — ${i.note}` : ""}`.replace(/\|/g, "\\|");
    lines.push(`| \`${i.name}\` | ${status} | ${checks} | ${detail} |`);
  }
  lines.push("");
  return lines.join("\n");
}

export interface ReportExtras {
  /** Lines printed before the summary (redacted like everything on stdout). */
  preface?: string[];
  /** Files written as given: the caller vouches that they may hold what they hold. */
  files?: Record<string, string>;
}

/** handleSummary for a scenario: stdout always, the three report files when REPORT_DIR is set. */
export function report(
  scenario: string,
  data: SummaryData,
  invariants: readonly InvariantName[],
  extras: ReportExtras = {},
): Record<string, string> {
  const inv = invariantResults(data, invariants);
  const aborted = setupFailed(data);
  const { setup_data: _dropped, ...clean } = data;
  const th = thresholdResults(clean as SummaryData);
  const preface = extras.preface && extras.preface.length > 0 ? `\n${extras.preface.join("\n")}\n` : "";
  const out: Record<string, string> = {
    ...(extras.files ?? {}),
    stdout: redact(preface + text(scenario, clean as SummaryData, th, inv, aborted)),
  };
  if (cfg.reportDir) {
    const base = `${cfg.reportDir}/${scenario}`;
    out[`${base}.summary.json`] = redact(JSON.stringify(clean, null, 2));
    out[`${base}.junit.xml`] = redact(junit(scenario, clean as SummaryData, th, inv, aborted));
    out[`${base}.invariants.md`] = redact(markdown(scenario, inv, aborted));
  }
  return out;
}
