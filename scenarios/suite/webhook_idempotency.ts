// webhook_idempotency: payment webhooks. With WEBHOOK_SECRET (Stripe) and/or ADYEN_HMAC_KEY, events are built and
// signed in the test, and setup proves each secret with one signed canary event; with WEBHOOK_PAYLOAD/WEBHOOK_HEADERS
// the given event is replayed, as in the original suite. WEBHOOK_VUS VUs deliver the same event at the same
// instant (all must get 200); one VU delivers distinct events and forged ones (tampered, wrong secret, unsigned,
// stale). With admin access, teardown checks the effect happened exactly once, waiting as long as Valora's rollup
// tick needs.
import { sleep } from "k6";
import { Trend } from "k6/metrics";
import type { Threshold } from "k6/options";
import * as valora from "k6/x/valora";
import { acceptVia, cfg, problem, variables } from "../framework/config";
import {
  admin,
  api,
  bodyJson,
  errorCodes,
  errorEnvelope,
  expect2xx,
  expect4xx,
  isObject,
  send,
  type AdminCredentials,
  type Response,
} from "../framework/http";
import { defineInvariants, type NotChecked } from "../framework/invariants";
import { excerpt, info, warn } from "../framework/log";
import { abort, assertReachable, withRetry } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";
import { acquireAdmin, configuredSource, NO_ADMIN_REASON, releaseAdmin, type AdminAuth } from "../framework/session";
import { requireSimultaneous, startTogether } from "../framework/sync";
import { checkedElsewhere } from "../framework/verdict";
import { randomHex } from "../framework/random";
import { providerSecrets } from "./providers";

const v = variables("webhook_idempotency, smoke", {
  WEBHOOK_VUS: {
    kind: "int",
    def: 10,
    min: 2,
    max: 1000,
    doc: "VUs delivering one event at one instant (at least 2 per instance)",
  },
  PAYMENT_PROVIDER: {
    kind: "enum",
    def: "",
    values: ["stripe", "adyen", "braintree"],
    doc: "the webhook route for WEBHOOK_PAYLOAD",
  },
  WEBHOOK_PAYLOAD: { kind: "json", doc: "a raw webhook body to replay, exactly as signed" },
  WEBHOOK_HEADERS: {
    kind: "headers",
    secret: true,
    doc: 'JSON object of headers sent with WEBHOOK_PAYLOAD, e.g. {"Stripe-Signature":"t=…,v1=…"}',
  },
  STRICT_WEBHOOK_TIMESTAMP: {
    kind: "bool",
    def: true,
    doc: "alias: false is the same as listing webhook_rejects_stale_timestamp in ACCEPT_VIOLATIONS",
  },
  VALORA_ROLLUP_INTERVAL: {
    kind: "seconds",
    def: "1m",
    min: 0.1,
    max: 3600,
    doc: "Valora's scheduler tick, on which balances move (fixed at 1m in Valora)",
  },
  WEBHOOK_BALANCE_TIMEOUT: {
    kind: "seconds",
    def: "",
    min: 1,
    max: 3600,
    doc: "how long to wait for the balance to move (unset: derived from the deliveries and the rollup tick)",
  },
  WEBHOOK_BALANCE_GRACE: {
    kind: "seconds",
    def: "2s",
    min: 0,
    max: 600,
    doc: "after the balance reached the expected value, keep watching this long for a second change",
  },
});
if (!v.STRICT_WEBHOOK_TIMESTAMP) acceptVia("webhook_rejects_stale_timestamp", "STRICT_WEBHOOK_TIMESTAMP=false");
if (v.WEBHOOK_PAYLOAD !== "" && v.PAYMENT_PROVIDER === "") {
  problem("PAYMENT_PROVIDER: missing (required with WEBHOOK_PAYLOAD: it names the webhook route)");
}

/** The webhook configuration, as this module reads it. */
const w = {
  ...providerSecrets,
  paymentProvider: v.PAYMENT_PROVIDER,
  webhookPayload: v.WEBHOOK_PAYLOAD,
  webhookHeaders: v.WEBHOOK_HEADERS,
  rollupInterval: v.VALORA_ROLLUP_INTERVAL ?? 60,
  webhookBalanceTimeout: v.WEBHOOK_BALANCE_TIMEOUT,
  webhookBalanceGrace: v.WEBHOOK_BALANCE_GRACE ?? 2,
};

