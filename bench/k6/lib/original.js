// The usage request as Valora's original k6 suite sends it: plain JavaScript run by k6 as-is, configuration
// read straight from __ENV, the idempotency key built from Date.now() and Math.random(), a 2xx check and
// nothing else. It is the baseline the extension's cost is measured against; no k6/x/valora here.
import http from 'k6/http';
import { check } from 'k6';

export const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080';
export const API_KEY = __ENV.API_KEY || '';
export const CUSTOMER_ID = __ENV.CUSTOMER_ID || '';
export const METER_CODE = __ENV.METER_CODE || 'api_calls';

const vus = parseInt(__ENV.INGEST_VUS || '20', 10);
const duration = __ENV.INGEST_DURATION || '5m';

// The same executor and scenario name as dist/ingest_load.js. The harness runs every comparison with
// --no-thresholds, so neither side pays for threshold evaluation.
export const options = {
  scenarios: {
    ingest_load: { executor: 'constant-vus', vus, duration },
  },
  thresholds: {
    'http_req_duration{name:usage_ingest_load}': ['p(95)<300'],
    'http_req_failed{name:usage_ingest_load}': ['rate<0.01'],
  },
};

export function setup() {
  if (!API_KEY) throw new Error('API_KEY is required');
  if (!CUSTOMER_ID || !METER_CODE) throw new Error('CUSTOMER_ID and METER_CODE are required');
}

/** The original key: "<prefix>-<ms since epoch>-<8 base-36 characters of Math.random()>". */
export function originalKey(prefix) {
  const suffix = Math.random().toString(36).slice(2, 10);
  return `${prefix}-${Date.now()}-${suffix}`;
}

function usageBody(idempotencyKey) {
  return JSON.stringify({
    customer_id: CUSTOMER_ID,
    meter_code: METER_CODE,
    value: 1,
    recorded_at: new Date().toISOString(),
    idempotency_key: idempotencyKey,
  });
}

function apiHeaders() {
  const headers = { 'Content-Type': 'application/json' };
  if (API_KEY) headers.Authorization = `Bearer ${API_KEY}`;
  return headers;
}

/** One usage event, posted and checked the way the original ingest_load does it. */
export function postUsage(idempotencyKey) {
  const res = http.post(`${BASE_URL}/api/usage`, usageBody(idempotencyKey), {
    headers: apiHeaders(),
    tags: { name: 'usage_ingest_load' },
  });
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}
