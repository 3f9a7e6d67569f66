// billing_reconciliation: billed exactly once. The run creates its own customer and ACTIVE subscription (a
// PER_UNIT price on its own meter), moves the subscription's start into the past, and ingests a known set of
// usage events under load: distinct events, sequential retries, identical posts sent by every VU at the same
// instant, keys that differ only by surrounding whitespace, and events recorded outside the billing window. It
// then waits for Valora's snapshot worker to enrich them, moves its subscription's OPEN cycle over the window,
// waits for the scheduler to close, rate and invoice it, and reconciles the invoice with what it sent.
//
// Valora has no HTTP route for billing cycles: against a real Valora the moves are SQL on its database
// (ADMIN_DATABASE_URL, through k6/x/valora moveBilling), touching only the subscription this run created (its
// id, org, customer and the run tag in its metadata must all match). Against the stand-in they go through its
// stand-in-only seam, /standin/billing. Which one is used is decided by asking the server: only the stand-in
// answers GET /standin/billing with {"valora_standin":true}.
//
// The event values make a copy visible in the total: a distinct event is worth 1 or 2 (all of them together less
// than 1,000), a duplicated one 1,000, an event outside the window 1,000,000.
import exec from "k6/execution";
import { sleep } from "k6";
import http from "k6/http";
import * as valora from "k6/x/valora";
import { cfg, variables } from "../framework/config";
import { api, bodyJson, expect2xx, isObject, unreachable, type Response } from "../framework/http";
import { defineInvariants } from "../framework/invariants";
import { excerpt, info, warn } from "../framework/log";
import { abort, assertApiKey, assertReachable, withRetry } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";
import { createCustomer, ensureMeter, subscribe } from "./provision";
import { CLIENT_RETRY, postUsage } from "./usage";

const v = variables("billing_reconciliation", {
  BILLING_DISTINCT_EVENTS: {
    kind: "int",
    def: 300,
    min: 10,
    max: 600,
    doc: "distinct usage events inside the billing window (worth 1 or 2 each)",
  },
  BILLING_VUS: {
    kind: "int",
    def: 10,
    min: 2,
    max: 100,
    doc: "VUs that ingest the distinct events, and that post each concurrent duplicate at the same instant",
  },
  BILLING_RETRIES: {
    kind: "int",
    def: 4,
    min: 1,
    max: 50,
    doc: "sequential retries of each retried event",
  },
});

const { holds, notCheckedNow, names } = defineInvariants({
  billed_quantity_exact: {
    description: "The invoiced quantity equals the sum of the values of the distinct accepted events inside the cycle's window.",
  },
  billed_amount_exact: {
    description:
      "Every invoice line's amount is its quantity × the unit price, rounded half up (PER_UNIT), and the subtotal is the sum of the lines.",
  },
  one_invoice_per_cycle: { description: "Exactly one invoice is issued for the billing cycle, and no second one later." },
  duplicates_not_billed: {
    description:
      "No retried, concurrently duplicated or whitespace-variant event is billed twice: the invoiced quantity holds no second copy of any event.",
  },
});

/** Cents per unit of the run's price: not 1, so that an amount equal to the quantity would show. */
export const UNIT_AMOUNT_CENTS = 3;
const DUPLICATE_VALUE = 1000;
const OUTSIDE_VALUE = 1_000_000;
/** Events of each duplicated kind: retried, concurrent, whitespace. */
const PER_KIND = 3;
const HOUR = 3600_000;

/** Valora's own pace (docs/valora-source.md 4.1, 4.2): no setting changes it. */
const VALORA_PACE: Pace = { snapshotMs: 2000, snapshotBatch: 50, billingMs: 60_000, jobTimeoutMs: 30_000 };

interface Pace {
  snapshotMs: number;
  snapshotBatch: number;
  billingMs: number;
  /** How long one scheduler job may run before the next starts (Valora: 30 s each). */
  jobTimeoutMs: number;
}

