// The cheapest valid ingest k6 can send: a body built by concatenation with a per-VU counter for the key, one
// params object reused, no check, response bodies discarded. Its best rate is ./k6's ceiling on this route.
import http from 'k6/http';

const url = `${__ENV.BASE_URL}/api/usage`;
const params = {
  headers: { Authorization: `Bearer ${__ENV.API_KEY}`, 'Content-Type': 'application/json' },
  tags: { name: 'usage_bare' },
};
const prefix =
  `{"customer_id":"${__ENV.CUSTOMER_ID}","meter_code":"${__ENV.METER_CODE}","value":1,` +
  `"recorded_at":"${new Date().toISOString()}","idempotency_key":"bare-`;

export const options = {
  scenarios: {
    ingest_load: {
      executor: 'constant-vus',
      vus: parseInt(__ENV.INGEST_VUS || '20', 10),
      duration: __ENV.INGEST_DURATION || '10s',
    },
  },
  discardResponseBodies: true,
};

let n = 0;

export default function () {
  n++;
  http.post(url, `${prefix}${__VU}-${n}"}`, params);
}