const { holds, notCheckedNow, names } = defineInvariants({
  webhook_concurrent_accepted: {
    description: "The same event delivered by several VUs at the same instant gets 200 every time.",
  },
  webhook_distinct_accepted: { description: "Distinct events, and replays of them, are accepted with 200." },
  webhook_effect_once: {
    description:
      "The customer's balance moved by exactly the sum of the distinct accepted payment_succeeded amounts (each event counted once).",
  },
  webhook_rejects_tampered_body: { description: "A body changed after signing is refused (4xx)." },
  webhook_rejects_wrong_secret: { description: "A body signed with the wrong secret is refused (4xx)." },
  webhook_rejects_missing_signature: { description: "A body without a signature is refused (4xx)." },
  webhook_rejects_stale_timestamp: {
    description: "A Stripe signature older than Stripe's 300 s tolerance is refused (4xx).",
    knownDefect: "Valora does not check the Stripe-Signature timestamp: an old signature replays",
  },
});
type InvariantName = (typeof names)[number];
const WEBHOOK_INVARIANTS = names;

export type TargetKind = "stripe" | "adyen" | "replay";


/** Delivery (last accepted event) to the dashboard balance showing it: how long Valora's rollup takes under load. */
const effectLatency = new Trend("webhook_effect_latency", true);

/** Valora's rollup_pending job applies at most this many pending billing events per scheduler tick (contract 4). */
export const ROLLUP_BATCH = 50;

/** One deliverable event: its exact bytes (Adyen's carry their signature; Stripe's are signed at each delivery). */
export interface WebhookEv {
  id: string;
  body: string;
  /** Minor units this event adds to the customer's payments if processed (0 when it is not a payment_succeeded). */
  amount: number;
}

export interface Target {
  kind: TargetKind;
  /** The concurrent event. */
  concurrent: WebhookEv;
  /** Distinct events delivered one after another (each replayed once). */
  distinct: WebhookEv[];
}

export interface WebhookData extends SetupData {
  targets: Target[];
  customerId: string;
  admin?: AdminAuth;
  /** The test customer's dashboard balance before any delivery; absent when the effect is not checked. */
  baseline?: number;
  notChecked: NotChecked;
  /** Invariants only the one-VU checks scenario observes, when this instance of a split run has none of it. */
  elsewhere: string[];
}

/** What the one VU of webhook_checks observes. */
const CHECKS_VU_INVARIANTS: InvariantName[] = [
  "webhook_distinct_accepted",
  "webhook_rejects_tampered_body",
  "webhook_rejects_wrong_secret",
  "webhook_rejects_missing_signature",
  "webhook_rejects_stale_timestamp",
];

/** The providers this configuration exercises, known at init so thresholds can name their routes. */
export function configuredKinds(): TargetKind[] {
  const kinds: TargetKind[] = [];
  if (w.webhookSecret) kinds.push("stripe");
  if (w.adyenHmacKey) kinds.push("adyen");
  if (w.webhookPayload) kinds.push("replay");
  return kinds;
}

function providerOf(kind: TargetKind): string {
  return kind === "replay" ? w.paymentProvider : kind;
}

export function routeName(kind: TargetKind): string {
  return `POST /api/payments/webhooks/${providerOf(kind) || "(PAYMENT_PROVIDER)"}`;
}

function refusalName(kind: TargetKind): string {
  return `${routeName(kind)} (forged)`;
}

/** The original thresholds per delivery route: p95 < 500 ms, < 1% failures. */
function webhookThresholds(): Record<string, Threshold[]> {
  const t: Record<string, Threshold[]> = {};
  for (const k of configuredKinds()) {
    t[`http_req_duration{name:${routeName(k)}}`] = ["p(95)<500"];
    t[`http_req_failed{name:${routeName(k)}}`] = ["rate<0.01"];
  }
  return t;
}

/** 1000–9999 minor units, so a doubled event cannot be mistaken for another one. */
function amount(): number {
  return 1000 + Math.floor(Math.random() * 9000);
}

function stripeEv(type: valora.StripeEventType, customerId: string, amt: number): WebhookEv {
  const e = valora.stripeEvent({ type, customerId, amount: amt });
  const succeeded = type === "charge.succeeded" || type === "payment_intent.succeeded";
  return { id: e.id, body: e.body, amount: succeeded ? amt : 0 };
}

