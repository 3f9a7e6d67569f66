// Baseline: Valora's original api_key_auth_perf.js. GET /api/customers?page_size=1 with the key, a 2xx check;
// with AUTH_COMPARE=true also the same request without a key, which must be refused.
import http from 'k6/http';
import { check } from 'k6';
import { API_KEY, BASE_URL } from './lib/original.js';

const vus = parseInt(__ENV.AUTH_VUS || '5', 10);
const duration = __ENV.AUTH_DURATION || '1m';
const compare = __ENV.AUTH_COMPARE === 'true';

export const options = {
  scenarios: { auth_perf: { executor: 'constant-vus', vus, duration } },
  thresholds: { 'http_req_duration{name:api_key_auth}': ['p(95)<200'] },
};

export function setup() {
  if (!API_KEY) throw new Error('API_KEY is required');
}

export default function () {
  const res = http.get(`${BASE_URL}/api/customers?page_size=1`, {
    headers: { Authorization: `Bearer ${API_KEY}` },
    tags: { name: 'api_key_auth' },
  });
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
  if (compare) {
    const anon = http.get(`${BASE_URL}/api/customers?page_size=1`, { tags: { name: 'api_key_auth_none' } });
    check(anon, { 'unauthenticated is refused': (r) => r.status === 401 || r.status === 403 });
  }
}
