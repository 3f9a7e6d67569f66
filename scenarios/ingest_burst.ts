// ingest_burst: BURST_VUS VUs post one event at the same instant; no 5xx, every post accepted (429s retried), one
// record id in the end. The plan is suite/ingest_burst.ts.
import { plan } from "./framework/scenario";
import { ingestBurst } from "./suite/ingest_burst";

const p = plan(ingestBurst);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
