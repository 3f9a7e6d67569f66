// pagination: cursor pagination of GET /admin/customers. A set of customers the scenario created itself (all with one unique
// email, listed with the exact-match `email` filter) must come back exactly once each, in created_at DESC, id DESC
// order; the unfiltered list must show no duplicate, every token must be new, and no row may be skipped.
//
// Valora's cursor keeps created_at in whole seconds and compares strictly (contract 3.1), so rows that share the
// second of a page's last row are skipped on the next page. The known set is created so that some page boundaries
// fall inside a second and others between two seconds: any lost row violates pagination_no_row_lost (the message
// gives the cause), and a row lost after a boundary between two seconds, where even a whole-second cursor is
// exact, also violates pagination_no_row_lost_between_seconds.
import { sleep } from "k6";
import * as valora from "k6/x/valora";
import { problem, variables } from "../framework/config";
import {
  admin,
  api,
  bodyJson,
  expect2xx,
  isObject,
  type AdminCredentials,
  type Query,
  type Response,
} from "../framework/http";
import { defineInvariants, type NotChecked } from "../framework/invariants";
import { excerpt, warn } from "../framework/log";
import { abort, assertReachable, withRetry } from "../framework/preflight";
import type { Scenario, SetupData } from "../framework/scenario";
import { acquireAdmin, NO_ADMIN_REASON, releaseAdmin, vuCredentials, type AdminAuth } from "../framework/session";
import { compareDecimal, compareInstants, parseInstant } from "../framework/time";
import { adminInvariants, adminRequiresSession } from "./admin";

const v = variables("pagination", {
  PAGE_SIZE: { kind: "int", def: 50, min: 1, max: 1000, doc: "page size of the walk" },
  MAX_PAGES: { kind: "int", def: 10, min: 1, max: 10000, doc: "pages to walk at most" },
  PAGINATION_SEED: {
    kind: "int",
    def: 25,
    min: 0,
    max: 500,
    doc: "customers to create as a known set (0 to skip; at least 6 otherwise)",
  },
});
if (v.PAGINATION_SEED > 0 && v.PAGINATION_SEED < 6) {
  problem(
    `PAGINATION_SEED: must be 0 (skip the known set) or at least 6, so the set spans pages whose boundaries fall inside and between seconds (got ${v.PAGINATION_SEED})`,
  );
}

const { holds, notCheckedNow, names } = defineInvariants({
  pagination_shape: {
    description: "Every page has the documented shape (Valora's data.customers or Railzway's data + page_info).",
  },
  pagination_no_duplicates: { description: "No customer id appears twice while walking the pages." },
  pagination_token_advances: {
    description: "Every next_page_token is new, and has_more always comes with a token.",
    conditional: "every walk fitted on one page: no token to follow",
  },
  pagination_order: { description: "Rows come in created_at DESC, id DESC order, across page boundaries." },
  pagination_no_row_lost: {
    description: "Every customer is seen exactly once while walking the pages, whatever the cause of a loss.",
    knownDefect:
      "Valora's cursor keeps created_at in whole seconds and compares strictly, so rows created in the same second as a page's last row are never listed",
  },
  pagination_no_row_lost_between_seconds: {
    description:
      "No row is lost after a page boundary that falls between two seconds, where even a whole-second cursor is exact.",
  },
});

export const CUSTOMERS_PAGE = "GET /admin/customers";

export interface Row {
  id: string;
  createdAt: string;
}

interface Page {
  rows: Row[];
  nextToken: string;
  hasMore: boolean;
}

