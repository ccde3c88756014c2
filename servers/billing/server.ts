/**
 * The reference billing receiver: speaks the usage protocol (docs/protocol.md), stores reports durably,
 * de-duplicates them by report id, lists them page by page for reconciliation, and can be told to fail in the
 * ways a real link fails (for tests and the demo). Its routes are one table; every route refuses a foreign
 * `Host`, and the control routes need the control token (see ../guard.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod/mini';
import { controlRefusal, controlTokenOption, hostGuard, hostsOption, type Refusal } from '../guard.ts';
import {
  answerPreflight,
  applyCors,
  baseUrl,
  closeServer,
  createLimitedServer,
  DEFAULT_ALLOW_ORIGINS,
  holdOpen,
  isJsonContentType,
  isPlainObject,
  lingerAndClose,
  listen,
  logger,
  parseJsonBody,
  readBody,
  requestUrl,
  resolveLimits,
  sendEmpty,
  sendError,
  sendJson,
  sendJsonStream,
  trackSockets,
  type ServerLimits,
  readControlBody,
} from '../http.ts';
import { RouteTable, type Route } from '../routes.ts';
import { ReportIdSchema, validate, validateReport } from './protocol.ts';
import { ReportStore, type StoredReport } from './store.ts';
import { overlapMessage, receiveBatch } from './batch.ts';

/** A batch body may be this many times the single report's limit. */
const BATCH_BODY_FACTOR = 64;

export type FaultMode =
  'none' | 'error' | 'hang' | 'reset' | 'slow' | 'malformed' | 'html' | 'wrong-shape' | 'oversized';

export const FAULT_MODES: readonly FaultMode[] = [
  'none',
  'error',
  'hang',
  'reset',
  'slow',
  'malformed',
  'html',
  'wrong-shape',
  'oversized',
];

export interface Fault {
  mode: FaultMode;
  /** For 'error': the HTTP status answered (400 to 599), default 503. */
  status?: number;
  /** For 'slow': milliseconds before answering normally (0 to 600000), default 3000. */
  delayMs?: number;
}

export interface BillingServerOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Folder of the report file (created if missing). */
  dataDir: string;
  /** Origins answered with CORS headers. Default: the demo page's, http://localhost:5170 and http://127.0.0.1:5170. */
  allowOrigins?: string[];
  /** Largest request body accepted, in bytes. Default 65536. */
  maxBodyBytes?: number;
  /** No request log on stdout, and no store warnings on stderr (they stay readable with `warnings()`). */
  quiet?: boolean;
  /** The token the control routes need (header X-Control-Token). Default: a random one, see `controlToken`. */
  controlToken?: string;
  /**
   * Other names this server answers to, with any port (a proxy's name for it, e.g. `billing.test`). Loopback
   * names and the bound address are always accepted with the server's own port; any other Host is refused.
   */
  hosts?: string[];
  /** Request, header and idle timeouts and the connection cap (defaults in DEFAULT_LIMITS). */
  limits?: ServerLimits;
}

export interface BillingStats {
  /** `POST /v1/usage` and `POST /v1/usage/batch` requests that arrived (including ones a fault answered). */
  received: number;
  /** New reports stored. */
  accepted: number;
  /** Repeats of a stored report, answered 200 and not stored again. */
  duplicates: number;
  /** Requests refused with a 4xx (invalid, too large, not JSON, id reused for a different report). */
  rejected: number;
  /** Requests that a fault answered instead of the protocol (error, hang, reset, malformed, …). */
  faulted: number;
}

export interface BillingServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** What the control routes need in the X-Control-Token header. */
  controlToken: string;
  setFault(f: Fault): void;
  fault(): Fault;
  stats(): BillingStats;
  /** Problems found in the report file at start (torn or damaged lines), oldest first. */
  warnings(): string[];
  close(): Promise<void>;
}

const DEFAULT_ERROR_STATUS = 503;
const DEFAULT_DELAY_MS = 3000;
const OVERSIZED_BYTES = 2 * 1024 * 1024;
/** Reports per page of `GET /v1/usage`: what a page holds when `limit` is not given, and at most. */
export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 1000;