function adyenEv(customerId: string, amt: number, hmacKey = w.adyenHmacKey): WebhookEv {
  const e = valora.adyenEvent({ eventCode: "AUTHORISATION", customerId, amount: amt });
  return { id: e.id, body: valora.signAdyen(e.body, { hmacKey }), amount: amt };
}

function stripeHeaders(body: string, secret: string = w.webhookSecret, timestamp?: number): Record<string, string> {
  const opts: valora.StripeSignOptions = { secret };
  if (timestamp !== undefined) opts.timestamp = timestamp;
  return { "Content-Type": "application/json", "Stripe-Signature": valora.signStripe(body, opts).header };
}

/** Delivers an event as its provider would: Stripe signs the exact bytes now, with a fresh timestamp. */
function deliver(kind: TargetKind, body: string, name = routeName(kind)): Response {
  let headers: Record<string, string>;
  if (kind === "stripe") headers = stripeHeaders(body);
  else if (kind === "replay") headers = { "Content-Type": "application/json", ...w.webhookHeaders };
  else headers = { "Content-Type": "application/json" };
  return send("POST", `/api/payments/webhooks/${providerOf(kind)}`, body, { headers, name, expect: expect2xx });
}

function forged(kind: TargetKind, body: string, headers: Record<string, string>): Response {
  return send("POST", `/api/payments/webhooks/${providerOf(kind)}`, body, {
    headers: { "Content-Type": "application/json", ...headers },
    name: refusalName(kind),
    expect: expect4xx,
  });
}

// ---------------------------------------------------------------- the test customer and its balance

export interface DashboardRow {
  balance: number;
}

/** The customer's row on the dashboard, undefined when it is not among the rows shown (the first 10 by name). */
export function dashboardRow(creds: AdminCredentials, customerId: string): DashboardRow | undefined | "error" {
  const res = withRetry(() =>
    admin("GET", "/admin/billing/customers", creds, null, { name: "GET /admin/billing/customers (balance)" }),
  );
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || !Array.isArray(b.customers)) return "error";
  for (const row of b.customers) {
    if (isObject(row) && row.customer_id === customerId && typeof row.balance === "number")
      return { balance: row.balance };
  }
  return undefined;
}

/** A customer of this run whose name sorts first on the dashboard: newer runs get smaller numbers. */
function createTestCustomer(creds: AdminCredentials): string | undefined {
  const inverse = 9999999999 - Math.floor(Date.now() / 1000);
  const suffix = randomHex(4);
  const body = { name: `0-k6wh-${inverse}-${suffix}`, email: `k6-webhook-${suffix}@example.com` };
  let res = withRetry(() =>
    api("POST", "/api/customers", body, { name: "POST /api/customers (setup)", expect: expect2xx }),
  );
  if (res.status !== 200) {
    res = withRetry(() => admin("POST", "/admin/customers", creds, body, { name: "POST /admin/customers (setup)" }));
  }
  const b = bodyJson(res);
  const data = isObject(b) && isObject(b.data) ? b.data : undefined;
  const id = data?.id ?? data?.ID;
  if (res.status !== 200 || typeof id !== "string") {
    warn(`could not create the webhook test customer: ${res.status} ${excerpt(res.body)}`);
    return undefined;
  }
  return id;
}

// ---------------------------------------------------------------- setup

/**
 * Builds the events. With admin access a fresh customer receives them, so its balance shows their effect; without
 * it the events go to CUSTOMER_ID and the effect is reported as not checked. `optional` (smoke test): a missing
 * configuration makes the invariants "not checked" instead of aborting.
 */