export interface BillingData extends SetupData {
  /** Set when nothing was created: the run is INCOMPLETE for the reason in notChecked. */
  skip: boolean;
  target: "standin" | "valora";
  pace: Pace;
  runTag: string;
  orgId: string;
  customerId: string;
  subscriptionId: string;
  meterCode: string;
  /** The billing window [windowStart, windowEnd), epoch milliseconds. */
  windowStart: number;
  windowEnd: number;
}

// ---------------------------------------------------------------- the target: the stand-in's seam or Valora's SQL

interface CycleView {
  id: string;
  status: string;
  periodStart: string;
  periodEnd: string;
  invoicedAt: string | null;
  lastError: string;
}

interface BillingView {
  accepted: number;
  cycles: CycleView[];
}

interface Move {
  startAt?: string;
  periodStart?: string;
  periodEnd?: string;
}

interface Mover {
  state(): BillingView;
  /** The state after the move, or "no open cycle". */
  move(m: Move): BillingView | "no open cycle";
}

function seamView(res: Response, what: string): BillingView {
  const b = bodyJson(res);
  const d = isObject(b) && isObject(b.data) ? b.data : undefined;
  if (res.status !== 200 || !d || !Array.isArray(d.cycles)) abort(`${what} answered ${res.status}: ${excerpt(res.body)}`);
  return {
    accepted: Number(d.accepted),
    cycles: d.cycles.filter(isObject).map((c) => ({
      id: String(c.id),
      status: String(c.status),
      periodStart: String(c.period_start),
      periodEnd: String(c.period_end),
      invoicedAt: typeof c.invoiced_at === "string" ? c.invoiced_at : null,
      lastError: String(c.last_error ?? ""),
    })),
  };
}

function mover(d: BillingData): Mover {
  if (d.target === "standin") {
    const path = `/standin/billing/subscriptions/${d.subscriptionId}`;
    return {
      state: () => seamView(withRetry(() => api("GET", path, null, { name: "GET /standin/billing/subscriptions/:id" })), `GET ${path}`),
      move(m) {
        const req = { start_at: m.startAt, period_start: m.periodStart, period_end: m.periodEnd };
        const res = api("POST", `${path}/move`, req, {
          name: "POST /standin/billing/subscriptions/:id/move",
          expect: expect2xxOr409,
        });
        if (res.status === 409) return "no open cycle";
        return seamView(res, `POST ${path}/move`);
      },
    };
  }
  const target = {
    databaseUrl: cfg.adminDatabaseUrl,
    orgId: d.orgId,
    subscriptionId: d.subscriptionId,
    customerId: d.customerId,
    runTag: d.runTag,
  };
  return {
    state: () => valora.billingState(target),
    move(m) {
      try {
        return valora.moveBilling({ ...target, ...m });
      } catch (e) {
        if (/no OPEN billing cycle/.test(String(e))) return "no open cycle";
        abort(`ADMIN_DATABASE_URL: moving subscription ${d.subscriptionId} failed: ${String(e)}`);
      }
    },
  };
}

const expect2xxOr409 = http.expectedStatuses({ min: 200, max: 299 }, 409);
const expect2xxOr404 = http.expectedStatuses({ min: 200, max: 299 }, 404);

/** The stand-in's pace, if the server is the stand-in: only it answers this route with this JSON. */
function standinPace(): Pace | undefined {
  const res = withRetry(() => api("GET", "/standin/billing", null, { name: "GET /standin/billing", expect: expect2xxOr404 }));
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || b.valora_standin !== true) return undefined;
  return {
    snapshotMs: Number(b.snapshot_interval_ms),
    snapshotBatch: Number(b.snapshot_batch),
    billingMs: Number(b.billing_interval_ms),
    // The stand-in's jobs never spin: a tick's jobs take milliseconds.
    jobTimeoutMs: 0,
  };
}

// ---------------------------------------------------------------- setup: the run's own customer and subscription

const iso = (ms: number): string => new Date(ms).toISOString();

