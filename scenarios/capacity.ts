// capacity: the highest rate of usage events at which Valora keeps every invariant within the latency budget. An
// open-model ramp from CAPACITY_START to CAPACITY_MAX events/s; the plan is suite/capacity.ts.
import { plan } from "./framework/scenario";
import { capacity } from "./suite/capacity";

const p = plan(capacity);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