export function webhookSetup(optional = false, sharedAdmin?: AdminAuth | null): WebhookData {
  const notChecked: NotChecked = {};
  const kinds = configuredKinds();
  const skipAll = (reason: string): WebhookData => {
    for (const n of WEBHOOK_INVARIANTS) notChecked[n] = reason;
    return { targets: [], customerId: cfg.customerId, notChecked, elsewhere: [] };
  };
  if (kinds.length === 0) {
    const reason =
      "no webhook configured: set WEBHOOK_SECRET (Stripe), ADYEN_HMAC_KEY, or WEBHOOK_PAYLOAD with PAYMENT_PROVIDER";
    if (optional) return skipAll(reason);
    abort(reason);
  }
  if (kinds.includes("replay") && !w.paymentProvider) {
    abort("PAYMENT_PROVIDER: missing (required with WEBHOOK_PAYLOAD: it names the webhook route)");
  }
  assertReachable();

  const signed = kinds.filter((k) => k !== "replay");
  let auth: AdminAuth | undefined;
  if (sharedAdmin !== undefined) auth = sharedAdmin ?? undefined;
  else if (signed.length > 0 && configuredSource()) auth = acquireAdmin(1, "/admin/billing/customers");

  let customerId = cfg.customerId;
  let baseline: number | undefined;
  if (signed.length === 0) {
    notChecked.webhook_effect_once =
      "WEBHOOK_PAYLOAD mode: the replayed event's customer and amount are not the test's own";
  } else if (!auth) {
    notChecked.webhook_effect_once = `${NO_ADMIN_REASON}; the events went to CUSTOMER_ID`;
  } else {
    const creds: AdminCredentials = { token: auth.tokens[0], orgId: auth.orgId };
    const created = createTestCustomer(creds);
    if (created === undefined) {
      notChecked.webhook_effect_once =
        "the test customer could not be created (POST /api/customers and /admin/customers failed)";
    } else {
      customerId = created;
      const row = dashboardRow(creds, customerId);
      if (row === "error") {
        notChecked.webhook_effect_once = "GET /admin/billing/customers did not answer with a customer list";
      } else if (row === undefined) {
        notChecked.webhook_effect_once =
          "the test customer is not on /admin/billing/customers (it shows the first 10 by name; other names sort first)";
      } else {
        baseline = row.balance;
      }
    }
  }

  for (const kind of signed) canary(kind, customerId);

  const targets: Target[] = [];
  for (const kind of kinds) {
    if (kind === "stripe") {
      targets.push({
        kind,
        concurrent: stripeEv("charge.succeeded", customerId, amount()),
        distinct: [
          stripeEv("charge.succeeded", customerId, amount()),
          stripeEv("payment_intent.succeeded", customerId, amount()),
          stripeEv("payment_intent.payment_failed", customerId, amount()),
        ],
      });
    } else if (kind === "adyen") {
      targets.push({
        kind,
        concurrent: adyenEv(customerId, amount()),
        distinct: [adyenEv(customerId, amount())],
      });
    } else {
      targets.push({
        kind,
        concurrent: { id: "(WEBHOOK_PAYLOAD)", body: w.webhookPayload, amount: 0 },
        distinct: [],
      });
    }
  }
  if (signed.length === 0) {
    notChecked.webhook_distinct_accepted =
      "WEBHOOK_PAYLOAD mode: distinct events need WEBHOOK_SECRET or ADYEN_HMAC_KEY";
    notChecked.webhook_rejects_wrong_secret =
      "WEBHOOK_PAYLOAD mode: a wrong-secret signature needs WEBHOOK_SECRET or ADYEN_HMAC_KEY";
  }
  if (!kinds.includes("stripe")) {
    notChecked.webhook_rejects_stale_timestamp = "only Stripe signatures carry a timestamp: WEBHOOK_SECRET is not set";
  }
  // Only the smoke test passes `optional`; it runs unsplit. A split webhook_idempotency has one checks VU in all.
  const elsewhere = optional ? [] : checkedElsewhere(1, CHECKS_VU_INVARIANTS);
  return { targets, customerId, admin: auth, baseline, notChecked, elsewhere };
}

/**
 * Proves the signing configuration before any load: one signed event that changes no balance (a failed payment).
 * A refusal as invalid_signature means the secret is wrong, not Valora: the run stops (exit 108) naming the variable.
 */