const statusError = 'must be an HTTP error status from 400 to 599';
export const FaultSchema = z.strictObject({
  mode: z.enum(FAULT_MODES as [FaultMode, ...FaultMode[]], {
    error: `must be one of ${FAULT_MODES.join(', ')}`,
  }),
  status: z.optional(
    z
      .number({ error: 'must be a number' })
      .check(
        z.int({ error: 'must be a whole number' }),
        z.gte(400, { error: statusError }),
        z.lte(599, { error: statusError }),
      ),
  ),
  delayMs: z.optional(
    z
      .number({ error: 'must be a number' })
      .check(
        z.int({ error: 'must be a whole number of milliseconds' }),
        z.gte(0, { error: 'must not be negative' }),
        z.lte(600_000, { error: 'must be at most 600000 (10 minutes)' }),
      ),
  ),
});

/** Validates a fault and fills its default; fields that do not apply to the mode are dropped. */
export function parseFault(
  input: unknown,
): { ok: true; value: Fault } | { ok: false; field: string; message: string } {
  const r = validate(FaultSchema, input);
  if (!r.ok) return r;
  const f = r.value;
  if (f.mode === 'error')
    return { ok: true, value: { mode: 'error', status: f.status ?? DEFAULT_ERROR_STATUS } };
  if (f.mode === 'slow') return { ok: true, value: { mode: 'slow', delayMs: f.delayMs ?? DEFAULT_DELAY_MS } };
  return { ok: true, value: { mode: f.mode } };
}