/** Reads either shape: Valora's data.{customers,next_page_token,has_more} or Railzway's data[] + page_info. */
export function readPage(body: unknown): Page | string {
  if (!isObject(body)) return "the body is not a JSON object";
  let list: unknown[];
  let info: Record<string, unknown>;
  if (Array.isArray(body.data)) {
    list = body.data;
    if (!isObject(body.page_info)) return "data is a list but page_info is missing";
    info = body.page_info;
  } else if (isObject(body.data) && Array.isArray(body.data.customers)) {
    list = body.data.customers;
    info = body.data;
  } else {
    return 'neither {"data":{"customers":[…]}} nor {"data":[…],"page_info":{…}}';
  }
  const token = info.next_page_token ?? "";
  if (typeof token !== "string") return "next_page_token is not a string";
  if (typeof (info.has_more ?? false) !== "boolean") return "has_more is not a boolean";
  const rows: Row[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (!isObject(c)) return `customers[${i}] is not an object`;
    const id = c.id ?? c.ID;
    const createdAt = c.created_at ?? c.CreatedAt;
    if (typeof id !== "string" || id === "") return `customers[${i}] has no string id`;
    if (typeof createdAt !== "string" || parseInstant(createdAt) === undefined) {
      return `customers[${i}].created_at is not an RFC 3339 time`;
    }
    rows.push({ id, createdAt });
  }
  return { rows, nextToken: token, hasMore: info.has_more === true };
}

/** Strictly after `prev` in the listing order created_at DESC, id DESC. */
function comesAfter(prev: Row, next: Row): boolean {
  const c = compareInstants(parseInstant(next.createdAt)!, parseInstant(prev.createdAt)!);
  return c < 0 || (c === 0 && compareDecimal(next.id, prev.id) < 0);
}

function sameSecond(a: Row, b: Row): boolean {
  return parseInstant(a.createdAt)!.seconds === parseInstant(b.createdAt)!.seconds;
}

export interface Walk {
  rows: Row[];
  /** The last row of every page that announced more: the rows the cursor tokens point at. */
  boundaries: Row[];
  /** True when the walk reached the last page (has_more false) within its page limit. */
  complete: boolean;
}

function listPage(creds: AdminCredentials, query: Query, name = CUSTOMERS_PAGE): Response {
  return admin("GET", "/admin/customers", creds, null, { query, name });
}

/** Walks the pages of `filter`, checking every page as it comes. */
export function walk(creds: AdminCredentials, filter: Query, pageSize: number, maxPages: number, what: string): Walk {
  const seen = new Set<string>();
  const tokens = new Set<string>();
  const w: Walk = { rows: [], boundaries: [], complete: false };
  let token = "";
  for (let page = 1; page <= maxPages; page++) {
    const res = listPage(creds, { page_size: pageSize, ...filter, page_token: token || undefined });
    if (res.status !== 200) {
      warn(`${what}: page ${page} answered ${res.status}: ${excerpt(res.body)}`);
      return w;
    }
    const p = readPage(bodyJson(res));
    if (typeof p === "string") {
      holds("pagination_shape", false, "every page has a documented shape", () => `${what} page ${page}: ${p}`);
      return w;
    }
    holds("pagination_shape", true, "every page has a documented shape");
    const dups: string[] = [];
    for (const r of p.rows) {
      if (seen.has(r.id)) {
        dups.push(r.id);
        continue;
      }
      const prev = w.rows[w.rows.length - 1];
      if (prev) {
        holds(
          "pagination_order",
          comesAfter(prev, r),
          "rows come in created_at DESC, id DESC order",
          () => `${what} page ${page}: ${r.id} (${r.createdAt}) follows ${prev.id} (${prev.createdAt})`,
        );
      }
      w.rows.push(r);
      seen.add(r.id);
    }
    holds(
      "pagination_no_duplicates",
      dups.length === 0,
      "no customer id appears twice while walking the pages",
      () => `${what} page ${page} repeats ${dups.slice(0, 5).join(", ")}`,
    );
    if (!p.hasMore) {
      w.complete = true;
      return w;
    }
    const fresh = p.nextToken !== "" && !tokens.has(p.nextToken);
    holds(
      "pagination_token_advances",
      fresh,
      "has_more comes with a next_page_token never seen before",
      () =>
        `${what} page ${page}: ${p.nextToken === "" ? "has_more without a token" : "the token repeats an earlier one"}`,
    );
    if (!fresh || p.rows.length === 0) return w;
    tokens.add(p.nextToken);
    w.boundaries.push(p.rows[p.rows.length - 1]);
    token = p.nextToken;
  }
  return w;
}

/** The page boundary a missing row came after: the last boundary row that precedes it in listing order. */
function boundaryBefore(r: Row, boundaries: Row[]): Row | undefined {
  let found: Row | undefined;
  for (const b of boundaries) if (comesAfter(b, r)) found = b;
  return found;
}