function canary(kind: "stripe" | "adyen", customerId: string): void {
  const variable = kind === "stripe" ? "WEBHOOK_SECRET" : "ADYEN_HMAC_KEY";
  const body =
    kind === "stripe"
      ? valora.stripeEvent({ type: "payment_intent.payment_failed", customerId, amount: amount() }).body
      : valora.signAdyen(
          valora.adyenEvent({ eventCode: "AUTHORISATION", success: false, customerId, amount: amount() }).body,
          { hmacKey: w.adyenHmacKey },
        );
  const headers = kind === "stripe" ? stripeHeaders(body) : { "Content-Type": "application/json" };
  const res = withRetry(() =>
    send("POST", `/api/payments/webhooks/${kind}`, body, {
      headers,
      name: `${routeName(kind)} (setup canary)`,
      expect: expect2xx,
    }),
  );
  if (res.status === 200) return;
  const env = errorEnvelope(res);
  const code = errorCodes(res)[0] ?? "";
  if (res.status === 400 && (code === "invalid_signature" || /signature/.test(env?.message ?? ""))) {
    abort(
      `${variable}: Valora refused a canary event signed with it (400 invalid_signature): it is not the ${kind} ` +
        "secret configured in any org (dist/provision.js configures one and writes it to the environment file)",
    );
  }
  if (res.status === 404) {
    abort(`${variable}: no org has an active ${kind} payment provider config (404 on the canary event)`);
  }
  abort(
    `the ${kind} canary event was refused: ${res.status}${env ? ` ${env.type}` : ""} ${excerpt(res.body)}` +
      (res.status >= 500 ? " (a server error)" : ""),
  );
}

// ---------------------------------------------------------------- deliveries

/** Every VU delivers each target's event at the same instant as all the others. */
export function webhookConcurrentIteration(d: WebhookData, vus: number): void {
  for (const t of d.targets) {
    if (!startTogether(`webhook:${t.kind}:${t.concurrent.id}`, vus)) {
      notCheckedNow(
        "webhook_concurrent_accepted",
        "the barrier timed out: not every VU arrived, so the event was not delivered concurrently",
      );
      continue;
    }
    const res = deliver(t.kind, t.concurrent.body);
    if (res.status === 200) markDelivered(t.concurrent);
    holds(
      "webhook_concurrent_accepted",
      res.status === 200,
      "every concurrent delivery of one event gets 200",
      () => `${t.kind} event ${t.concurrent.id}: ${res.status} ${excerpt(res.body)}`,
    );
  }
}

function refused(inv: InvariantName, label: string, kind: TargetKind, res: Response): void {
  holds(
    inv,
    res.status >= 400 && res.status < 500,
    label,
    () => `${kind}: answered ${res.status} ${excerpt(res.body)}`,
  );
}

/** Tampering that keeps the body valid JSON: a charge's amount raised after signing. */
function tamper(body: string): string {
  try {
    const o: unknown = JSON.parse(body);
    if (isObject(o)) {
      const obj = isObject(o.data) && isObject(o.data.object) ? o.data.object : undefined;
      if (obj && typeof obj.amount === "number") {
        obj.amount = obj.amount * 10;
        return JSON.stringify(o);
      }
      const items = o.notificationItems;
      const item = Array.isArray(items) && isObject(items[0]) ? items[0].NotificationRequestItem : undefined;
      if (isObject(item) && isObject(item.amount) && typeof item.amount.value === "number") {
        item.amount.value = item.amount.value * 10;
        return JSON.stringify(o);
      }
    }
  } catch (_) {
    // not JSON: fall through
  }
  // A trailing space changes the signed bytes without changing the event.
  return `${body} `;
}

/** Strips Adyen's per-item hmacSignature. */
function unsignAdyen(body: string): string {
  const o: unknown = JSON.parse(body);
  if (isObject(o) && Array.isArray(o.notificationItems)) {
    for (const it of o.notificationItems) {
      if (isObject(it) && isObject(it.NotificationRequestItem) && isObject(it.NotificationRequestItem.additionalData)) {
        delete it.NotificationRequestItem.additionalData.hmacSignature;
      }
    }
  }
  return JSON.stringify(o);
}

/** One VU: distinct events (each replayed), then the forged deliveries. */
export function webhookChecksIteration(d: WebhookData): void {
  for (const t of d.targets) {
    for (const ev of t.distinct) {
      for (const attempt of ["first delivery", "replay"]) {
        const res = deliver(t.kind, ev.body);
        if (res.status === 200) markDelivered(ev);
        holds(
          "webhook_distinct_accepted",
          res.status === 200,
          "distinct events and their replays get 200",
          () => `${t.kind} event ${ev.id} (${attempt}): ${res.status} ${excerpt(res.body)}`,
        );
      }
    }
    forgeries(d, t);
  }
}