/** The org of a customer the run created, as Valora reports it. */
function customerOrg(customerId: string): string {
  const res = withRetry(() => api("GET", `/api/customers/${customerId}`, null, { name: "GET /api/customers/:id", expect: expect2xx }));
  const b = bodyJson(res);
  const c = isObject(b) && isObject(b.data) ? b.data : {};
  const org = String(c.organization_id ?? c.OrgID ?? "");
  if (res.status !== 200 || !/^\d+$/.test(org)) abort(`GET /api/customers/${customerId} does not show the customer this run created: ${excerpt(res.body)}`);
  return org;
}

/** ORG_ID, when set, must be the org the run creates its subscription in: the key's. */
function refuseAnotherOrg(orgId: string): void {
  if (cfg.explicit.orgId && orgId !== cfg.orgId) {
    abort(
      `ORG_ID ${cfg.orgId} is not the org of API_KEY (${orgId}), in which this run creates its subscription: ` +
        "refusing to move billing in an org the run did not create its subscription in",
    );
  }
}

function setup(): BillingData {
  assertReachable();
  assertApiKey();
  if (valora.instanceShare(v.BILLING_VUS) !== v.BILLING_VUS) {
    abort("billing_reconciliation cannot run split (--execution-segment): every event's fate must be known to one process");
  }
  const pace = standinPace();
  const target = pace ? "standin" : "valora";
  const none: BillingData = {
    skip: true,
    target,
    pace: pace ?? VALORA_PACE,
    runTag: "",
    orgId: "",
    customerId: "",
    subscriptionId: "",
    meterCode: "",
    windowStart: 0,
    windowEnd: 0,
    notChecked: {},
  };
  if (!pace && !cfg.adminDatabaseUrl) {
    const reason =
      "ADMIN_DATABASE_URL is not set: Valora has no HTTP route to move a billing cycle into the past, so no invoice " +
      "can be made within a run (set it to Valora's database to let the run move its own subscription's cycle)";
    for (const n of names) none.notChecked![n] = reason;
    warn(`billing_reconciliation: ${reason}; nothing was created`);
    return none;
  }

  const runTag = valora.idempotencyKey("k6-bill");
  const meterCode = "k6_billing_calls";
  const meter = ensureMeter(cfg.apiKey, meterCode);
  const customerId = createCustomer(cfg.apiKey, `k6 billing reconciliation ${runTag}`, `${runTag}@example.com`);
  refuseAnotherOrg(customerOrg(customerId));
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const sub = subscribe(cfg.apiKey, customerId, meter.id, {
    unitAmountCents: UNIT_AMOUNT_CENTS,
    // In effect before the window opens: Valora rates a window only at a price amount in effect at its start.
    effectiveFrom: iso(now - 24 * HOUR),
    metadata: { valora_k6_run: runTag },
  });
  // The org is the one the run created its subscription in, read back from Valora: nothing else is ever moved.
  const got = withRetry(() =>
    api("GET", `/api/subscriptions/${sub.subscriptionId}`, null, { name: "GET /api/subscriptions/:id", expect: expect2xx }),
  );
  const b = bodyJson(got);
  const s = isObject(b) && isObject(b.data) ? b.data : {};
  const orgId = String(s.OrgID ?? s.organization_id ?? "");
  const owner = String(s.CustomerID ?? s.customer_id ?? "");
  if (got.status !== 200 || !/^\d+$/.test(orgId) || owner !== customerId) {
    abort(`GET /api/subscriptions/${sub.subscriptionId} does not show the subscription this run created: ${excerpt(got.body)}`);
  }
  refuseAnotherOrg(orgId);
  const data: BillingData = {
    ...none,
    skip: false,
    runTag,
    orgId,
    customerId,
    subscriptionId: sub.subscriptionId,
    meterCode,
    windowStart: now - 2 * HOUR,
    windowEnd: now - HOUR,
  };
  // The snapshot matches an event to a subscription only if it had started at recorded_at: start it 3 h ago.
  mover(data).move({ startAt: iso(now - 3 * HOUR) });
  info(
    `billing_reconciliation: ${target === "standin" ? "the stand-in (its /standin/billing seam)" : "Valora (SQL on ADMIN_DATABASE_URL)"}; ` +
      `customer ${customerId}, subscription ${sub.subscriptionId} in org ${orgId} (run tag ${runTag}); ` +
      `window [${iso(data.windowStart)}, ${iso(data.windowEnd)})`,
  );
  return data;
}

