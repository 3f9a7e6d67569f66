// provision: sets up, on a real Valora, everything the other scenarios need, from admin credentials, and writes
// PROVISION_ENV_FILE (mode 0600); safe to run twice. The plan is suite/provision.ts.
import { plan } from "./framework/scenario";
import { provisionScenario } from "./suite/provision";

const p = plan(provisionScenario);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