function forgeries(d: WebhookData, t: Target): void {
  if (t.kind === "stripe") {
    const ev = stripeEv("charge.succeeded", d.customerId, amount());
    refused(
      "webhook_rejects_tampered_body",
      "a body changed after signing is refused",
      t.kind,
      forged(t.kind, tamper(ev.body), { "Stripe-Signature": stripeHeaders(ev.body)["Stripe-Signature"] }),
    );
    const wrong = stripeEv("charge.succeeded", d.customerId, amount());
    refused(
      "webhook_rejects_wrong_secret",
      "a body signed with the wrong secret is refused",
      t.kind,
      forged(t.kind, wrong.body, {
        "Stripe-Signature": stripeHeaders(wrong.body, `whsec_${randomHex(24)}`)["Stripe-Signature"],
      }),
    );
    const bare = stripeEv("charge.succeeded", d.customerId, amount());
    refused(
      "webhook_rejects_missing_signature",
      "a body without a signature is refused",
      t.kind,
      forged(t.kind, bare.body, {}),
    );
    // A payment_failed event changes no balance, so an accepted stale signature does not disturb webhook_effect_once.
    const stale = stripeEv("payment_intent.payment_failed", d.customerId, amount());
    const res = forged(t.kind, stale.body, {
      "Stripe-Signature": stripeHeaders(stale.body, w.webhookSecret, Math.floor(Date.now() / 1000) - 3600)[
        "Stripe-Signature"
      ],
    });
    refused(
      "webhook_rejects_stale_timestamp",
      "a signature older than Stripe's 300 s tolerance is refused",
      t.kind,
      res,
    );
    if (res.status === 200) {
      info(
        "a Stripe signature one hour old was accepted (no timestamp tolerance: a known Valora defect" +
          (cfg.acceptViolations.has("webhook_rejects_stale_timestamp")
            ? ", accepted for this run)"
            : "; ACCEPT_VIOLATIONS=webhook_rejects_stale_timestamp accepts it)"),
      );
    }
  } else if (t.kind === "adyen") {
    const ev = adyenEv(d.customerId, amount());
    refused(
      "webhook_rejects_tampered_body",
      "a body changed after signing is refused",
      t.kind,
      forged(t.kind, tamper(ev.body), {}),
    );
    const wrong = adyenEv(d.customerId, amount(), randomHex(32));
    refused(
      "webhook_rejects_wrong_secret",
      "a body signed with the wrong secret is refused",
      t.kind,
      forged(t.kind, wrong.body, {}),
    );
    const bare = adyenEv(d.customerId, amount());
    refused(
      "webhook_rejects_missing_signature",
      "a body without a signature is refused",
      t.kind,
      forged(t.kind, unsignAdyen(bare.body), {}),
    );
  } else {
    refused(
      "webhook_rejects_tampered_body",
      "a body changed after signing is refused",
      t.kind,
      forged(t.kind, `${w.webhookPayload} `, w.webhookHeaders),
    );
    refused(
      "webhook_rejects_missing_signature",
      "a body without a signature is refused",
      t.kind,
      forged(t.kind, w.webhookPayload, {}),
    );
  }
}

// ---------------------------------------------------------------- the effect

/**
 * Accepted deliveries are recorded in the k6 process's shared state, with the time of the first one, because a
 * distributed run (k6-operator) runs setup and teardown on every instance while the VUs of each scenario are split
 * between them: an instance may run none of the concurrent VUs, or not the one VU that sends the distinct events.
 * Its teardown must expect only what it delivered. A refused delivery never counts.
 */
function markDelivered(ev: WebhookEv): void {
  valora.agree(`webhook:delivered:${ev.id}`, String(Date.now()));
}

/** When this instance first delivered the event and Valora accepted it; undefined when it never did. */
function deliveredAt(ev: WebhookEv): number | undefined {
  // Read after every VU is done: storing "never" then cannot hide a delivery still to come.
  const v = valora.agree(`webhook:delivered:${ev.id}`, "never");
  return v === "never" ? undefined : Number(v);
}

interface Expectation {
  /** What |Δbalance| must be: the sum of the accepted distinct payment_succeeded amounts. */
  delta: number;
  /** Accepted distinct events that move a balance: each is one pending billing event for the rollup. */
  events: number;
  /** When the last of them was first accepted (ms since the epoch). */
  lastDelivery: number;
}