// ---------------------------------------------------------------- ingest: the known set of events

type Fate = "accepted" | "refused" | "unknown";

/** Posts one event's body until a definite answer: a real client retries with the same key, which is safe. */
function post(body: string): Fate {
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = postUsage(body, CLIENT_RETRY);
    if (res.status >= 200 && res.status < 300) return "accepted";
    if (res.status >= 400 && res.status < 500 && res.status !== 429) {
      warn(`billing_reconciliation: an event was refused (${res.status}): ${excerpt(res.body)}`);
      return "refused";
    }
    if (!unreachable(res) && res.status !== 429 && res.status < 500) return "unknown";
    sleep(0.5);
  }
  return "unknown";
}

function body(d: BillingData, key: string, value: number, at: number): string {
  return JSON.stringify({
    customer_id: d.customerId,
    meter_code: d.meterCode,
    value,
    recorded_at: iso(at),
    idempotency_key: key,
  });
}

/** Records the fate of one logical event (after all its posts): its value counts once, if it was stored. */
function settle(kind: "in" | "dup" | "out", key: string, value: number, fates: Fate[]): void {
  if (fates.includes("accepted")) {
    if (valora.firstSeen("billing/accepted", key)) valora.count(`billing/${kind}`, kind === "in" ? value : 1);
  } else if (fates.includes("unknown") && valora.firstSeen("billing/unknown", key)) {
    // Another VU's post of the same key may still be accepted: teardown counts only keys never accepted.
    valora.agree(`billing/unknown/${valora.count("billing/unknowns", 1) - 1}`, key);
  }
}

/** Events whose every post went unanswered (5xx, throttled, unreachable): whether Valora stored them is unknown. */
function unknownEvents(): number {
  let n = 0;
  for (let i = 0; i < valora.count("billing/unknowns"); i++) {
    if (!valora.seen("billing/accepted", valora.agree(`billing/unknown/${i}`, ""))) n++;
  }
  return n;
}

function distinct(d: BillingData): void {
  if (d.skip) return;
  const i = exec.scenario.iterationInTest;
  const step = Math.floor(HOUR / (v.BILLING_DISTINCT_EVENTS + 2));
  const value = 1 + (i % 2);
  const key = `${d.runTag}-d-${i}`;
  // Event 0 is recorded exactly at period_start: the window includes its start.
  settle("in", key, value, [post(body(d, key, value, d.windowStart + i * step))]);
}

function retried(d: BillingData): void {
  if (d.skip) return;
  const j = exec.scenario.iterationInTest;
  const key = `${d.runTag}-r-${j}`;
  const b = body(d, key, DUPLICATE_VALUE, d.windowStart + 1000 + j);
  const fates: Fate[] = [];
  for (let n = 0; n <= v.BILLING_RETRIES; n++) fates.push(post(b));
  settle("dup", key, DUPLICATE_VALUE, fates);
}

function concurrent(d: BillingData): void {
  if (d.skip) return;
  const j = exec.vu.iterationInScenario;
  const key = `${d.runTag}-c-${j}`;
  if (!valora.barrier(`${d.runTag}-c-${j}`, v.BILLING_VUS, 30)) {
    notCheckedNow("duplicates_not_billed", `the ${v.BILLING_VUS} VUs did not meet at the barrier within 30 s, so the posts of event ${j} were not concurrent`);
  }
  settle("dup", key, DUPLICATE_VALUE, [post(body(d, key, DUPLICATE_VALUE, d.windowStart + 2000 + j))]);
}

function whitespace(d: BillingData): void {
  if (d.skip) return;
  const j = exec.scenario.iterationInTest;
  const key = `${d.runTag}-w-${j}`;
  const at = d.windowStart + 3000 + j;
  const fates = [key, ` ${key}`, `${key}\t`, `\n ${key}  `].map((k) => post(body(d, k, DUPLICATE_VALUE, at)));
  settle("dup", key, DUPLICATE_VALUE, fates);
}

