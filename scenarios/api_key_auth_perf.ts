// api_key_auth_perf: API-key authentication timing, and every refusal case answered 401 with Valora's envelope.
// The plan is suite/api_key_auth_perf.ts.
import { plan } from "./framework/scenario";
import { apiKeyAuthPerf } from "./suite/api_key_auth_perf";

const p = plan(apiKeyAuthPerf);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