/** Boundaries seen by the walks of this VU that fell between two seconds (the next row in another second). */
let betweenBoundaries = 0;

/**
 * Counts the boundaries of a walk whose next listed row (in the complete listing `all`) lies in another second:
 * there, even a whole-second cursor loses nothing.
 */
function countBetween(boundaries: Row[], all: Row[]): void {
  for (const b of boundaries) {
    const i = all.findIndex((r) => r.id === b.id);
    const next = i >= 0 ? all[i + 1] : undefined;
    if (next && !sameSecond(b, next)) betweenBoundaries++;
  }
}

/**
 * Judges the rows a walk never showed. Every one is a lost row (pagination_no_row_lost), whatever the cause; the
 * message says how many shared the second of the page boundary before them (Valora's whole-second cursor). A row
 * lost after a boundary in another second is lost where no cursor rounding explains it.
 */
function reportMissing(what: string, missing: Row[], boundaries: Row[], total: number): void {
  const sameSec: Row[] = [];
  const other: Row[] = [];
  for (const r of missing) {
    const b = boundaryBefore(r, boundaries);
    (b && sameSecond(b, r) ? sameSec : other).push(r);
  }
  const eg = (rows: Row[]): string =>
    rows
      .slice(0, 3)
      .map((r) => r.id)
      .join(", ");
  holds(
    "pagination_no_row_lost",
    missing.length === 0,
    `walking the pages loses no row (${what})`,
    () =>
      `${missing.length} of ${total} rows never appeared: ` +
      [
        sameSec.length > 0
          ? `${sameSec.length} shared the created_at second of the page's last row before them (Valora's cursor keeps whole seconds and compares strictly: contract 3.1; e.g. ${eg(sameSec)})`
          : "",
        other.length > 0 ? `${other.length} did not (e.g. ${eg(other)})` : "",
      ]
        .filter(Boolean)
        .join("; "),
  );
  holds(
    "pagination_no_row_lost_between_seconds",
    other.length === 0,
    `no row is lost after a page boundary between two seconds (${what})`,
    () => `${other.length} rows of ${what} were lost although the page boundary before them is in another second (e.g. ${eg(other)})`,
  );
}

/** After the walks: a run whose boundaries all fell inside one second could not test the between-seconds case. */
export function requireBetweenBoundaries(): void {
  if (betweenBoundaries === 0) {
    notCheckedNow(
      "pagination_no_row_lost_between_seconds",
      "no page boundary fell between two seconds (every page's last row shared its second with the next row)",
    );
  }
}

// ---------------------------------------------------------------- the known set

export interface Seed {
  email: string;
  /** Ids in creation order. */
  ids: string[];
  pageSize: number;
}

/** Page size for the known set: small enough that it spans at least three pages. */
export function seedPageSize(n: number): number {
  return Math.max(1, Math.min(v.PAGE_SIZE, Math.ceil(n / 3)));
}

function createCustomer(creds: AdminCredentials, body: { name: string; email: string }, viaAdmin: boolean): Response {
  return withRetry(() =>
    viaAdmin
      ? admin("POST", "/admin/customers", creds, body, { name: "POST /admin/customers (setup)" })
      : api("POST", "/api/customers", body, { name: "POST /api/customers (setup)", expect: expect2xx }),
  );
}

/** Sleeps until the server's clock (read from the last created_at) has passed into a new second. */
function nextSecond(lastCreated: string | undefined): void {
  const at = lastCreated ? parseInstant(lastCreated) : undefined;
  if (at) sleep((1e9 - at.nanos) / 1e9 + 0.05);
}

/**
 * Creates `n` customers sharing one email no other run uses, through the API key when it works and the admin
 * session otherwise (the same handler serves both). Creation runs oldest first, so creation index n - k·pageSize is
 * the last row of page k. At odd boundaries that row and the one created before it share a second (a boundary
 * inside a second: Valora's cursor loses rows there); at even boundaries the row starts a new second.
 */
