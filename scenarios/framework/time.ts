// RFC 3339 instants at nanosecond precision: Valora writes Go's RFC3339Nano, and Postgres reads back microseconds,
// so comparing through a JavaScript Date (milliseconds) would call different instants equal.

export interface Instant {
  /** Whole seconds since the Unix epoch. */
  seconds: number;
  /** Nanoseconds within that second. */
  nanos: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseInstant(s: unknown): Instant | undefined {
  if (typeof s !== "string") return undefined;
  const m = RFC3339.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  let seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) / 1000;
  if (tz.toUpperCase() !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    seconds -= sign * (Number(tz.slice(1, 3)) * 3600 + Number(tz.slice(4, 6)) * 60);
  }
  const nanos = frac ? Number(frac.padEnd(9, "0")) : 0;
  return { seconds, nanos };
}

/** Negative when a is earlier than b, 0 when they are the same instant, positive when later. */
export function compareInstants(a: Instant, b: Instant): number {
  return a.seconds !== b.seconds ? a.seconds - b.seconds : a.nanos - b.nanos;
}

export function sameInstant(a: unknown, b: unknown): boolean {
  // The common case on the hot path: the echo is the very string that was sent.
  if (typeof a === "string" && a === b) return RFC3339.test(a.trim());
  const x = parseInstant(a);
  const y = parseInstant(b);
  return x !== undefined && y !== undefined && compareInstants(x, y) === 0;
}

/** Compares decimal id strings (snowflakes exceed 2^53, so not as numbers). */
export function compareDecimal(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
