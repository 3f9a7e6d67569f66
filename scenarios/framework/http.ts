// Requests as every scenario makes them: a `name` tag on each (so thresholds and reports group by route, not by
// URL), API-key and session headers, no redirect following on /admin, and tolerant JSON reading.
import exec from "k6/execution";
import http from "k6/http";
import type { Params, RefinedResponse, ResponseType } from "k6/http";
import { cfg } from "./config";

export type Response = RefinedResponse<ResponseType | undefined>;
export type Query = Record<string, string | number | boolean | undefined>;
type ExpectedStatusesCallback = ReturnType<typeof http.expectedStatuses>;

/** Only 2xx counts as success: a 302 to /login or a 429 must not pass as a working request. */
export const expect2xx = http.expectedStatuses({ min: 200, max: 299 });
/** Ingest under load: a 429 is Valora's limiter doing its job, counted apart from failures. */
export const expect2xxOr429 = http.expectedStatuses({ min: 200, max: 299 }, 429);
/** Negative cases: the refusal is the expected answer. */
export const expect4xx = http.expectedStatuses({ min: 400, max: 499 });
export const expect401 = http.expectedStatuses(401);
/** A probe, where every answer below 500 is information (the flavour probe): only a 5xx counts as failed. */
export const expectAnswer = http.expectedStatuses({ min: 200, max: 499 });
export const expect302 = http.expectedStatuses(302);

export interface RequestOptions {
  /** The `name` tag; defaults to "<METHOD> <path>". */
  name?: string;
  query?: Query;
  headers?: Record<string, string>;
  expect?: ExpectedStatusesCallback;
  tags?: Record<string, string>;
  /** Redirects to follow; /admin requests always use 0. */
  redirects?: number;
  timeout?: string;
  /** A cookie jar of its own, so a login's Set-Cookie never leaks into later requests of the VU. */
  isolateCookies?: boolean;
}

export function url(path: string, query?: Query): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === "") continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  const base = cfg.baseUrl + path;
  if (parts.length === 0) return base;
  return `${base}${base.includes("?") ? "&" : "?"}${parts.join("&")}`;
}

/** Sees every response this VU gets through send (the capacity scenario's per-step figures); undefined: none. */
let observer: ((res: Response) => void) | undefined;

export function observeResponses(fn: ((res: Response) => void) | undefined): void {
  observer = fn;
}

/** Passes a response made without send (the ingest hot path's own http.post) to the observer. */
export function observed(res: Response): void {
  observer?.(res);
}

export function send(method: string, path: string, body: string | null, opts: RequestOptions = {}): Response {
  const params: Params = {
    headers: opts.headers ?? {},
    tags: { ...(opts.tags ?? {}), name: opts.name ?? `${method} ${path}` },
  };
  if (opts.expect) params.responseCallback = opts.expect;
  if (opts.redirects !== undefined) params.redirects = opts.redirects;
  if (opts.timeout) params.timeout = opts.timeout;
  if (opts.isolateCookies) params.jar = new http.CookieJar();
  const res = http.request(method, url(path, opts.query), body, params);
  observer?.(res);
  return res;
}

export function apiHeaders(key: string = cfg.apiKey, extra: Record<string, string> = {}): Record<string, string> {
  return { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...extra };
}

let rotation = 0;

/**
 * The key of the next /api request: API_KEY, or with API_KEYS set, each of the keys in turn (offset by the VU, so
 * VUs do not move in step), so load is spread over the keys' per-key limits.
 */
export function nextKey(): string {
  if (cfg.apiKeys.length === 0) return cfg.apiKey;
  const keys = [cfg.apiKey, ...cfg.apiKeys];
  let vu = 0;
  try {
    vu = exec.vu.idInTest;
  } catch (_) {
    // init context: no VU yet
  }
  return keys[(vu + rotation++) % keys.length];
}

/** A request to /api with the API key (or `key`), never with an org hint: Valora takes the org from the key. */
export function api(
  method: string,
  path: string,
  body: unknown = null,
  opts: RequestOptions & { key?: string } = {},
): Response {
  const payload = body === null ? null : typeof body === "string" ? body : JSON.stringify(body);
  return send(method, path, payload, { ...opts, headers: { ...apiHeaders(opts.key ?? nextKey()), ...(opts.headers ?? {}) } });
}

/** What an /admin request authenticates with: the `_sid` cookie and the org it acts in ("" = the active org). */
export interface AdminCredentials {
  token: string;
  orgId: string;
}

export function adminHeaders(creds: AdminCredentials, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { Cookie: `_sid=${creds.token}`, ...extra };
  if (creds.orgId) h["X-Org-Id"] = creds.orgId;
  return h;
}

/**
 * A request to /admin. Redirects are never followed: an expired session answers 302 to /login, and following it
 * would turn the failure into a 200 login page.
 */
export function admin(
  method: string,
  path: string,
  creds: AdminCredentials,
  body: unknown = null,
  opts: RequestOptions = {},
): Response {
  const payload = body === null ? null : typeof body === "string" ? body : JSON.stringify(body);
  const extra: Record<string, string> = payload === null ? {} : { "Content-Type": "application/json" };
  return send(method, path, payload, {
    expect: expect2xx,
    ...opts,
    redirects: 0,
    headers: adminHeaders(creds, { ...extra, ...(opts.headers ?? {}) }),
  });
}

// ---------------------------------------------------------------- reading responses

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The parsed body, or undefined when it is not JSON (an HTML login page, an empty 500). */
export function bodyJson(res: Response): unknown {
  if (typeof res.body !== "string" || res.body === "") return undefined;
  try {
    return JSON.parse(res.body);
  } catch (_) {
    return undefined;
  }
}

export function header(res: Response, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers)) {
    if (k.toLowerCase() === want) return v;
  }
  return undefined;
}

/** Valora's error envelope `{"error":{"type","message"}}`, if that is what the body is. */
export function errorEnvelope(res: Response): { type: string; message: string } | undefined {
  const b = bodyJson(res);
  if (!isObject(b) || !isObject(b.error)) return undefined;
  const { type, message } = b.error;
  if (typeof type !== "string" || typeof message !== "string") return undefined;
  return { type, message };
}

/** The codes of the envelope's validation errors (`error.errors[].code`), in order; [] when there are none. */
export function errorCodes(res: Response): string[] {
  const b = bodyJson(res);
  if (!isObject(b) || !isObject(b.error) || !Array.isArray(b.error.errors)) return [];
  return b.error.errors.filter(isObject).map((e) => String(e.code ?? ""));
}

/** Retry-After in seconds (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterSeconds(res: Response): number | undefined {
  const v = header(res, "Retry-After")?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, (at - Date.now()) / 1000);
}

/** A transport failure (refused connection, DNS, timeout): k6 reports status 0. */
export function unreachable(res: Response): boolean {
  return res.status === 0;
}