const CAPTIVE_PORTAL_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Network login required</title></head>
<body><h1>Sign in to continue</h1>
<p>Your network requires you to sign in before you can reach the internet.</p>
<form method="post" action="/login"><input name="user"><input name="password" type="password">
<button>Sign in</button></form></body></html>
`;

/** What a handler gets: the request, its answer, its URL and the `:name` segments of its route. */
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

interface BillingRoute extends Route<(ctx: Ctx) => void | Promise<void>> {
  /** `control` routes need the control token, an allowed (or no) Origin, and JSON bodies. */
  access: 'public' | 'control';
}

export async function startBillingServer(opts: BillingServerOptions): Promise<BillingServer> {
  if (!opts || typeof opts.dataDir !== 'string' || opts.dataDir === '') {
    throw new TypeError('startBillingServer: dataDir (the folder of the report file) is required');
  }
  const host = opts.host ?? '127.0.0.1';
  const allowOrigins = [...(opts.allowOrigins ?? DEFAULT_ALLOW_ORIGINS)];
  const maxBodyBytes = opts.maxBodyBytes ?? 65536;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new RangeError(`startBillingServer: maxBodyBytes must be a whole number ≥ 1 (got ${maxBodyBytes})`);
  }
  const controlToken = controlTokenOption(opts.controlToken, 'startBillingServer');
  const hosts = hostsOption(opts.hosts, 'startBillingServer');
  const limits = resolveLimits(opts.limits, 'startBillingServer');
  const log = logger(opts.quiet, 'billing');
  const warn = opts.quiet ? () => undefined : (m: string) => console.warn(`[billing] warning: ${m}`);
  const store = await ReportStore.open(opts.dataDir, warn);

  let fault: Fault = { mode: 'none' };
  const stats: BillingStats = { received: 0, accepted: 0, duplicates: 0, rejected: 0, faulted: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;
  let port = 0;
  const checkHost = hostGuard(host, () => port, hosts);

  const routes = new RouteTable<BillingRoute['handler'], BillingRoute>([
    {
      method: ['GET', 'HEAD'],
      path: '/v1/health',
      access: 'public',
      handler: ({ res }) => sendEmpty(res, 204),
    },
    {
      method: ['GET', 'HEAD'],
      path: '/v1/usage',
      access: 'public',
      handler: ({ res, url }) => listUsage(res, url),
    },
    { method: 'POST', path: '/v1/usage', access: 'public', handler: ({ req, res }) => postUsage(req, res) },
    {
      method: 'POST',
      path: '/v1/usage/batch',
      access: 'public',
      handler: ({ req, res }) => postBatch(req, res),
    },
    {
      method: ['GET', 'HEAD'],
      path: '/v1/sites/:siteId/last-report',
      access: 'public',
      handler: ({ res, params }) => lastReport(res, params.siteId ?? ''),
    },
    {
      method: ['GET', 'HEAD'],
      path: '/v1/usage/:reportId',
      access: 'public',
      handler: ({ res, params }) => getReport(res, params.reportId ?? ''),
    },
    {
      method: 'GET',
      path: '/control/fault',
      access: 'control',
      handler: ({ res }) => sendJson(res, 200, fault),
    },
    {
      method: 'POST',
      path: '/control/fault',
      access: 'control',
      handler: ({ req, res }) => postFault(req, res),
    },
    {
      method: 'GET',
      path: '/control/stats',
      access: 'control',
      handler: ({ res }) =>
        sendJson(res, 200, { ...stats, stored: store.count, fault, warnings: store.warnings }),
    },
    { method: 'POST', path: '/control/clear', access: 'control', handler: ({ req, res }) => clear(req, res) },
  ]);

  const server = createLimitedServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // Never let one request take the server down; say what happened instead.
      log(`internal error: ${(e as Error).stack ?? String(e)}`);
      sendError(
        res,
        500,
        'internal',
        'the billing receiver failed to handle this request; it was not stored',
      );
    });
  }, limits);
  const sockets = trackSockets(server);
  const hung = new Set<ServerResponse>();

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  function refuse(res: ServerResponse, r: Refusal): void {
    sendError(res, r.status, r.code, r.message, r.field);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const method = req.method ?? 'GET';
    res.on('finish', () => log(`${method} ${req.url} ${res.statusCode}`));
    const allowed = applyCors(req, res, allowOrigins, ['Location', 'Retry-After']);
    // Before anything else, faults included: a page that reached loopback under its own name learns nothing.
    const wrongHost = checkHost(req);
    if (wrongHost) {
      req.resume();
      // Nothing more on this connection: it was opened under a name that is not this server's.
      res.setHeader('Connection', 'close');
      return refuse(res, wrongHost);
    }
    if (!url)
      return sendError(res, 400, 'bad-request', 'the request target must be a path such as /v1/usage');
    const path = url.pathname;
    const isPreflight = method === 'OPTIONS';

    const isUsagePost = method === 'POST' && (path === '/v1/usage' || path === '/v1/usage/batch');
    if (isUsagePost) stats.received++;
    if (path.startsWith('/v1/') || path === '/v1') {
      // A preflight is only cut by faults that cut the connection; otherwise the browser could not read
      // the faulty answer that follows, and every fault would look like a network error.
      const f = fault;
      const applies = f.mode !== 'none' && (!isPreflight || f.mode === 'hang' || f.mode === 'reset');
      if (applies && f.mode === 'slow') {
        holdOpen(res, limits.idleTimeoutMs);
        await delay(f.delayMs ?? DEFAULT_DELAY_MS);
        if (closing || res.destroyed) return;
      } else if (applies) {
        if (isUsagePost) stats.faulted++;
        return answerFault(req, res, f);
      }
    }

    if (isPreflight) return answerPreflight(req, res, allowed);
    const match = routes.match(method, path);
    if (match.kind === 'not-found') {
      req.resume();
      const where = path.startsWith('/control')
        ? `control has ${routes.paths('/control/').join(', ')}`
        : 'the usage protocol lives under /v1/usage';
      return sendError(res, 404, 'not-found', `nothing at ${path}; ${where}`);
    }
    if (match.kind === 'wrong-method') {
      req.resume();
      return sendError(res, 405, 'method-not-allowed', `use one of: ${match.allow}`, undefined, {
        Allow: match.allow,
      });
    }
    if (match.route.access === 'control') {
      const refused = controlRefusal(req, controlToken, allowOrigins);
      if (refused) {
        lingerAndClose(req, res);
        return refuse(res, refused);
      }
    }
    return match.route.handler({ req, res, url, params: match.params });
  }

  function reject(res: ServerResponse, status: number, code: string, message: string, field?: string): void {
    stats.rejected++;
    sendError(res, status, code, message, field);
  }

  /** A body not declared as uncompressed JSON is refused (415) from its headers, before a byte is read. */
  function refusedAsNotJson(req: IncomingMessage, res: ServerResponse): boolean {
    const encoding = req.headers['content-encoding'];
    if (isJsonContentType(req.headers['content-type']) && (!encoding || encoding === 'identity'))
      return false;
    lingerAndClose(req, res);
    reject(
      res,
      415,
      'unsupported-media-type',
      `Content-Type must be application/json (UTF-8, not compressed); got ${JSON.stringify(req.headers['content-type'] ?? null)}` +
        (encoding && encoding !== 'identity' ? ` with Content-Encoding ${encoding}` : ''),
      'Content-Type',
    );
    return true;
  }

  async function postUsage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Everything that can be judged from the headers is judged before a byte of the body is read.
    if (refusedAsNotJson(req, res)) return;
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') {
      lingerAndClose(req, res);
      return reject(
        res,
        400,
        'invalid',
        "Idempotency-Key: the header is required and must equal the body's reportId",
        'Idempotency-Key',
      );
    }
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      lingerAndClose(req, res);
      return reject(
        res,
        413,
        'too-large',
        `body: larger than ${maxBodyBytes} bytes; a usage report is far smaller`,
        'body',
      );
    }
    const json = parseJsonBody(read.body);
    if (!json.ok) return reject(res, 400, 'invalid', json.message, 'body');
    const checked = validateReport(json.value);
    if (!checked.ok) return reject(res, 400, 'invalid', checked.message, checked.field);
    const report = checked.value;
    if (key !== report.reportId) {
      return reject(
        res,
        400,
        'invalid',
        `Idempotency-Key: must equal the body's reportId (header ${JSON.stringify(key)}, reportId ${JSON.stringify(report.reportId)})`,
        'Idempotency-Key',
      );
    }
    const result = await store.put(report, new Date());
    const { reportId } = report;
    const { receivedAt } = result.stored;
    if (result.kind === 'conflict') {
      return reject(
        res,
        422,
        'idempotency-key-reused',
        `reportId: ${reportId} was already received on ${receivedAt} with different content; ` +
          'a changed report needs a new reportId',
        'reportId',
      );
    }
    if (result.kind === 'overlap') {
      // Which report holds that time: a sender whose report it covers whole drops its own.
      stats.rejected++;
      const held = result.stored.report;
      return sendJson(res, 422, {
        error: {
          code: 'period-overlap',
          field: 'period',
          message: overlapMessage(report, held),
          held: { reportId: held.reportId, period: held.period },
        },
      });
    }
    const location = `/v1/usage/${encodeURIComponent(reportId)}`;
    if (result.kind === 'duplicate') {
      stats.duplicates++;
      return sendJson(res, 200, { status: 'duplicate', reportId, receivedAt }, { Location: location });
    }
    stats.accepted++;
    sendJson(res, 201, { status: 'accepted', reportId, receivedAt }, { Location: location });
  }

  /**
   * `POST /v1/usage/batch`: up to MAX_BATCH reports, each judged as if posted alone and answered in order
   * (see batch.ts); the accepted ones stored with one write and one fsync.
   */
  async function postBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (refusedAsNotJson(req, res)) return;
    const limit = maxBodyBytes * BATCH_BODY_FACTOR;
    const read = await readBody(req, limit);
    if (!read.ok) {
      if (read.reason === 'aborted') return;
      lingerAndClose(req, res);
      return reject(res, 413, 'too-large', `body: larger than ${limit} bytes; send smaller batches`, 'body');
    }
    const json = parseJsonBody(read.body);
    if (!json.ok) return reject(res, 400, 'invalid', json.message, 'body');
    const outcome = await receiveBatch(store, json.value, new Date(), maxBodyBytes);
    if (!outcome.ok) return reject(res, 400, 'invalid', outcome.message, outcome.field);
    for (const r of outcome.answer.results) {
      if (r.status === 'accepted') stats.accepted++;
      else if (r.status === 'duplicate') stats.duplicates++;
      else stats.rejected++;
    }
    sendJson(res, 200, outcome.answer);
  }

  /**
   * One page of the reports, in the order received: `limit` of them (default LIST_DEFAULT_LIMIT, at most
   * LIST_MAX_LIMIT) after the `cursor` of the page before, with `next`, the cursor of the page after (null on
   * the last page). Streamed, so a page of large reports is never one string in memory.
   */
  async function listUsage(res: ServerResponse, url: URL): Promise<void> {
    const siteId = url.searchParams.get('siteId') ?? undefined;
    const sinceText = url.searchParams.get('since');
    let since: number | undefined;
    if (sinceText !== null) {
      const parsed = z.iso.datetime().safeParse(sinceText);
      if (!parsed.success) {
        return sendError(
          res,
          400,
          'invalid',
          `since: must be an ISO-8601 UTC time such as 2026-11-01T00:00:00Z (got ${JSON.stringify(sinceText)})`,
          'since',
        );
      }
      since = Date.parse(sinceText);
    }
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? LIST_DEFAULT_LIMIT : Number(limitText);
    if (!/^\d{1,7}$/.test(limitText ?? '1') || limit < 1 || limit > LIST_MAX_LIMIT) {
      return sendError(
        res,
        400,
        'invalid',
        `limit: must be a whole number from 1 to ${LIST_MAX_LIMIT} (got ${JSON.stringify(limitText)})`,
        'limit',
      );
    }
    const reports = store.list({ siteId, since });
    const cursorText = url.searchParams.get('cursor');
    let start = 0;
    if (cursorText !== null && cursorText !== '') {
      const found = resumeAfter(cursorText, reports);
      if (typeof found === 'string') return sendError(res, 400, 'invalid', `cursor: ${found}`, 'cursor');
      start = found;
    }
    const page = reports.slice(start, start + limit);
    const end = start + page.length;
    const last = page[page.length - 1];
    const next = last && end < reports.length ? encodeCursor(last.report.reportId, end) : null;
    await sendJsonStream(
      res,
      200,
      '{"reports":[',
      (function* () {
        for (const s of page) yield flatten(s);
      })(),
      `],"count":${page.length},"next":${JSON.stringify(next)}}`,
    );
  }

  /**
   * `GET /v1/sites/<siteId>/last-report`: where the site's periods end at this receiver (the period rule), so
   * that a sender with no record of its own (a new browser, or one whose storage was cleared) can start there.
   */
  function lastReport(res: ServerResponse, rawId: string): void {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return sendError(res, 404, 'not-found', 'no such site (the id is not valid percent-encoding)');
    }
    const last = store.lastOf(id);
    if (!last) return sendError(res, 404, 'not-found', `no report of site ${JSON.stringify(id)}`, 'siteId');
    sendJson(res, 200, {
      siteId: id,
      reportId: last.report.reportId,
      period: last.report.period,
      receivedAt: last.receivedAt,
    });
  }

  function getReport(res: ServerResponse, rawId: string): void {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      return sendError(
        res,
        404,
        'not-found',
        'no report with that id (the id is not valid percent-encoding)',
      );
    }
    const stored = ReportIdSchema.safeParse(id).success ? store.get(id) : undefined;
    if (!stored)
      return sendError(res, 404, 'not-found', `no report with id ${JSON.stringify(id)}`, 'reportId');
    sendJson(res, 200, flatten(stored));
  }

  function applyFault(f: Fault): void {
    fault = f;
    // A link that comes back drops what hung on it, as a real network would in time: otherwise the
    // browser's few connections per host stay taken by requests that will never be answered.
    if (f.mode !== 'hang') for (const res of hung) res.destroy();
  }

  async function postFault(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readControlBody(req, res);
    if (body === undefined) return;
    const parsed = parseFault(body);
    if (!parsed.ok) return sendError(res, 400, 'invalid', parsed.message, parsed.field);
    applyFault(parsed.value);
    log(`fault set to ${JSON.stringify(fault)}`);
    return sendJson(res, 200, fault);
  }

  async function clear(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The body says nothing; an empty one or a JSON object are both fine.
    if ((await readControlBody(req, res, { allowEmpty: true })) === undefined) return;
    const cleared = await store.clear();
    Object.assign(stats, { received: 0, accepted: 0, duplicates: 0, rejected: 0, faulted: 0 });
    return sendJson(res, 200, { cleared });
  }

  function answerFault(req: IncomingMessage, res: ServerResponse, f: Fault): void {
    // Take the request in (and throw it away) so the client is not stuck sending.
    req.resume();
    switch (f.mode) {
      case 'hang':
        // Never answer; close(), or turning the fault off, ends the socket.
        holdOpen(res, limits.idleTimeoutMs);
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      case 'reset':
        // A real TCP reset, as from a firewall or a dropped proxy connection.
        req.socket.resetAndDestroy();
        return;
      case 'error': {
        const status = f.status ?? DEFAULT_ERROR_STATUS;
        const headers: Record<string, string> =
          status === 503 || status === 429 ? { 'Retry-After': '60' } : {};
        return sendError(
          res,
          status,
          'fault-injected',
          `HTTP ${status} injected by /control/fault`,
          undefined,
          headers,
        );
      }
      case 'malformed': {
        const text = '{"status":"accepted","reportId":"';
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(text.length) });
        res.end(text);
        return;
      }
      case 'html':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(CAPTIVE_PORTAL_PAGE);
        return;
      case 'wrong-shape':
        return sendJson(res, 200, { ok: 'yes' });
      case 'oversized':
        return sendOversized(res);
      case 'none':
      case 'slow':
        return;
    }
  }

  /** About 2 MB of valid JSON, streamed without a Content-Length so that only counting bytes catches it. */
  function sendOversized(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    const chunk = 'x'.repeat(64 * 1024);
    res.write('{"status":"accepted","padding":"');
    let sent = 0;
    const pump = () => {
      while (sent < OVERSIZED_BYTES) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end('"}');
    };
    pump();
  }

  port = await listen(server, opts.port ?? 0, host).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  let closed: Promise<void> | null = null;
  return {
    url: baseUrl(host, port),
    port,
    controlToken,
    setFault(f: Fault) {
      const parsed = parseFault(f);
      if (!parsed.ok) throw new TypeError(`setFault: ${parsed.message}`);
      applyFault(parsed.value);
    },
    fault: () => ({ ...fault }),
    stats: () => ({ ...stats }),
    warnings: () => [...store.warnings],
    close() {
      closed ??= (async () => {
        closing = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        await closeServer(server, sockets);
        await store.close();
      })();
      return closed;
    },
  };
}