function expectation(d: WebhookData): Expectation {
  const e: Expectation = { delta: 0, events: 0, lastDelivery: 0 };
  for (const t of d.targets) {
    if (t.kind === "replay") continue;
    for (const ev of [t.concurrent, ...t.distinct]) {
      const at = deliveredAt(ev);
      if (at === undefined || ev.amount === 0) continue;
      e.delta += ev.amount;
      e.events++;
      e.lastDelivery = Math.max(e.lastDelivery, at);
    }
  }
  return e;
}

/**
 * How long the balance may take to show `events` payments: Valora's rollup applies the oldest 50 pending events
 * once per tick, so ceil(events / 50) ticks, plus half a tick (at least 5 s) for the tick's own work.
 */
export function derivedTimeout(events: number): number {
  return Math.max(1, Math.ceil(events / ROLLUP_BATCH)) * w.rollupInterval + Math.max(5, w.rollupInterval / 2);
}

/** The longest teardown the webhook check may need, known at init: for options.teardownTimeout. */
export function effectTeardownSeconds(maxEvents: number): number {
  return Math.ceil((w.webhookBalanceTimeout ?? derivedTimeout(maxEvents)) + w.webhookBalanceGrace) + 30;
}

/** The most payment events one instance can deliver: the concurrent one and two distinct per Stripe, two per Adyen. */
export const MAX_EFFECT_EVENTS = 5;

/** What awaitBalance saw last: the customer's dashboard row (or why none), and |Δbalance| from the baseline. */
export interface BalanceSeen {
  row: DashboardRow | undefined | "error";
  delta: number;
  /** The move was seen happening (the first read did not already show it). */
  watched: boolean;
  /** When the balance was first seen at the wanted move (ms since the epoch; 0 when it never was). */
  reachedAt: number;
}

/**
 * Waits up to `timeout` seconds for the customer's dashboard balance to move by `want` from `baseline` (Valora moves
 * it on its rollup tick), then keeps watching for WEBHOOK_BALANCE_GRACE so that a second application in the same or
 * the next tick still shows. Judging what it saw is the caller's.
 */
export function awaitBalance(
  creds: AdminCredentials,
  customerId: string,
  baseline: number,
  want: number,
  timeout: number,
): BalanceSeen {
  const poll = Math.min(1, Math.max(0.1, w.rollupInterval / 4));
  const deadline = Date.now() + timeout * 1000;
  let row = dashboardRow(creds, customerId);
  let delta = 0;
  let watched = false;
  for (;;) {
    if (row !== "error" && row !== undefined) {
      delta = Math.abs(row.balance - baseline);
      if (delta >= want) break;
    }
    if (Date.now() >= deadline) break;
    watched = true;
    sleep(poll);
    row = dashboardRow(creds, customerId);
  }
  let reachedAt = 0;
  if (row !== "error" && row !== undefined && delta === want) {
    reachedAt = Date.now();
    sleep(w.webhookBalanceGrace);
    row = dashboardRow(creds, customerId);
    if (row !== "error" && row !== undefined) delta = Math.abs(row.balance - baseline);
  }
  return { row, delta, watched, reachedAt };
}

/**
 * After all deliveries: waits for the test customer's balance to move by the expected amount (as long as Valora's
 * rollup needs, or WEBHOOK_BALANCE_TIMEOUT), keeps watching for WEBHOOK_BALANCE_GRACE so a second processing in the
 * same or the next tick still shows, then judges: held; violated (moved by another amount); or not visible in time.
 */
