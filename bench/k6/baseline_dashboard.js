// Baseline: Valora's original admin/billing_dashboard.js. Each iteration reads the billing customers and the
// billing cycles with the session cookie and X-Org-Id, a 2xx check on each.
import { adminGet } from './lib/admin.js';

export { setup } from './lib/admin.js';

const vus = parseInt(__ENV.DASHBOARD_VUS || '15', 10);
const duration = __ENV.DASHBOARD_DURATION || '2m';

export const options = {
  scenarios: { billing_dashboard: { executor: 'constant-vus', vus, duration } },
  thresholds: { http_req_duration: ['p(95)<500'] },
};

export default function () {
  adminGet('/admin/billing/customers', 'billing_customers');
  adminGet('/admin/billing/cycles', 'billing_cycles');
}
