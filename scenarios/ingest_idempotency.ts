// ingest_idempotency: one event, then IDEMPOTENCY_ITERATIONS retries (exact, whitespace-padded key, changed
// payload); every retry must return the original record. The plan is suite/ingest_idempotency.ts.
import { plan } from "./framework/scenario";
import { ingestIdempotency } from "./suite/ingest_idempotency";

const p = plan(ingestIdempotency);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
