// Setup-time checks that stop a misconfigured run at once, with the reason, instead of minutes of failed requests.
import exec from "k6/execution";
import { sleep } from "k6";
import { cfg, named } from "./config";
import { flavorTraits } from "./flavor";
import { api, bodyJson, expect2xx, isObject, send, unreachable, type Response } from "./http";
import { error, redact } from "./log";

/** Aborts the whole run (exit code 108) with a reason that never contains a secret. */
export function abort(reason: string): never {
  const msg = redact(reason);
  error(`setup failed: ${msg}`);
  exec.test.abort(msg);
  // abort() interrupts the VU; this is only reached where abort is not available.
  throw new Error(msg);
}

/**
 * Sends a setup request, retrying a transport error or a 5xx twice: one unlucky answer from a healthy server must
 * not abort a whole run.
 */
export function withRetry(fn: () => Response): Response {
  let res = fn();
  for (let i = 0; i < 2 && (unreachable(res) || res.status >= 500); i++) {
    sleep(0.5 * (i + 1));
    res = fn();
  }
  return res;
}

/** Valora answers GET /health with 200 {"status":"ok"} whatever its state (contract 9): anything else is not Valora. */
export function assertReachable(): void {
  const res = withRetry(() => send("GET", "/health", null, { name: "GET /health", timeout: "10s", redirects: 0 }));
  if (unreachable(res)) {
    abort(`${named("BASE_URL")} ${cfg.baseUrlShown} is unreachable: ${res.error || "no answer"} (is Valora running there?)`);
  }
  const b = bodyJson(res);
  if (res.status !== 200 || !isObject(b) || b.status !== "ok") {
    abort(
      `${named("BASE_URL")} ${cfg.baseUrlShown} does not look like Valora's root URL: GET /health answered ${res.status}` +
        `${res.status === 200 ? ' without {"status":"ok"}' : ""} (Valora serves /health, /api and /admin at its root)`,
    );
  }
}

/** Checks that Valora accepts API_KEY and every key of API_KEYS. */
export function assertApiKeys(): void {
  assertApiKey();
  cfg.apiKeys.forEach((k, i) => assertApiKey(k, `API_KEYS item ${i + 1}`));
}

/** Checks that Valora accepts the API key; `what` names where the key came from, for the message. */
export function assertApiKey(key: string = cfg.apiKey, what = "API_KEY"): void {
  const res = withRetry(() =>
    api("GET", "/api/customers", null, {
      key,
      query: { page_size: 1 },
      name: "GET /api/customers (setup)",
      expect: expect2xx,
    }),
  );
  if (unreachable(res)) abort(`${named("BASE_URL")} ${cfg.baseUrlShown} is unreachable: ${res.error || "no answer"}`);
  const who = what === "API_KEY" ? named("API_KEY") : what;
  if (res.status === 401) {
    abort(
      `${who} was refused by Valora (401 on GET /api/customers): the key is unknown, revoked or expired` +
        (what === "API_KEY" && !cfg.explicit.apiKey ? "; set API_KEY (dist/provision.js writes one)" : ""),
    );
  }
  if (res.status === 403) {
    abort(
      `${who} lacks the scope for GET /api/customers (403)` +
        (flavorTraits().scopesPerRoute
          ? ": Railzway checks a scope on every /api route and refuses a key without scopes; create the key with the scopes it needs (customer:view here; dist/provision.js requests them explicitly)"
          : ""),
    );
  }
  if (res.status === 429) {
    abort(
      `${who} is throttled (429 on GET /api/customers)` +
        (flavorTraits().keyLimiter
          ? ": Railzway's per-key limiter keeps a key refused for the rest of its window; wait for it, or use other keys (API_KEYS)"
          : ": wait for the limiter's window, or use another key"),
    );
  }
  if (res.status >= 500) {
    abort(`Valora failed: GET /api/customers answered ${res.status} (a server error, not a problem with ${what})`);
  }
  if (res.status < 200 || res.status >= 300) {
    abort(
      `GET /api/customers answered ${res.status}, not 200: is ${named("BASE_URL")} ${cfg.baseUrlShown} Valora's root URL?`,
    );
  }
}