export function webhookVerifyEffect(d: WebhookData): void {
  if (d.baseline === undefined || !d.admin) return;
  const want = expectation(d);
  const creds: AdminCredentials = { token: d.admin.tokens[0], orgId: d.admin.orgId };
  if (want.events === 0) {
    notCheckedNow("webhook_effect_once", "no payment event was accepted, so no balance effect was due");
    return;
  }
  const timeout = w.webhookBalanceTimeout ?? derivedTimeout(want.events);
  info(
    `webhook_effect_once: waiting up to ${Math.ceil(timeout)}s for the balance to move by ${want.delta} ` +
      `(${want.events} accepted payment events; Valora applies up to ${ROLLUP_BATCH} pending events per rollup tick, ` +
      `VALORA_ROLLUP_INTERVAL=${w.rollupInterval}s${w.webhookBalanceTimeout === undefined ? "" : "; WEBHOOK_BALANCE_TIMEOUT"})`,
  );
  const { row, delta, watched, reachedAt } = awaitBalance(creds, d.customerId, d.baseline, want.delta, timeout);
  if (reachedAt > 0) {
    const took = Math.max(0, reachedAt - want.lastDelivery);
    if (watched) effectLatency.add(took);
    else info(`webhook_effect_once: the balance had already moved when first read, ${(took / 1000).toFixed(1)}s after the last delivery`);
  }
  if (row === undefined) {
    notCheckedNow(
      "webhook_effect_once",
      "the test customer was no longer among the 10 rows of /admin/billing/customers when the balance was read",
    );
    return;
  }
  if (row === "error") {
    notCheckedNow("webhook_effect_once", "GET /admin/billing/customers kept failing, so the balance could not be read");
    return;
  }
  const rollup = `Valora applies payments to the balance on its rollup tick (VALORA_ROLLUP_INTERVAL=${w.rollupInterval}s, ${ROLLUP_BATCH} events a tick)`;
  if (delta < want.delta) {
    notCheckedNow(
      "webhook_effect_once",
      `not visible in time: within ${Math.ceil(timeout)}s of the deliveries the balance moved by ${delta} of the expected ${want.delta}; ` +
        `${rollup}, and a backlog of other orgs' events delays it: raise WEBHOOK_BALANCE_TIMEOUT`,
      "not visible",
    );
    return;
  }
  holds(
    "webhook_effect_once",
    delta === want.delta,
    "the balance moved by exactly the sum of the accepted distinct payments",
    () =>
      `|Δbalance| = ${delta}, expected ${want.delta}: the balance moved by more than the accepted deliveries explain ` +
      "(an event was processed more than once, or a delivery that should have been refused — tampered, wrong " +
      "secret, unsigned — was processed: see the webhook_rejects_* results)",
  );
}

// ---------------------------------------------------------------- the scenario

const concurrent = (d: WebhookData): void => webhookConcurrentIteration(d, v.WEBHOOK_VUS);
const checks = (d: WebhookData): void => webhookChecksIteration(d);

const catches = {
  healthy: ["webhook_rejects_stale_timestamp"],
  "webhook-replay": ["webhook_effect_once"],
  "webhook-unsigned": ["webhook_rejects_tampered_body", "webhook_rejects_wrong_secret", "webhook_rejects_missing_signature"],
  "webhook-duplicate-refused": ["webhook_concurrent_accepted", "webhook_distinct_accepted"],
};

/** Smoke delivers its concurrent event with three VUs. */
const SMOKE_VUS = 3;

export const webhookIdempotency: Scenario<WebhookData, AdminAuth> = {
  name: "webhook_idempotency",
  invariants: names,
  scenarios: {
    webhook_concurrent: {
      executor: "per-vu-iterations",
      vus: v.WEBHOOK_VUS,
      iterations: 1,
      maxDuration: "30s",
      exec: "concurrent",
    },
    webhook_checks: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s", exec: "checks" },
  },
  thresholds: webhookThresholds(),
  extraOptions: { teardownTimeout: `${effectTeardownSeconds(MAX_EFFECT_EVENTS)}s` },
  setup(): WebhookData {
    requireSimultaneous(v.WEBHOOK_VUS, "WEBHOOK_VUS");
    return webhookSetup();
  },
  iterations: { concurrent, checks },
  teardown(d: WebhookData): void {
    webhookVerifyEffect(d);
    releaseAdmin(d.admin);
  },
  catches,
  smoke: {
    order: 5,
    scenarios: {
      webhook_concurrent: {
        executor: "per-vu-iterations",
        vus: SMOKE_VUS,
        iterations: 1,
        maxDuration: "30s",
        exec: "concurrent",
      },
      webhook_checks: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s", exec: "checks" },
    },
    setup(ctx): WebhookData {
      requireSimultaneous(SMOKE_VUS, `smoke's webhook_concurrent (${SMOKE_VUS} VUs)`);
      return webhookSetup(true, ctx.admin ?? null);
    },
    iterations: { concurrent: (d) => webhookConcurrentIteration(d, SMOKE_VUS), checks },
    teardown: (d) => webhookVerifyEffect(d),
    teardownSeconds: effectTeardownSeconds(MAX_EFFECT_EVENTS),
    catches,
  },
};
