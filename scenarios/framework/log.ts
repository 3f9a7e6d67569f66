// Logging that cannot leak a secret: every message passes through redact(), which knows the configured secrets
// and any secret obtained at run time (session tokens, generated keys).
import { secretValues } from "./config";

// k6 provides console; the ES2022 lib this project type-checks against does not declare it.
declare const console: {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};

/**
 * From this length on a secret is hidden wherever its text appears. A shorter one ("admin", "1") is a piece of
 * ordinary words and addresses, so it is hidden only where it stands alone, as a whole value.
 */
export const SUBSTRING_REDACTION_LENGTH = 8;

const runtimeSecrets: string[] = [];

/** Adds a value obtained at run time (a session token, a created API key) to what redact() hides. */
export function registerSecret(value: string | undefined | null): void {
  if (value && !runtimeSecrets.includes(value)) runtimeSecrets.push(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Characters a short secret may not touch to count as standing alone (it would be part of a word or address). */
const WORD = "A-Za-z0-9._~+/@%-";

export function redact(text: string): string {
  let out = text;
  const all = [...secretValues(), ...runtimeSecrets].filter((s) => s !== "");
  // Longest first, so a secret that contains another is hidden whole.
  all.sort((a, b) => b.length - a.length);
  for (const s of all) {
    if (!out.includes(s)) continue;
    if (s.length >= SUBSTRING_REDACTION_LENGTH) {
      out = out.split(s).join("[redacted]");
    } else {
      out = out.replace(new RegExp(`(^|[^${WORD}])${escapeRegExp(s)}(?![${WORD}])`, "g"), "$1[redacted]");
    }
  }
  // Credentials that were never registered still must not show: URL userinfo, cookies, bearer tokens, key formats.
  return out
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']*@/gi, "$1[redacted]@")
    .replace(/(_sid=)[^;,\s"]+/g, "$1[redacted]")
    .replace(/(Bearer\s+)[^\s",]+/g, "$1[redacted]")
    .replace(/vk_live_key_[A-Za-z0-9]+_[0-9a-f]{8,}/g, "vk_live_key_[redacted]")
    .replace(/whsec_[A-Za-z0-9]+/g, "whsec_[redacted]");
}

export function info(message: string): void {
  console.log(redact(message));
}

export function warn(message: string): void {
  console.warn(redact(message));
}

export function error(message: string): void {
  console.error(redact(message));
}

const warned: Record<string, number> = {};

/** Warns at most `limit` times per key in this VU, so a failing invariant explains itself without flooding. */
export function warnLimited(key: string, message: string, limit = 3): void {
  const n = (warned[key] ?? 0) + 1;
  warned[key] = n;
  if (n <= limit) warn(n === limit ? `${message} (further messages like this one are suppressed)` : message);
}

/** A short, redacted excerpt of a response body for a failure message. */
export function excerpt(body: unknown, max = 200): string {
  const s = typeof body === "string" ? body : body == null ? "" : String(body);
  const flat = s.replace(/\s+/g, " ").trim();
  return redact(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}
