// An admin session by logging in. setup() logs in once and hands the `_sid` token to every VU; for one session
// per VU, call login() from the default function on a VU's first iteration instead (each login costs Valora an
// Argon2id hash, so for many VUs mint them: session_mint.ts).
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD
//   ./k6 run examples/session_login.ts
import { check, fail } from "k6";
import http from "k6/http";
import type { Options } from "k6/options";
import { sessionFromSetCookie } from "k6/x/valora";
import { baseUrl, env } from "./lib/env.ts";

export const options: Options = {
  vus: 3,
  iterations: 9,
  thresholds: { checks: ["rate==1"] },
};

const base = baseUrl();

function login(email: string, password: string): string {
  const res = http.post(`${base}/auth/login`, JSON.stringify({ email, password }), {
    headers: { "Content-Type": "application/json" },
    // A jar of its own: the cookie goes where we put it, never silently into later requests of this VU.
    jar: new http.CookieJar(),
    redirects: 0,
  });
  if (res.status !== 200) fail(`POST /auth/login answered ${res.status}`);
  // Throws when there is no _sid, when it is blank, or when the cookie clears the session.
  return sessionFromSetCookie(res.headers["Set-Cookie"] ?? "");
}

export function setup(): { token: string } {
  return { token: login(env("ADMIN_EMAIL"), env("ADMIN_PASSWORD")) };
}

export default function (data: { token: string }): void {
  // Never follow redirects on /admin and /auth: a dead session answers 302 to /login, and following it would
  // turn the failure into a 200 login page.
  const res = http.get(`${base}/auth/me`, { headers: { Cookie: `_sid=${data.token}` }, redirects: 0 });
  check(res, { "the session is live": (r) => r.status === 200 });
}