export function seedCustomers(creds: AdminCredentials, n: number): Seed | string {
  const run = valora.snowflake();
  const email = `k6-page-${run}@example.com`;
  const pageSize = seedPageSize(n);
  const pages = Math.ceil(n / pageSize);
  const between = new Set<number>();
  const inside = new Set<number>();
  for (let k = 1; k < pages; k++) (k % 2 === 0 ? between : inside).add(n - k * pageSize);

  const ids: string[] = [];
  let viaAdmin = false;
  let lastCreated: string | undefined;
  for (let i = 0; i < n; i++) {
    if (between.has(i)) nextSecond(lastCreated);
    // The pair (i, i+1) must land in one second: start it early in a second.
    if (inside.has(i + 1)) {
      const at = lastCreated ? parseInstant(lastCreated) : undefined;
      if (at && at.nanos > 6e8) nextSecond(lastCreated);
    }
    const body = { name: `k6-page-${run}-${String(i).padStart(3, "0")}`, email };
    let res = createCustomer(creds, body, viaAdmin);
    if (!viaAdmin && (res.status === 401 || res.status === 403)) {
      viaAdmin = true;
      res = createCustomer(creds, body, viaAdmin);
    }
    const b = bodyJson(res);
    const data = isObject(b) && isObject(b.data) ? b.data : undefined;
    const id = data?.id ?? data?.ID;
    if (res.status !== 200 || typeof id !== "string") {
      return `creating customer ${i + 1} of ${n} answered ${res.status}: ${excerpt(res.body)}`;
    }
    ids.push(id);
    lastCreated = typeof data?.created_at === "string" ? data.created_at : undefined;
  }
  return { email, ids, pageSize };
}

/** The known set: each created customer exactly once, and nothing else under its email. */
export function checkSeed(creds: AdminCredentials, seed: Seed): void {
  const limit = Math.ceil(seed.ids.length / seed.pageSize) + 3;
  const what = `the ${seed.ids.length} seeded customers`;
  const w = walk(creds, { email: seed.email }, seed.pageSize, limit, what);
  holds(
    "pagination_no_row_lost",
    w.complete,
    "the walk over the seeded customers reaches the last page",
    () => `no last page within ${limit} pages of ${seed.pageSize} (seen ${w.rows.length} of ${seed.ids.length})`,
  );
  const walked = new Set(w.rows.map((r) => r.id));
  const foreign = w.rows.filter((r) => !seed.ids.includes(r.id)).map((r) => r.id);
  holds(
    "pagination_no_row_lost",
    foreign.length === 0,
    "the email filter lists only the seeded customers",
    () => `${foreign.length} other rows were listed (e.g. ${foreign.slice(0, 3).join(", ")})`,
  );
  // One page lists the whole set with its created_at: the cause of a loss, and which boundaries fell between seconds.
  const res = listPage(creds, { page_size: seed.ids.length + 1, email: seed.email }, `${CUSTOMERS_PAGE} (one page)`);
  const all = readPage(bodyJson(res));
  const rows = typeof all === "string" ? [] : all.rows;
  countBetween(w.boundaries, rows);
  const missing = rows.filter((r) => !walked.has(r.id) && seed.ids.includes(r.id));
  const unlisted = seed.ids.filter((id) => !walked.has(id) && !rows.some((r) => r.id === id));
  holds(
    "pagination_no_row_lost",
    unlisted.length === 0,
    `walking the pages loses no row (${what})`,
    () => `${unlisted.length} seeded customers are missing even from one big page`,
  );
  reportMissing(what, missing, w.boundaries, seed.ids.length);
}

/**
 * The unfiltered walk (up to MAX_PAGES pages of PAGE_SIZE), then one page as long as the walk: every row of that
 * page up to the walk's last row must have been seen while walking.
 */
export function checkUnfiltered(creds: AdminCredentials): void {
  const w = walk(creds, {}, v.PAGE_SIZE, v.MAX_PAGES, "the unfiltered list");
  if (w.rows.length === 0) return;
  const res = listPage(creds, { page_size: w.rows.length + 1 }, `${CUSTOMERS_PAGE} (one page)`);
  const p = readPage(bodyJson(res));
  if (res.status !== 200 || typeof p === "string") {
    warn(`one-page listing of ${w.rows.length + 1} rows failed: ${res.status}`);
    return;
  }
  const first = w.rows[0];
  const last = w.rows[w.rows.length - 1];
  const walked = new Set(w.rows.map((r) => r.id));
  // Rows created during the walk are newer than its first row; rows past its last row were never due.
  const inRange = (r: Row): boolean =>
    (r.id === first.id || comesAfter(first, r)) && (w.complete || r.id === last.id || comesAfter(r, last));
  const missing = p.rows.filter((r) => !walked.has(r.id) && inRange(r));
  countBetween(w.boundaries, p.rows);
  reportMissing("the unfiltered list", missing, w.boundaries, w.rows.length);
}

