// Baseline: Valora's original payments/webhook_idempotency.js. WEBHOOK_VUS VUs post the same raw
// WEBHOOK_PAYLOAD with the headers in WEBHOOK_HEADERS (a signed Stripe-Signature) to
// /api/payments/webhooks/$PAYMENT_PROVIDER, once each, at once; every answer must be 2xx.
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL } from './lib/original.js';

const vus = parseInt(__ENV.WEBHOOK_VUS || '10', 10);
const provider = __ENV.PAYMENT_PROVIDER || 'stripe';
const payload = __ENV.WEBHOOK_PAYLOAD || '';
const headers = JSON.parse(__ENV.WEBHOOK_HEADERS || '{}');

export const options = {
  scenarios: { webhook_idempotency: { executor: 'per-vu-iterations', vus, iterations: 1 } },
};

export function setup() {
  if (!payload) throw new Error('WEBHOOK_PAYLOAD is required');
}

export default function () {
  const res = http.post(`${BASE_URL}/api/payments/webhooks/${provider}`, payload, {
    headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
    tags: { name: 'payment_webhook' },
  });
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}
