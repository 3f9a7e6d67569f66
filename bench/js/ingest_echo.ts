// The next step towards our ingest_load: the same request, and the ingest_echo invariant checked on every
// accepted answer (one call into the extension that parses the answer, compares it with what was sent and
// offers its id to the cross-VU set; one tagged check). ingest_load adds the accepted counter and the
// ingest_unique_id check on top of this.
import * as valora from "k6/x/valora";
import { ingestLoadConfig as cfg } from "../../scenarios/suite/ingest_load";
import { checkEchoOffered, postUsage, usagePayload } from "../../scenarios/suite/usage";

export const options = {
  scenarios: { ingest_load: { executor: "constant-vus", vus: cfg.INGEST_VUS, duration: cfg.INGEST_DURATION } },
};

const { idempotencyKey } = valora;

export default function (): void {
  const body = JSON.stringify(usagePayload(idempotencyKey("k6-usage-load"), 1 + Math.floor(Math.random() * 1000)));
  const res = postUsage(body);
  if (res.status >= 200 && res.status < 300) checkEchoOffered(res, body, "bench:ids");
}