function outside(d: BillingData): void {
  if (d.skip) return;
  // Just before the window, long before it, exactly at period_end (the window excludes its end), after it.
  const times = [d.windowStart - 1, d.windowStart - HOUR / 2, d.windowEnd, d.windowEnd + HOUR / 2];
  times.forEach((at, n) => {
    const key = `${d.runTag}-o-${n}`;
    settle("out", key, OUTSIDE_VALUE, [post(body(d, key, OUTSIDE_VALUE, at))]);
  });
}

// ---------------------------------------------------------------- teardown: wait for the invoice and reconcile

/** Polls `fn` every `everyMs` until it returns a value, or `timeoutMs` passed (then undefined). */
function poll<T>(timeoutMs: number, everyMs: number, fn: () => T | undefined): T | undefined {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = fn();
    if (got !== undefined || Date.now() >= deadline) return got;
    sleep(Math.min(everyMs, Math.max(deadline - Date.now(), 10)) / 1000);
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

/** The events the run sent, as the scenarios counted them. */
function sentEvents(): number {
  return v.BILLING_DISTINCT_EVENTS + PER_KIND * (v.BILLING_RETRIES + 1) + PER_KIND * v.BILLING_VUS + PER_KIND * 4 + 4;
}

/** The waits, derived from the pace of the target; printed before waiting. */
export function waits(p: Pace, events: number): { snapshot: number; cycle: number; invoice: number; again: number } {
  return {
    // Every snapshot run takes the oldest batch, and the run's events are back-dated, so they go first.
    snapshot: (Math.ceil(events / p.snapshotBatch) + 2) * p.snapshotMs + 5000,
    // ensure_cycles opens the cycle on the first tick after activation.
    cycle: p.billingMs + 2 * p.jobTimeoutMs + 5000,
    // The next tick runs ensure_cycles, close_cycles, rating, close_after_rating and invoice: each job before the
    // invoice may take its full timeout when other cycles are stuck (docs/valora-source.md 5).
    invoice: p.billingMs + 4 * p.jobTimeoutMs + 5000,
    // One more tick, in which a second invoice for the cycle would appear.
    again: p.billingMs + p.jobTimeoutMs + 2000,
  };
}

interface InvoiceRow {
  id: string;
  cycleId: string;
}

function invoicesOf(d: BillingData): InvoiceRow[] {
  const res = withRetry(() =>
    api("GET", "/api/invoices", null, {
      query: { customer_id: d.customerId, page_size: 250 },
      name: "GET /api/invoices?customer_id",
      expect: expect2xx,
    }),
  );
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || !Array.isArray(b.data)) abort(`GET /api/invoices answered ${res.status}: ${excerpt(res.body)}`);
  return b.data.filter(isObject).map((x) => ({ id: String(x.ID ?? x.id), cycleId: String(x.BillingCycleID ?? x.billing_cycle_id) }));
}

/** Prints a line now and keeps it for the report (teardown and handleSummary share the process, not the VU). */
function note(line: string): void {
  valora.agree(`billing/note/${valora.count("billing/notes", 1) - 1}`, line);
  info(`billing_reconciliation: ${line}`);
}

function notes(): string[] {
  const out: string[] = [];
  for (let i = 0; i < valora.count("billing/notes"); i++) out.push(valora.agree(`billing/note/${i}`, ""));
  return out;
}

