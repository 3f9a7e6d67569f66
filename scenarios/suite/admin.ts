// /admin without a valid session: every admin scenario checks that a bogus or missing _sid answers 302 to /login,
// never data (contract 1.4).
import { randomBytes } from "k6/crypto";
import { expect302, header, send } from "../framework/http";
import { defineInvariants } from "../framework/invariants";
import { excerpt } from "../framework/log";

export const adminInvariants = defineInvariants({
  admin_requires_session: { description: "/admin without a valid _sid answers 302 to /login, never data." },
});
const { holds } = adminInvariants;

/** A cookie that looks like Valora's (43 characters of base64url) but names no session. */
function bogusToken(): string {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return Array.from(new Uint8Array(randomBytes(43)), (b) => abc[b % 64]).join("");
}

/** admin_requires_session: without a valid _sid, `path` answers 302 to /login, with no data. */
export function adminRequiresSession(path: string, orgId: string): void {
  const cases: [string, Record<string, string>][] = [
    ["a bogus _sid", { Cookie: `_sid=${bogusToken()}` }],
    ["no cookie", {}],
  ];
  for (const [what, headers] of cases) {
    if (orgId) headers["X-Org-Id"] = orgId;
    const res = send("GET", path, null, {
      headers,
      redirects: 0,
      expect: expect302,
      name: `GET ${path} (no valid session)`,
    });
    const location = header(res, "Location") ?? "";
    holds(
      "admin_requires_session",
      res.status === 302 && /\/login$/.test(location),
      `/admin with ${what} redirects to /login`,
      () => `GET ${path} answered ${res.status}${location ? ` → ${location}` : ""}: ${excerpt(res.body)}`,
    );
  }
}
