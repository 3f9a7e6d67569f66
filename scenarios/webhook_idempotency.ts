// webhook_idempotency: one signed event delivered by WEBHOOK_VUS VUs at once, distinct and forged events, and the
// balance moving exactly once per accepted payment. The plan is suite/webhook_idempotency.ts.
import { plan } from "./framework/scenario";
import { webhookIdempotency } from "./suite/webhook_idempotency";

const p = plan(webhookIdempotency);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
