// POST /api/payments/webhooks/:provider. Events are built and signed in the test (Stripe with WEBHOOK_SECRET, Adyen
// with ADYEN_HMAC_KEY), or replayed from WEBHOOK_PAYLOAD/WEBHOOK_HEADERS as the original suite did. The same event
// delivered concurrently must be accepted every time and take effect once; forged deliveries must be refused.
import { sleep } from "k6";
import { randomBytes } from "k6/crypto";
import type { Threshold } from "k6/options";
import * as valora from "k6/x/valora";
import { cfg } from "./config";
import {
  admin,
  api,
  bodyJson,
  expect2xx,
  expect4xx,
  isObject,
  send,
  type AdminCredentials,
  type Response,
} from "./http";
import { holds, markNotCheckedAtRuntime, type InvariantName, type NotChecked } from "./invariants";
import { excerpt, info, warn } from "./log";
import { abort, assertReachable, withRetry } from "./preflight";
import { acquireAdmin, configuredSource, NO_ADMIN_REASON, type AdminAuth } from "./session";
import { startTogether } from "./sync";

export type TargetKind = "stripe" | "adyen" | "replay";

export const WEBHOOK_INVARIANTS: InvariantName[] = [
  "webhook_concurrent_accepted",
  "webhook_distinct_accepted",
  "webhook_effect_once",
  "webhook_rejects_tampered_body",
  "webhook_rejects_wrong_secret",
  "webhook_rejects_missing_signature",
  "webhook_rejects_stale_timestamp",
];

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

export interface WebhookData {
  targets: Target[];
  customerId: string;
  admin?: AdminAuth;
  /** The test customer's dashboard balance before any delivery; absent when the effect is not checked. */
  baseline?: number;
  notChecked: NotChecked;
}

/** The providers this configuration exercises, known at init so thresholds can name their routes. */
export function configuredKinds(): TargetKind[] {
  const kinds: TargetKind[] = [];
  if (cfg.webhookSecret) kinds.push("stripe");
  if (cfg.adyenHmacKey) kinds.push("adyen");
  if (cfg.webhookPayload) kinds.push("replay");
  return kinds;
}

function providerOf(kind: TargetKind): string {
  return kind === "replay" ? cfg.paymentProvider : kind;
}

export function routeName(kind: TargetKind): string {
  return `POST /api/payments/webhooks/${providerOf(kind) || "(PAYMENT_PROVIDER)"}`;
}

function refusalName(kind: TargetKind): string {
  return `${routeName(kind)} (forged)`;
}

/** The original thresholds per delivery route: p95 < 500 ms, < 1% failures. */
export function webhookThresholds(scope = ""): Record<string, Threshold[]> {
  const s = scope ? `,scenario:${scope}` : "";
  const t: Record<string, Threshold[]> = {};
  for (const k of configuredKinds()) {
    t[`http_req_duration{name:${routeName(k)}${s}}`] = ["p(95)<500"];
    t[`http_req_failed{name:${routeName(k)}${s}}`] = ["rate<0.01"];
  }
  return t;
}

