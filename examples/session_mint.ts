// Admin sessions minted straight into Valora's PostgreSQL: one per VU, in setup(), without a single login. The
// tokens are `_sid` cookies that Valora accepts because it reads the same sessions table. teardown() revokes them.
//   ADMIN_DATABASE_URL (postgres://… of Valora's database), ADMIN_EMAIL, ORG_ID (an org the user belongs to);
//   BASE_URL, optionally: then each VU calls GET /auth/me with its session (Valora reading that database)
//   ./k6 run examples/session_mint.ts
import { check } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import type { Options } from "k6/options";
import { hashSessionToken, mintSessions, revokeSessions } from "k6/x/valora";
import { env } from "./lib/env.ts";

const VUS = 4;

export const options: Options = {
  vus: VUS,
  iterations: VUS * 3,
  thresholds: { checks: ["rate==1"] },
};

const databaseUrl = env("ADMIN_DATABASE_URL"); // never logged by k6/x/valora, not even in its errors

export function setup(): { tokens: string[] } {
  const tokens = mintSessions({ databaseUrl, email: env("ADMIN_EMAIL"), orgId: env("ORG_ID"), count: VUS, ttlSeconds: 600 });
  return { tokens };
}

export default function (data: { tokens: string[] }): void {
  // VU ids start at 1; each VU keeps the same session for all its iterations.
  const token = data.tokens[(exec.vu.idInTest - 1) % data.tokens.length];
  check(token, {
    "each VU has a session": (t) => t !== undefined && t.length > 0,
    // Valora stores only the SHA-256 of a token; this is the value its sessions table holds.
    "the stored hash is SHA-256 hex": (t) => /^[0-9a-f]{64}$/.test(hashSessionToken(t ?? "")),
  });
  if (__ENV.BASE_URL) {
    const res = http.get(`${__ENV.BASE_URL.replace(/\/+$/, "")}/auth/me`, {
      headers: { Cookie: `_sid=${token}` },
      redirects: 0,
    });
    check(res, { "Valora accepts the minted session": (r) => r.status === 200 });
  }
}

export function teardown(data: { tokens: string[] }): void {
  const revoked = revokeSessions({ databaseUrl, tokens: data.tokens });
  check(revoked, { "every minted session was live until teardown": (n) => n === data.tokens.length });
}
