// Micro-benchmarks inside one k6 VU: every case runs in batches of a fixed number of operations, and the cases
// take turns batch after batch (A B C, B C A, …), so the machine's noise falls on all of them alike. k6 has no
// sub-millisecond clock, so each batch is sized to last BATCH_MS by Date.now().

export interface Case {
  name: string;
  /** One operation; its result is kept so nothing is optimised away. */
  op: () => unknown;
}

export interface CaseResult {
  name: string;
  /** Operations per batch. */
  batch: number;
  /** Nanoseconds per operation, one figure per round. */
  nsPerOp: number[];
}

export interface MicroResult {
  rounds: number;
  batchMs: number;
  cases: CaseResult[];
  /** Sum over every result's length: returned so no operation's result is dead. */
  checksum: number;
}

export interface MicroConfig {
  rounds: number;
  batchMs: number;
}

/** ROUNDS and BATCH_MS from the environment (the harness sets them), with defaults for a manual run. */
export function microConfig(): MicroConfig {
  const int = (name: string, def: number): number => {
    const v = __ENV[name];
    if (v === undefined || v === "") return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: a positive integer, got "${v}"`);
    return n;
  };
  return { rounds: int("ROUNDS", 9), batchMs: int("BATCH_MS", 200) };
}

let sink = 0;

function keep(v: unknown): void {
  sink += typeof v === "string" ? v.length : v ? 1 : 0;
}

function timeBatch(c: Case, n: number): number {
  const start = Date.now();
  for (let i = 0; i < n; i++) keep(c.op());
  return Date.now() - start;
}

/** Operations that fill about `ms` milliseconds: doubles until a batch takes a quarter of it, then scales. */
function calibrate(c: Case, ms: number): number {
  let n = 1;
  for (;;) {
    const took = timeBatch(c, n);
    if (took >= ms / 4 || n >= 1 << 26) return Math.max(1, Math.round((n * ms) / Math.max(took, 1)));
    n *= 2;
  }
}

export function run(cases: Case[], cfg: MicroConfig): MicroResult {
  const batches = cases.map((c) => calibrate(c, cfg.batchMs));
  const results: CaseResult[] = cases.map((c, i) => ({ name: c.name, batch: batches[i], nsPerOp: [] }));
  for (let r = 0; r < cfg.rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (r + k) % cases.length;
      const ms = timeBatch(cases[i], batches[i]);
      results[i].nsPerOp.push((ms * 1e6) / batches[i]);
    }
  }
  return { rounds: cfg.rounds, batchMs: cfg.batchMs, cases: results, checksum: sink };
}

/** handleSummary for a micro-benchmark: setup()'s result goes to BENCH_OUT as JSON, nothing else is printed. */
export function writeResult(data: { setup_data?: unknown }): Record<string, string> {
  const out = __ENV.BENCH_OUT;
  if (!out) return { stdout: `${JSON.stringify(data.setup_data, null, 2)}\n` };
  return { [out]: JSON.stringify(data.setup_data) };
}