function reconcile(d: BillingData): void {
  if (d.skip) return;
  const m = mover(d);
  const w = waits(d.pace, sentEvents());
  const target = d.target === "standin" ? "the stand-in's" : "Valora's";
  note(
    `waits derived from ${target} pace (snapshot every ${seconds(d.pace.snapshotMs)}, ${d.pace.snapshotBatch} events a run; ` +
      `scheduler every ${seconds(d.pace.billingMs)}, jobs up to ${seconds(d.pace.jobTimeoutMs)} each): ` +
      `snapshot backlog ≤ ${seconds(w.snapshot)} for ${sentEvents()} posts, OPEN cycle ≤ ${seconds(w.cycle)}, ` +
      `invoice ≤ ${seconds(w.invoice)}, then ${seconds(w.again)} more for a second invoice`,
  );
  const reasonAll = (why: string): void => {
    for (const n of names) notCheckedNow(n, why);
  };

  // 1. Every event enriched: rating counts only enriched events, and a rated cycle is never rated again.
  const drained = poll(w.snapshot, Math.min(d.pace.snapshotMs, 1000), () => {
    const st = m.state();
    return st.accepted === 0 ? st : undefined;
  });
  if (!drained) {
    reasonAll(`the snapshot worker had not enriched the run's events within ${seconds(w.snapshot)}: rating would miss them`);
    return;
  }
  // 2. The OPEN cycle, then move it over the window.
  let moved: BillingView | undefined;
  const opened = poll(w.cycle, Math.min(d.pace.billingMs / 4, 2000), () => {
    const r = m.move({ periodStart: iso(d.windowStart), periodEnd: iso(d.windowEnd) });
    if (r === "no open cycle") return undefined;
    moved = r;
    return r;
  });
  if (!opened || !moved) {
    reasonAll(`the scheduler opened no billing cycle for subscription ${d.subscriptionId} within ${seconds(w.cycle)}`);
    return;
  }
  const cycle = moved.cycles.find((c) => c.status === "OPEN" && Date.parse(c.periodEnd) === d.windowEnd);
  if (!cycle) {
    reasonAll(`the moved cycle is not in the billing state: ${JSON.stringify(moved.cycles)}`);
    return;
  }
  note(`cycle ${cycle.id} moved to [${iso(d.windowStart)}, ${iso(d.windowEnd)})`);

  // 3. Its invoice.
  const found = poll(w.invoice, Math.min(d.pace.billingMs / 4, 2000), () => {
    const mine = invoicesOf(d).filter((x) => x.cycleId === cycle.id);
    return mine.length > 0 ? mine : undefined;
  });
  if (!found) {
    const st = m.state().cycles.find((c) => c.id === cycle.id);
    holds(
      "one_invoice_per_cycle",
      false,
      "the closed billing cycle gets its invoice",
      () =>
        `no invoice for cycle ${cycle.id} within ${seconds(w.invoice)}: the cycle is ${st?.status ?? "gone"}` +
        (st?.lastError ? ` (last_error: ${st.lastError})` : ""),
    );
    for (const n of ["billed_quantity_exact", "billed_amount_exact", "duplicates_not_billed"] as const) {
      notCheckedNow(n, `no invoice for cycle ${cycle.id} appeared within ${seconds(w.invoice)}`);
    }
    return;
  }
  // 4. One more tick: a second invoice for the cycle would appear now.
  sleep(w.again / 1000);
  const all = invoicesOf(d).filter((x) => x.cycleId === cycle.id);
  holds(
    "one_invoice_per_cycle",
    all.length === 1,
    "exactly one invoice for the billing cycle",
    () => `${all.length} invoices for cycle ${cycle.id}: ${all.map((x) => x.id).join(", ")}`,
  );

  const res = withRetry(() => api("GET", `/api/invoices/${found[0].id}`, null, { name: "GET /api/invoices/:id", expect: expect2xx }));
  const b = bodyJson(res);
  const inv = isObject(b) && isObject(b.data) ? b.data : undefined;
  if (res.status !== 200 || !inv || !Array.isArray(inv.items)) abort(`GET /api/invoices/${found[0].id} answered ${res.status}: ${excerpt(res.body)}`);
  const items = inv.items.filter(isObject);
  const billed = items.reduce((sum, it) => sum + Number(it.Quantity), 0);

  // The expectation, from what Valora accepted.
  const inSum = valora.count("billing/in");
  const dups = valora.count("billing/dup");
  const outs = valora.count("billing/out");
  const unknown = unknownEvents();
  const expected = inSum + dups * DUPLICATE_VALUE;
  note(
    `invoice ${String(inv.InvoiceNumber ?? inv.ID)}: quantity ${billed}, subtotal ${String(inv.SubtotalAmount)}¢; expected ${expected} ` +
      `(${inSum} from distinct events, ${dups} duplicated events × ${DUPLICATE_VALUE}; ${outs} events outside the window not billed)`,
  );
  if (unknown > 0) {
    const why = `${unknown} events got no definite answer (5xx, throttled or unreachable after retries), so what was stored is unknown`;
    notCheckedNow("billed_quantity_exact", why);
    notCheckedNow("duplicates_not_billed", why);
  }
  holds(
    "billed_quantity_exact",
    billed === expected,
    "the invoiced quantity is the sum of the distinct accepted events inside the window",
    () => {
      const out = Math.floor(billed / OUTSIDE_VALUE);
      return `billed ${billed}, expected ${expected}` + (out > 0 ? `: ${out} events outside the window were billed` : "");
    },
  );
  holds(
    "duplicates_not_billed",
    billed % OUTSIDE_VALUE <= expected,
    "no duplicate is billed twice",
    () => `billed ${billed % OUTSIDE_VALUE} inside the window, ${(billed % OUTSIDE_VALUE) - expected} more than the distinct events sent`,
  );
  const lines: string[] = [];
  let subtotal = 0;
  for (const it of items) {
    const qty = Number(it.Quantity);
    const amount = Number(it.Amount);
    subtotal += amount;
    const want = Math.floor(qty * UNIT_AMOUNT_CENTS + 0.5);
    if (Number(it.UnitPrice) !== UNIT_AMOUNT_CENTS) lines.push(`a line's unit price is ${String(it.UnitPrice)}, not ${UNIT_AMOUNT_CENTS}`);
    if (amount !== want) lines.push(`a line of quantity ${qty} is ${amount}¢, not ${want}¢`);
  }
  if (Number(inv.SubtotalAmount) !== subtotal) lines.push(`the subtotal is ${String(inv.SubtotalAmount)}¢, not the lines' ${subtotal}¢`);
  if (Number(inv.TotalAmount) !== Number(inv.SubtotalAmount) + Number(inv.TaxAmount ?? 0)) {
    lines.push(`the total ${String(inv.TotalAmount)}¢ is not the subtotal plus tax`);
  }
  if (items.length === 0) lines.push("the invoice has no lines");
  holds("billed_amount_exact", lines.length === 0, "the invoice's amounts are quantity × unit price", () => lines.join("; "));
}

