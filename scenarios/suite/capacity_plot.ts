// The capacity plot: p95 of the accepted events and the error rate against the events/s of each step, with the
// budget, the error limit and the knee marked. Plain SVG (and an HTML page around it), so reading it needs nothing
// but a browser.
import type { CapacityResult } from "./capacity";

const W = 720;
const H = 360;
const M = { left: 64, right: 64, top: 40, bottom: 48 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least x. */
function niceTop(x: number): number {
  if (x <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function plotSvg(r: CapacityResult): string {
  const run = r.steps.filter((s) => s.outcome === "held" || s.outcome === "broke");
  const xs = r.steps.map((s) => s.events_per_s);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const msTop = niceTop(Math.max(r.budget_p95_ms * 1.5, ...run.map((s) => s.p95_ms ?? 0)));
  const errTop = niceTop(Math.max(r.max_error_rate * 200, ...run.map((s) => 100 * s.error_rate)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (xMax === xMin ? pw / 2 : ((v - xMin) / (xMax - xMin)) * pw);
  const yMs = (v: number): number => M.top + ph - (Math.min(v, msTop) / msTop) * ph;
  const yErr = (v: number): number => M.top + ph - (Math.min(v, errTop) / errTop) * ph;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(`capacity: ${r.knee_rps === null ? "no step held" : `knee ${r.knee_is_lower_bound ? "≥ " : ""}${r.knee_rps} events/s`} (limit: ${r.limit})`)}</text>`,
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="black"/>`,
    `<line x1="${M.left + pw}" y1="${M.top}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const f = i / 4;
    const yy = M.top + ph - f * ph;
    out.push(
      `<line x1="${M.left}" y1="${yy}" x2="${M.left + pw}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${yy + 4}" text-anchor="end" fill="#1f5fbf">${+(f * msTop).toFixed(1)} ms</text>`,
      `<text x="${M.left + pw + 6}" y="${yy + 4}" fill="#c0392b">${+(f * errTop).toFixed(2)} %</text>`,
    );
  }
  for (const s of r.steps) {
    out.push(`<text x="${x(s.events_per_s)}" y="${M.top + ph + 16}" text-anchor="middle">${s.events_per_s}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">usage events/s (step rate)</text>`);
  // The limits.
  out.push(
    `<line x1="${M.left}" y1="${yMs(r.budget_p95_ms)}" x2="${M.left + pw}" y2="${yMs(r.budget_p95_ms)}" stroke="#1f5fbf" stroke-dasharray="6 4"/>`,
    `<text x="${M.left + 4}" y="${yMs(r.budget_p95_ms) - 4}" fill="#1f5fbf">p95 budget ${r.budget_p95_ms} ms</text>`,
    `<line x1="${M.left}" y1="${yErr(100 * r.max_error_rate)}" x2="${M.left + pw}" y2="${yErr(100 * r.max_error_rate)}" stroke="#c0392b" stroke-dasharray="2 3"/>`,
    `<text x="${M.left + pw - 4}" y="${yErr(100 * r.max_error_rate) - 4}" text-anchor="end" fill="#c0392b">error limit ${100 * r.max_error_rate} %</text>`,
  );
  if (r.knee_rps !== null) {
    out.push(
      `<line x1="${x(r.knee_rps)}" y1="${M.top}" x2="${x(r.knee_rps)}" y2="${M.top + ph}" stroke="#27ae60" stroke-width="2"/>`,
      `<text x="${x(r.knee_rps) + 4}" y="${M.top + 12}" fill="#27ae60">knee</text>`,
    );
  }
  const line = (pts: [number, number][], color: string): void => {
    if (pts.length === 0) return;
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`);
    for (const [a, b] of pts) out.push(`<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${color}"/>`);
  };
  line(run.filter((s) => s.p95_ms !== null).map((s) => [x(s.events_per_s), yMs(s.p95_ms!)]), "#1f5fbf");
  line(run.map((s) => [x(s.events_per_s), yErr(100 * s.error_rate)]), "#c0392b");
  out.push(
    `<text x="${M.left + pw - 4}" y="${M.top - 6}" text-anchor="end"><tspan fill="#1f5fbf">● p95 (left)</tspan> <tspan fill="#c0392b">● errors (right)</tspan></text>`,
    "</svg>",
  );
  return out.join("\n") + "\n";
}

/** One page: the plot, the finding and the step table. */
export function reportHtml(r: CapacityResult, svg: string): string {
  const rows = r.steps
    .map(
      (s) =>
        `<tr><td>${s.step}</td><td>${s.events_per_s}</td><td>${s.reads_per_s}</td><td>${s.started}/${s.scheduled}</td>` +
        `<td>${s.accepted}</td><td>${(100 * s.error_rate).toFixed(2)} %</td><td>${s.p95_ms === null ? "-" : s.p95_ms.toFixed(1)}</td>` +
        `<td>${esc(s.outcome + (s.cause ? ` (${s.cause})` : ""))}</td><td>${esc(s.why ?? "")}</td></tr>`,
    )
    .join("\n");
  return (
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>valora-k6 capacity</title>` +
    `<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:last-child{text-align:left}</style>` +
    `</head><body>\n<h1>Capacity</h1>\n<p>${esc(r.summary)}</p>\n${svg}\n<table>\n` +
    `<tr><th>step</th><th>events/s</th><th>reads/s</th><th>started/scheduled</th><th>accepted</th><th>errors</th><th>p95 ms</th><th>outcome</th><th>why</th></tr>\n` +
    `${rows}\n</table>\n</body></html>\n`
  );
}
