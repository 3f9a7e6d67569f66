// billing_reconciliation: billed exactly once. Creates its own customer and subscription, ingests a known set of
// events under load, moves its own cycle into the past (SQL on ADMIN_DATABASE_URL against Valora, the
// /standin/billing seam against the stand-in), waits for the invoice and reconciles it. The plan is
// suite/billing_reconciliation.ts.
import { plan } from "./framework/scenario";
import { billingReconciliation } from "./suite/billing_reconciliation";

const p = plan(billingReconciliation);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
