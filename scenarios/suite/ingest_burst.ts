// ingest_burst: BURST_VUS VUs (at least 2 per instance) post the same event, with one idempotency key, at the same
// instant (a barrier). No 5xx; a 429 is retried after its Retry-After, as a real client would, so this also holds
// with Valora's limiter on; in the end every VU must hold the same record id. A barrier that timed out sent nothing
// simultaneous, and a limiter that serialised the posts kept Valora's concurrent dedupe path from being reached:
// both are NOT CHECKED, with the reason.
import * as valora from "k6/x/valora";
import { variables } from "../framework/config";
import { header } from "../framework/http";
import { defineInvariants } from "../framework/invariants";
import { excerpt } from "../framework/log";
import type { Scenario, SetupData } from "../framework/scenario";
import { requireSimultaneous, startTogether } from "../framework/sync";
import {
  checkEcho,
  CLIENT_RETRY,
  ingestPreflight,
  LOCK_REASON,
  limiterNotes,
  limiterOf,
  throttled,
  postUsage,
  USAGE,
  usageInvariants,
  usagePayload,
  type UsagePayload,
} from "./usage";

const v = variables("ingest_burst", {
  BURST_VUS: {
    kind: "int",
    def: 30,
    min: 2,
    max: 5000,
    doc: "VUs posting one event at one instant (at least 2 per instance)",
  },
});

const { holds, notCheckedNow, names } = defineInvariants({
  burst_no_5xx: { description: "Identical posts sent at the same instant never get a 5xx." },
  burst_accepted: {
    description: "Every post of the burst is accepted, honouring Retry-After on a 429 (bounded retries).",
  },
  burst_same_record: {
    description: "Identical posts sent at the same instant (Valora's concurrent dedupe path) all hold one record id.",
  },
});

export interface BurstData extends SetupData {
  sent: UsagePayload;
  body: string;
  vus: number;
}

function prepare(vus: number, variable: string): BurstData {
  requireSimultaneous(vus, variable);
  ingestPreflight();
  const sent = usagePayload(valora.idempotencyKey("k6-usage-burst"));
  return { sent, body: JSON.stringify(sent), vus, notChecked: {} };
}

/** Every VU posts the same event at the same instant, retries 429s as a client would, and must end on one record. */
function burst(d: BurstData): void {
  if (!startTogether(`burst:${d.sent.idempotency_key}`, d.vus)) {
    for (const n of names) {
      notCheckedNow(n, "the barrier timed out: not every VU of the burst arrived, so no simultaneous posts were sent");
    }
    return;
  }
  const res = postUsage(d.body, CLIENT_RETRY, (r) => {
    holds(
      "burst_no_5xx",
      r.status < 500,
      "no identical post of the burst gets a 5xx",
      () => `answered ${r.status}: ${excerpt(r.body)}`,
    );
    if (r.status === 429 && header(r, "X-Rate-Limited-Reason") === LOCK_REASON) {
      notCheckedNow(
        "burst_same_record",
        "Valora's usage limiter serialised the identical posts (429 customer-meter-concurrency, before the idempotency " +
          "lookup: contract 2.4), so its concurrent dedupe path was not exercised; run with the limiter off to check it",
      );
    }
  });
  const accepted = res.status >= 200 && res.status < 300;
  if (res.status === 429 && limiterOf(res).kind === "per-key") {
    // The key's window is used up: the server never answered the post, so the burst tested nothing.
    for (const n of ["burst_accepted", "burst_same_record"] as const) notCheckedNow(n, throttled(res, "a post of the burst"));
    return;
  }
  holds(
    "burst_accepted",
    accepted,
    "every post of the burst is accepted (429s retried after Retry-After)",
    () => `last answer ${res.status} after the bounded retries: ${excerpt(res.body)}`,
  );
  if (!accepted) return;
  const id = checkEcho(res, d.sent);
  if (id === undefined) return;
  const first = valora.agree(`burst:${d.sent.idempotency_key}`, id);
  holds(
    "burst_same_record",
    id === first,
    "every VU of the burst holds the same record id",
    () => `this VU got ${id}, another got ${first}`,
  );
}

/** Smoke's burst: five VUs, after its idempotency retries. */
const SMOKE_VUS = 5;

export const ingestBurst: Scenario<BurstData> = {
  name: "ingest_burst",
  invariants: [...names, ...usageInvariants.names],
  scenarios: {
    ingest_burst: { executor: "per-vu-iterations", vus: v.BURST_VUS, iterations: 1, maxDuration: "30s", exec: "burst" },
  },
  thresholds: {
    [`http_req_duration{name:${USAGE},status:200}`]: ["p(95)<300"],
    [`http_req_failed{name:${USAGE}}`]: ["rate<0.01"],
  },
  setup: () => prepare(v.BURST_VUS, "BURST_VUS"),
  iterations: { burst },
  notes: limiterNotes,
  catches: {
    "ingest-duplicate": ["burst_same_record"],
    "errors-5xx": ["burst_no_5xx"],
    "limiter-strict": ["burst_accepted"],
  },
  apiRequests: () => 2 + v.BURST_VUS,
  smoke: {
    order: 3,
    scenarios: {
      ingest_burst: {
        executor: "per-vu-iterations",
        vus: SMOKE_VUS,
        iterations: 1,
        maxDuration: "30s",
        startTime: "9s",
        exec: "burst",
      },
    },
    thresholds: { "http_req_failed{scenario:ingest_burst}": ["rate<0.01"] },
    setup: () => prepare(SMOKE_VUS, `smoke's ingest_burst (${SMOKE_VUS} VUs)`),
    iterations: { burst },
    // Smoke's five-VU burst gets through the strict limiter within its retries: limiter-strict shows on its paced
    // ingest instead.
    catches: { "ingest-duplicate": ["burst_same_record"], "errors-5xx": ["burst_no_5xx"] },
    apiRequests: () => 2 + SMOKE_VUS,
  },
};
