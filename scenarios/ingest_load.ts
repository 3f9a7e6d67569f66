// ingest_load: usage ingest under load. INGEST_VUS VUs for INGEST_DURATION post events with fresh keys; every
// accepted event must echo what was sent and get an id no other event got. The plan is suite/ingest_load.ts.
import { plan } from "./framework/scenario";
import { ingestLoad } from "./suite/ingest_load";

const p = plan(ingestLoad);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
