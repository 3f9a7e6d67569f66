// Sets up, on a real Valora, everything the other scenarios need (contract 8.4), from ADMIN_EMAIL/ADMIN_PASSWORD:
// org, API key, meter, product, price, price amount, customer, ACTIVE subscription, Stripe webhook secret. Safe to
// run again: what exists is reused. The resulting environment is written to PROVISION_ENV_FILE (default
// valora.env) as KEY='value' lines for `set -a; . valora.env; set +a`; nothing secret is printed.
import * as valora from "k6/x/valora";
import { cfg } from "./lib/config";
import { expect2xx, send } from "./lib/http";
import { holds, invariantThresholds } from "./lib/invariants";
import { excerpt, registerSecret } from "./lib/log";
import { scenarioOptions } from "./lib/options";
import { envFile, envKeys, ingestProbe, provision, type ProvisionResult } from "./lib/provision";
import { invariantsOf } from "./lib/catalog";
import { report, type SummaryData } from "./lib/summary";
import { finish, refuseUnsoundFlags } from "./lib/verdict";

const INVARIANTS = invariantsOf("provision");

// The environment file's directory is made at init, so the result is never lost to a missing directory.
{
  const dir = cfg.provisionEnvFile.includes("/") ? cfg.provisionEnvFile.slice(0, cfg.provisionEnvFile.lastIndexOf("/")) : "";
  if (dir) {
    try {
      valora.ensureDir(dir);
    } catch (e) {
      throw `invalid configuration: PROVISION_ENV_FILE: cannot create the directory "${dir}" (${String(e)})`;
    }
  }
}

export const options = scenarioOptions(
  { verify: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "1m" } },
  invariantThresholds(INVARIANTS),
  { setupTimeout: "2m" },
);

export function setup(): ProvisionResult {
  refuseUnsoundFlags();
  return provision();
}

/** Proves the result: the provisioned key ingests for the customer, and a webhook signed with the secret is taken. */
export default function (d: ProvisionResult): void {
  for (const k of ["API_KEY", "WEBHOOK_SECRET", "ADMIN_SESSION", "ADMIN_PASSWORD"]) registerSecret(d.env[k]);
  const res = ingestProbe(d.env.API_KEY, d.env.CUSTOMER_ID, d.env.METER_CODE);
  holds(
    "provision_ready",
    res.status === 200,
    "the provisioned key, customer and meter ingest usage",
    () => `POST /api/usage answered ${res.status}: ${excerpt(res.body)}`,
  );
  // A failed payment changes no balance: the check leaves the books as they were.
  const ev = valora.stripeEvent({ type: "payment_intent.payment_failed", customerId: d.env.CUSTOMER_ID });
  const sig = valora.signStripe(ev.body, { secret: d.env.WEBHOOK_SECRET });
  const wh = send("POST", "/api/payments/webhooks/stripe", ev.body, {
    headers: { "Content-Type": "application/json", "Stripe-Signature": sig.header },
    name: "POST /api/payments/webhooks/stripe (provision)",
    expect: expect2xx,
  });
  holds(
    "provision_webhook_ready",
    wh.status === 200,
    "a webhook signed with the provisioned secret is accepted",
    () => `answered ${wh.status}: ${excerpt(wh.body)}`,
  );
}

export function teardown(d: ProvisionResult): void {
  finish("provision", d);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const result = data.setup_data as ProvisionResult | undefined;
  if (!result || !result.env) {
    return report("provision", data, { preface: ["Nothing provisioned: setup failed (see the error above)."] });
  }
  for (const k of ["API_KEY", "WEBHOOK_SECRET", "ADMIN_SESSION", "ADMIN_PASSWORD", "ADYEN_HMAC_KEY"]) registerSecret(result.env[k]);
  const preface = [
    "Provisioned:",
    ...result.steps.map((s) => `  ${s.step.padEnd(28)} ${s.outcome.padEnd(10)} ${s.detail}`),
  ];
  for (const r of result.replaced ?? []) preface.push(`  !! REPLACED: ${r}`);
  try {
    // Mode 0600: the file holds the admin password, a session, the API key and the webhook secrets.
    valora.writeFile(cfg.provisionEnvFile, envFile(result.env), 0o600);
    preface.push(`Environment written to ${cfg.provisionEnvFile}, mode 0600 (${envKeys(result.env).join(", ")}).`);
  } catch (e) {
    preface.push(`!! PROVISION_ENV_FILE: could not write "${cfg.provisionEnvFile}" (${String(e)}): nothing was saved`);
  }
  return report("provision", data, { preface });
}
