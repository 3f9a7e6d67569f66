// Payment webhooks. With WEBHOOK_SECRET (Stripe) and/or ADYEN_HMAC_KEY, events are built and signed in the test;
// with WEBHOOK_PAYLOAD/WEBHOOK_HEADERS the given event is replayed, as in the original suite. WEBHOOK_VUS VUs
// deliver the same event at the same instant (all must get 200); one VU delivers distinct events and forged ones
// (tampered, wrong secret, unsigned, stale). With admin access, teardown checks the effect happened exactly once.
import { cfg } from "./lib/config";
import { invariantThresholds } from "./lib/invariants";
import { scenarioOptions } from "./lib/options";
import { releaseAdmin } from "./lib/session";
import { report, type SummaryData } from "./lib/summary";
import { requireSimultaneous } from "./lib/sync";
import { finish, refuseUnsoundFlags } from "./lib/verdict";
import {
  effectTeardownSeconds,
  MAX_EFFECT_EVENTS,
  WEBHOOK_INVARIANTS,
  webhookChecksIteration,
  webhookConcurrentIteration,
  webhookSetup,
  webhookThresholds,
  webhookVerifyEffect,
  type WebhookData,
} from "./lib/webhook";

export const options = scenarioOptions(
  {
    webhook_concurrent: { executor: "per-vu-iterations", vus: cfg.webhookVus, iterations: 1, maxDuration: "30s" },
    webhook_checks: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s", exec: "checks" },
  },
  { ...webhookThresholds(), ...invariantThresholds(WEBHOOK_INVARIANTS) },
  { teardownTimeout: `${effectTeardownSeconds(MAX_EFFECT_EVENTS)}s` },
);

export function setup(): WebhookData {
  refuseUnsoundFlags();
  requireSimultaneous(cfg.webhookVus, "WEBHOOK_VUS");
  return webhookSetup();
}

export default function (d: WebhookData): void {
  webhookConcurrentIteration(d, cfg.webhookVus);
}

export function checks(d: WebhookData): void {
  webhookChecksIteration(d);
}

export function teardown(d: WebhookData): void {
  webhookVerifyEffect(d);
  releaseAdmin(d.admin);
  finish("webhook_idempotency", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return report("webhook_idempotency", data);
}
