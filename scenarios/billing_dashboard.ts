// billing_dashboard: admin dashboard reads under a session, bodies of the documented shape, and /admin refusing a
// request without a valid session. The plan is suite/billing_dashboard.ts.
import { plan } from "./framework/scenario";
import { billingDashboard } from "./suite/billing_dashboard";

const p = plan(billingDashboard);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