function randomHex(bytes: number): string {
  return Array.from(new Uint8Array(randomBytes(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
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

function adyenEv(customerId: string, amt: number, hmacKey = cfg.adyenHmacKey): WebhookEv {
  const e = valora.adyenEvent({ eventCode: "AUTHORISATION", customerId, amount: amt });
  return { id: e.id, body: valora.signAdyen(e.body, { hmacKey }), amount: amt };
}

function stripeHeaders(body: string, secret: string = cfg.webhookSecret, timestamp?: number): Record<string, string> {
  const opts: valora.StripeSignOptions = { secret };
  if (timestamp !== undefined) opts.timestamp = timestamp;
  return { "Content-Type": "application/json", "Stripe-Signature": valora.signStripe(body, opts).header };
}

/** Delivers an event as its provider would: Stripe signs the exact bytes now, with a fresh timestamp. */
function deliver(kind: TargetKind, body: string, name = routeName(kind)): Response {
  let headers: Record<string, string>;
  if (kind === "stripe") headers = stripeHeaders(body);
  else if (kind === "replay") headers = { "Content-Type": "application/json", ...cfg.webhookHeaders };
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

interface DashboardRow {
  balance: number;
}

/** The customer's row on the dashboard, undefined when it is not among the rows shown (the first 10 by name). */
function dashboardRow(creds: AdminCredentials, customerId: string): DashboardRow | undefined | "error" {
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
    return { targets: [], customerId: cfg.customerId, notChecked };
  };
  if (kinds.length === 0) {
    const reason =
      "no webhook configured: set WEBHOOK_SECRET (Stripe), ADYEN_HMAC_KEY, or WEBHOOK_PAYLOAD with PAYMENT_PROVIDER";
    if (optional) return skipAll(reason);
    abort(reason);
  }
  if (kinds.includes("replay") && !cfg.paymentProvider) {
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
        concurrent: { id: "(WEBHOOK_PAYLOAD)", body: cfg.webhookPayload, amount: 0 },
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
  return { targets, customerId, admin: auth, baseline, notChecked };
}

// ---------------------------------------------------------------- deliveries

/** Every VU delivers each target's event at the same instant as all the others. */
export function webhookConcurrentIteration(d: WebhookData, vus: number): void {
  for (const t of d.targets) {
    startTogether(`webhook:${t.kind}:${t.concurrent.id}`, vus);
    const res = deliver(t.kind, t.concurrent.body);
    markDelivered(t.concurrent);
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
        markDelivered(ev);
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
      "Stripe-Signature": stripeHeaders(stale.body, cfg.webhookSecret, Math.floor(Date.now() / 1000) - 3600)[
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
        "finding: a Stripe signature one hour old was accepted (no timestamp tolerance; Valora does not check it)" +
          (cfg.strictWebhookTimestamp ? "" : ": reported only, STRICT_WEBHOOK_TIMESTAMP=true makes it fail the run"),
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
      forged(t.kind, `${cfg.webhookPayload} `, cfg.webhookHeaders),
    );
    refused(
      "webhook_rejects_missing_signature",
      "a body without a signature is refused",
      t.kind,
      forged(t.kind, cfg.webhookPayload, {}),
    );
  }
}

// ---------------------------------------------------------------- the effect

/**
 * Deliveries are recorded in the k6 process's shared state because a distributed run (k6-operator) runs setup and
 * teardown on every instance while the VUs of each scenario are split between them: an instance may run none of
 * the concurrent VUs, or not the one VU that sends the distinct events. Its teardown must expect only what it sent.
 */
function markDelivered(ev: WebhookEv): void {
  valora.agree(`webhook:delivered:${ev.id}`, "yes");
}

function wasDelivered(ev: WebhookEv): boolean {
  return valora.agree(`webhook:delivered:${ev.id}`, "no") === "yes";
}

/** The payment_succeeded amounts this instance delivered: what the balance must move by, exactly once each. */
function deliveredDelta(d: WebhookData): number {
  let sum = 0;
  for (const t of d.targets) {
    if (t.kind === "replay") continue;
    for (const ev of [t.concurrent, ...t.distinct]) if (wasDelivered(ev)) sum += ev.amount;
  }
  return sum;
}

/**
 * After all deliveries: waits (bounded) for the test customer's balance to move, lets a grace period pass so a late
 * second processing would still show, then requires |Δbalance| to equal the sum of the distinct payments exactly.
 */
export function webhookVerifyEffect(d: WebhookData): void {
  if (d.baseline === undefined || !d.admin) return;
  const expected = deliveredDelta(d);
  const creds: AdminCredentials = { token: d.admin.tokens[0], orgId: d.admin.orgId };
  const deadline = Date.now() + cfg.webhookBalanceTimeout * 1000;
  let row = dashboardRow(creds, d.customerId);
  while ((row === "error" || row === undefined || row.balance === d.baseline) && Date.now() < deadline) {
    sleep(0.5);
    row = dashboardRow(creds, d.customerId);
  }
  if (row !== "error" && row !== undefined && row.balance !== d.baseline) {
    sleep(cfg.webhookBalanceGrace);
    row = dashboardRow(creds, d.customerId);
  }
  if (row === undefined) {
    markNotCheckedAtRuntime("webhook_effect_once");
    warn("webhook_effect_once not checked: the test customer is no longer on /admin/billing/customers");
    return;
  }
  if (row === "error") {
    holds(
      "webhook_effect_once",
      false,
      "the balance moved by exactly the sum of the distinct payments",
      () => "GET /admin/billing/customers kept failing",
    );
    return;
  }
  const delta = Math.abs(row.balance - d.baseline);
  holds(
    "webhook_effect_once",
    delta === expected,
    "the balance moved by exactly the sum of the distinct payments",
    () =>
      delta === 0
        ? `the balance did not move within ${cfg.webhookBalanceTimeout}s (expected ${expected})`
        : `|Δbalance| = ${delta}, expected ${expected}${delta > expected ? " (an event was processed more than once?)" : ""}`,
  );
}