export interface PaginationData extends SetupData {
  seed?: Seed;
  notChecked: NotChecked;
  admin?: AdminAuth;
}

function paginationSetup(creds: AdminCredentials, n: number): PaginationData {
  if (n <= 0) return { notChecked: {} };
  const seed = seedCustomers(creds, n);
  if (typeof seed === "string") {
    warn(`pagination seed failed: ${seed}`);
    return { notChecked: { pagination_no_row_lost: `PAGINATION_SEED: the customers could not be created (${seed})` } };
  }
  return { seed, notChecked: {} };
}

function paginationIteration(creds: AdminCredentials, d: PaginationData): void {
  if (d.seed) checkSeed(creds, d.seed);
  checkUnfiltered(creds);
  requireBetweenBoundaries();
}

function walkAll(d: PaginationData): void {
  if (d.admin) paginationIteration(vuCredentials(d.admin), d);
}

function session(d: PaginationData): void {
  adminRequiresSession("/admin/customers", d.admin?.orgId ?? "");
}

/** Smoke's known set: 7 customers, three pages, one boundary inside a second and one between two. */
const SMOKE_SEED = 7;

const catches = {
  healthy: ["pagination_no_row_lost"],
  "page-repeat": ["pagination_no_duplicates"],
  "page-drop": ["pagination_no_row_lost_between_seconds"],
  "page-shape": ["pagination_shape"],
  "page-order": ["pagination_order"],
  "page-token-stuck": ["pagination_token_advances"],
  "session-skip": ["admin_requires_session"],
};

export const pagination: Scenario<PaginationData, AdminAuth> = {
  name: "pagination",
  invariants: [...names, ...adminInvariants.names],
  scenarios: {
    pagination: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "10m", exec: "walkAll" },
    admin_session_required: { executor: "per-vu-iterations", vus: 1, iterations: 1, exec: "session" },
  },
  thresholds: { [`http_req_failed{name:${CUSTOMERS_PAGE}}`]: ["rate<0.01"] },
  // Creating the known set takes about a second per page boundary, plus a request per customer.
  extraOptions: { setupTimeout: `${60 + Math.ceil(v.PAGINATION_SEED / 2)}s` },
  setup(): PaginationData {
    assertReachable();
    const auth = acquireAdmin(1, "/admin/customers", { page_size: 1 });
    if (!auth) abort(`ADMIN_SESSION: missing: ${NO_ADMIN_REASON}`);
    return { admin: auth, ...paginationSetup({ token: auth.tokens[0], orgId: auth.orgId }, v.PAGINATION_SEED) };
  },
  iterations: { walkAll, session },
  teardown: (d) => releaseAdmin(d.admin),
  catches,
  smoke: {
    order: 7,
    scenarios: {
      pagination: { executor: "per-vu-iterations", vus: 1, iterations: 1, maxDuration: "30s", exec: "walkAll" },
      pagination_session_required: {
        executor: "per-vu-iterations",
        vus: 1,
        iterations: 1,
        maxDuration: "30s",
        exec: "session",
      },
    },
    thresholds: { "http_req_failed{scenario:pagination}": ["rate<0.01"] },
    setup(ctx): PaginationData {
      if (!ctx.admin) {
        const notChecked: NotChecked = {};
        for (const n of names) notChecked[n] = NO_ADMIN_REASON;
        return { notChecked };
      }
      return {
        admin: ctx.admin,
        ...paginationSetup({ token: ctx.admin.tokens[0], orgId: ctx.admin.orgId }, SMOKE_SEED),
      };
    },
    iterations: { walkAll, session },
    setupSeconds: 15,
    catches,
  },
};
