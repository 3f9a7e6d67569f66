// The /admin helpers as Valora's original k6 suite has them: plain JavaScript, the `_sid` cookie from
// ADMIN_SESSION and X-Org-Id from ORG_ID, a 2xx check. No k6/x/valora here.
import http from 'k6/http';
import { check } from 'k6';

export const BASE_URL = __ENV.BASE_URL || 'http://localhost:8080';
export const ORG_ID = __ENV.ORG_ID || '';
export const ADMIN_SESSION = __ENV.ADMIN_SESSION || '';

export function setup() {
  if (!ADMIN_SESSION) throw new Error('ADMIN_SESSION is required');
}

export function adminHeaders() {
  const headers = { Cookie: `_sid=${ADMIN_SESSION}` };
  if (ORG_ID) headers['X-Org-Id'] = ORG_ID;
  return headers;
}

/** One GET to /admin, checked the way the original admin scripts check it. */
export function adminGet(path, name) {
  const res = http.get(`${BASE_URL}${path}`, { headers: adminHeaders(), tags: { name } });
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
  return res;
}
