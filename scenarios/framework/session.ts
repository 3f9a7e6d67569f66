// Admin sessions: copied from a browser (ADMIN_SESSION), obtained by logging in (ADMIN_EMAIL/ADMIN_PASSWORD, once in
// setup or once per VU), or minted straight into Valora's database (ADMIN_DATABASE_URL) so that every VU gets a
// session of its own without paying the login's Argon2id cost.
import exec from "k6/execution";
import * as valora from "k6/x/valora";
import { cfg } from "./config";
import { admin, bodyJson, expect2xx, isObject, send, unreachable, type AdminCredentials, type Query } from "./http";
import { registerSecret, warn } from "./log";
import { abort, withRetry } from "./preflight";

export type SessionSource = "session" | "login" | "login-per-vu" | "minted";

/** Setup data describing how VUs authenticate to /admin. Stripped from every summary: it holds tokens. */
export interface AdminAuth {
  source: SessionSource;
  tokens: string[];
  orgId: string;
}

/** Which source the configuration selects, or undefined when no admin access is configured. */
export function configuredSource(): SessionSource | undefined {
  if (cfg.adminDatabaseUrl) return "minted";
  if (cfg.sessionPerVu) return "login-per-vu";
  if (cfg.adminSession) return "session";
  if (cfg.adminEmail && cfg.adminPassword) return "login";
  return undefined;
}

export const NO_ADMIN_REASON =
  "no admin access configured (set ADMIN_SESSION, ADMIN_EMAIL and ADMIN_PASSWORD, or ADMIN_DATABASE_URL)";

export interface LoginResult {
  token: string;
  orgIds: string[];
}

/** POST /auth/login; undefined with a reason when refused. The cookie never enters the VU's jar. */
export function login(email: string, password: string): LoginResult | string {
  const res = withRetry(() =>
    send("POST", "/auth/login", JSON.stringify({ email, password }), {
      headers: { "Content-Type": "application/json" },
      name: "POST /auth/login",
      expect: expect2xx,
      isolateCookies: true,
      redirects: 0,
    }),
  );
  if (unreachable(res)) return `BASE_URL ${cfg.baseUrlShown} is unreachable: ${res.error || "no answer"}`;
  if (res.status === 401) return "ADMIN_EMAIL/ADMIN_PASSWORD were refused (401 on POST /auth/login)";
  if (res.status !== 200) return `POST /auth/login answered ${res.status}`;
  let token: string;
  try {
    token = valora.sessionFromSetCookie(res.headers["Set-Cookie"] ?? "");
  } catch (e) {
    return `POST /auth/login set no usable _sid cookie (${String(e)})`;
  }
  registerSecret(token);
  const body = bodyJson(res);
  const meta = isObject(body) && isObject(body.metadata) ? body.metadata : {};
  const orgIds = Array.isArray(meta.org_ids) ? meta.org_ids.map(String) : [];
  return { token, orgIds };
}

interface Me {
  orgIds: string[];
  activeOrgId: string;
}

function me(token: string): Me | string {
  const res = withRetry(() =>
    send("GET", "/auth/me", null, {
      headers: { Cookie: `_sid=${token}` },
      name: "GET /auth/me",
      expect: expect2xx,
      redirects: 0,
    }),
  );
  if (unreachable(res)) return `BASE_URL ${cfg.baseUrlShown} is unreachable: ${res.error || "no answer"}`;
  if (res.status === 401) return "the admin session is invalid, expired or revoked (401 on GET /auth/me)";
  if (res.status !== 200) return `GET /auth/me answered ${res.status}`;
  const body = bodyJson(res);
  const meta = isObject(body) && isObject(body.metadata) ? body.metadata : undefined;
  if (!meta) return 'GET /auth/me did not answer with {"metadata":{…}}';
  return {
    orgIds: Array.isArray(meta.org_ids) ? meta.org_ids.map(String) : [],
    activeOrgId: typeof meta.active_org_id === "string" ? meta.active_org_id : "",
  };
}

/**
 * The org to send as X-Org-Id: ORG_ID when set explicitly; the original default ORG_ID when the user belongs to
 * it; otherwise the session's active org (sent as nothing) or the user's first org.
 */
function chooseOrg(m: Me): string {
  if (cfg.explicit.orgId) return cfg.orgId;
  if (m.orgIds.includes(cfg.orgId)) return cfg.orgId;
  if (m.activeOrgId) return "";
  return m.orgIds[0] ?? "";
}

