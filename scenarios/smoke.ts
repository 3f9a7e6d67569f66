// smoke: every invariant of the suite at minimal load, in one run: each scenario's smoke part (suite/*.ts), calling
// the same functions as the scenario itself. The ingest parts run one after another (they share a customer and
// meter, which Valora's limiter serialises), the load part paced below Valora's default limits; the rest run
// alongside. Admin access is obtained once for all parts; parts whose configuration is missing (no admin access,
// no webhook secret) are NOT CHECKED with the reason, which makes the run INCOMPLETE unless the user lists them in
// OPTIONAL_INVARIANTS.
import { configuredSource, acquireAdmin, releaseAdmin } from "./framework/session";
import { plan, smoke } from "./framework/scenario";
import { SMOKE_PARTS } from "./suite";

const p = plan(
  smoke(
    SMOKE_PARTS,
    () => (configuredSource() ? acquireAdmin(2, "/admin/billing/customers") : undefined),
    releaseAdmin,
  ),
);

export const options = p.options;
export const setup = p.setup;
export default p.run;
export const teardown = p.teardown;
export const handleSummary = p.handleSummary;