/**
 * A listing cursor: the last report of a page and where the next page starts, opaque to the client. The id
 * keeps it right if the position moved (a report not in an earlier listing); a cursor whose report is gone
 * (the store was cleared) is refused, so that a reconciliation never silently skips or repeats reports.
 */
function encodeCursor(reportId: string, at: number): string {
  return Buffer.from(JSON.stringify({ after: reportId, at })).toString('base64url');
}

/** Where the page after `cursor` starts in `reports`, or why the cursor is refused. */
function resumeAfter(cursor: string, reports: readonly StoredReport[]): number | string {
  let decoded: unknown;
  try {
    if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return 'is not a cursor this receiver gave (pass the `next` of the previous page as it was)';
  }
  const after = isPlainObject(decoded) ? decoded.after : undefined;
  const at = isPlainObject(decoded) ? decoded.at : undefined;
  if (typeof after !== 'string' || typeof at !== 'number' || !Number.isInteger(at) || at < 1) {
    return 'is not a cursor this receiver gave (pass the `next` of the previous page as it was)';
  }
  if (reports[at - 1]?.report.reportId === after) return at;
  const index = reports.findIndex((s) => s.report.reportId === after);
  if (index < 0) {
    return `its report ${JSON.stringify(after)} is no longer listed here (cleared?); list again from the start`;
  }
  return index + 1;
}

function flatten(s: StoredReport): Record<string, unknown> {
  return { ...s.report, receivedAt: s.receivedAt };
}
