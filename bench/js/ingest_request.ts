// A step between the baseline and our ingest_load, to show where our extra CPU per iteration goes: the
// request exactly as ingest_load sends it (payload, key from k6/x/valora, headers, tags and params built once per VU, the 2xx-or-429
// response callback, the Retry-After check), and nothing done with the answer.
import * as valora from "k6/x/valora";
import { ingestLoadConfig as cfg } from "../../scenarios/suite/ingest_load";
import { postUsage, usagePayload } from "../../scenarios/suite/usage";

export const options = {
  scenarios: { ingest_load: { executor: "constant-vus", vus: cfg.INGEST_VUS, duration: cfg.INGEST_DURATION } },
};

const { idempotencyKey } = valora;

export default function (): void {
  postUsage(JSON.stringify(usagePayload(idempotencyKey("k6-usage-load"), 1 + Math.floor(Math.random() * 1000))));
}