/**
 * Obtains admin access for `count` VUs and proves it works on `probePath` (an /admin route the scenario uses):
 * GET /auth/me must know the session and the route must answer 200, not a 302 to /login. Aborts with the reason
 * otherwise. Returns undefined when nothing is configured.
 */
export function acquireAdmin(count: number, probePath: string, probeQuery: Query = {}): AdminAuth | undefined {
  const source = configuredSource();
  if (!source) return undefined;

  let tokens: string[];
  switch (source) {
    case "session":
      tokens = [cfg.adminSession];
      break;
    case "login":
    case "login-per-vu": {
      // Per-VU logins happen on each VU's first iteration; this one proves the credentials first.
      const r = login(cfg.adminEmail, cfg.adminPassword);
      if (typeof r === "string") abort(r);
      tokens = [r.token];
      break;
    }
    case "minted": {
      try {
        const opts: valora.MintSessionsOptions = {
          databaseUrl: cfg.adminDatabaseUrl,
          email: cfg.adminEmail,
          count: Math.max(1, count),
        };
        if (cfg.explicit.orgId) opts.orgId = cfg.orgId;
        tokens = valora.mintSessions(opts);
      } catch (e) {
        abort(`could not mint sessions in ADMIN_DATABASE_URL for ADMIN_EMAIL: ${String(e)}`);
      }
      break;
    }
  }
  tokens.forEach(registerSecret);

  const who =
    source === "session" ? "ADMIN_SESSION" : source === "minted" ? "the minted session" : "the login's session";
  const m = me(tokens[0]);
  if (typeof m === "string") abort(`${who}: ${m}`);
  const orgId = chooseOrg(m);
  if (!cfg.explicit.orgId && orgId !== cfg.orgId) {
    warn(`ORG_ID not set and the default org is not the user's: using ${orgId || "the session's active org"}`);
  }

  const creds: AdminCredentials = { token: tokens[0], orgId };
  const res = withRetry(() =>
    admin("GET", probePath, creds, null, { query: probeQuery, name: `GET ${probePath} (setup)` }),
  );
  if (res.status === 302) {
    abort(`${who} is not accepted by /admin: GET ${probePath} redirected to ${res.headers.Location ?? "/login"}`);
  }
  if (res.status === 403) abort(`${who}: the user is not OWNER, ADMIN or FINOPS of org ${orgId || "(active)"} (403)`);
  if (res.status === 428) abort(`${who} has no active org: set ORG_ID (428 organization required)`);
  if (res.status === 400) abort(`ORG_ID "${orgId}" was refused by /admin (400)`);
  if (res.status !== 200 || bodyJson(res) === undefined) {
    abort(
      `${who}: GET ${probePath} answered ${res.status}${bodyJson(res) === undefined ? " without a JSON body" : ""}`,
    );
  }
  return { source, tokens, orgId };
}

let vuToken: string | undefined;

/** The credentials this VU uses: its own minted session or login, else the shared one. */
export function vuCredentials(auth: AdminAuth): AdminCredentials {
  if (auth.source === "minted") {
    return { token: auth.tokens[(exec.vu.idInTest - 1) % auth.tokens.length], orgId: auth.orgId };
  }
  if (auth.source === "login-per-vu") {
    if (vuToken === undefined) {
      const r = login(cfg.adminEmail, cfg.adminPassword);
      if (typeof r === "string") throw new Error(`VU ${exec.vu.idInTest}: ${r}`);
      vuToken = r.token;
    }
    return { token: vuToken, orgId: auth.orgId };
  }
  return { token: auth.tokens[0], orgId: auth.orgId };
}

/** Gives back what setup obtained: minted sessions are revoked, a setup login is logged out. */
export function releaseAdmin(auth: AdminAuth | undefined): void {
  if (!auth) return;
  if (auth.source === "minted") {
    try {
      valora.revokeSessions({ databaseUrl: cfg.adminDatabaseUrl, tokens: auth.tokens });
    } catch (e) {
      warn(`could not revoke the minted sessions: ${String(e)}`);
    }
  } else if (auth.source === "login" || auth.source === "login-per-vu") {
    send("POST", "/auth/logout", null, {
      headers: { Cookie: `_sid=${auth.tokens[0]}` },
      name: "POST /auth/logout",
      isolateCookies: true,
      redirects: 0,
    });
  }
}
