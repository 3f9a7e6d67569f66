// tenant_isolation: org A's API key, sessions and webhook secret against org B's data, under load; org B's own key
// and dashboard show that nothing of A's reached B. The plan is suite/tenant_isolation.ts.
import { plan } from "./framework/scenario";
import { tenantIsolation } from "./suite/tenant_isolation";

const p = plan(tenantIsolation);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
