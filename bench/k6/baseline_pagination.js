// Baseline: Valora's original admin/pagination.js. One VU walks GET /admin/customers page by page, reading
// body.data.customers (id or ID), next_page_token and has_more, and fails on a repeated id or token.
import { check, fail } from 'k6';
import { adminGet } from './lib/admin.js';

export { setup } from './lib/admin.js';

const pageSize = parseInt(__ENV.PAGE_SIZE || '50', 10);
const maxPages = parseInt(__ENV.MAX_PAGES || '10', 10);

export const options = {
  scenarios: { pagination: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } },
};

export default function () {
  const ids = new Set();
  const tokens = new Set();
  let token = '';
  for (let page = 0; page < maxPages; page++) {
    const query = token ? `&page_token=${encodeURIComponent(token)}` : '';
    const res = adminGet(`/admin/customers?page_size=${pageSize}${query}`, 'admin_customers_page');
    const data = res.json('data') || {};
    for (const c of data.customers || []) {
      const id = String(c.id || c.ID);
      if (ids.has(id)) fail(`duplicate customer id ${id}`);
      ids.add(id);
    }
    check(res, { 'page has customers array': () => Array.isArray(data.customers) });
    if (!data.has_more || !data.next_page_token) break;
    if (tokens.has(data.next_page_token)) fail(`page token ${data.next_page_token} repeats`);
    tokens.add(data.next_page_token);
    token = data.next_page_token;
  }
}
