// pagination: a known set of customers walked page by page must come back exactly once each, in order; tokens
// advance; no row is lost. The plan is suite/pagination.ts.
import { plan } from "./framework/scenario";
import { pagination } from "./suite/pagination";

const p = plan(pagination);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