const catches = {
  "rating-double": ["billed_quantity_exact", "duplicates_not_billed"],
  "invoice-twice": ["one_invoice_per_cycle"],
  "rating-window": ["billed_quantity_exact"],
  "rating-amount": ["billed_amount_exact"],
};

/** The longest teardown a real Valora may need (the stand-in's pace is faster), known at init. */
function teardownSeconds(): number {
  const w = waits(VALORA_PACE, 600 + PER_KIND * (50 + 1) + PER_KIND * 100 + PER_KIND * 4 + 4);
  return Math.ceil((w.snapshot + w.cycle + w.invoice + w.again) / 1000) + 60;
}

export const billingReconciliation: Scenario<BillingData> = {
  name: "billing_reconciliation",
  invariants: names,
  scenarios: {
    distinct: {
      executor: "shared-iterations",
      vus: v.BILLING_VUS,
      iterations: v.BILLING_DISTINCT_EVENTS,
      maxDuration: "10m",
      exec: "distinct",
    },
    retried: { executor: "per-vu-iterations", vus: PER_KIND, iterations: 1, maxDuration: "10m", exec: "retried" },
    concurrent: {
      executor: "per-vu-iterations",
      vus: v.BILLING_VUS,
      iterations: PER_KIND,
      maxDuration: "10m",
      exec: "concurrent",
    },
    whitespace: { executor: "per-vu-iterations", vus: 1, iterations: PER_KIND, maxDuration: "10m", exec: "whitespace" },
    outside: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "10m", exec: "outside" },
  },
  thresholds: {},
  extraOptions: { setupTimeout: "2m", teardownTimeout: `${teardownSeconds()}s` },
  setup,
  iterations: { distinct, retried, concurrent, whitespace, outside },
  teardown: reconcile,
  notes,
  catches,
};
