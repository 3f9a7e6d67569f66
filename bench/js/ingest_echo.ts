// The next step towards our ingest_load: the same request, and the ingest_echo invariant checked on every
// accepted answer (JSON.parse, six fields compared, one tagged check). ingest_load adds the accepted counter
// and the cross-VU firstSeen check on top of this.
import * as valora from "k6/x/valora";
import { ingestLoadConfig as cfg } from "../../scenarios/suite/ingest_load";
import { checkEcho, postUsage, usagePayload } from "../../scenarios/suite/usage";

export const options = {
  scenarios: { ingest_load: { executor: "constant-vus", vus: cfg.INGEST_VUS, duration: cfg.INGEST_DURATION } },
};

export default function (): void {
  const sent = usagePayload(valora.idempotencyKey("k6-usage-load"), 1 + Math.floor(Math.random() * 1000));
  const res = postUsage(JSON.stringify(sent));
  if (res.status >= 200 && res.status < 300) checkEcho(res, sent);
}
