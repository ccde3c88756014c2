/**
 * The reference billing receiver: speaks the usage protocol (docs/protocol.md), stores reports durably,
 * de-duplicates them by report id, lists them for reconciliation, and can be told to fail in the ways a
 * real link fails (for tests and the demo).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  answerPreflight,
  applyCors,
  baseUrl,
  closeServer,
  DEFAULT_ALLOW_ORIGINS,
  isJsonContentType,
  isPlainObject,
  lingerAndClose,
  listen,
  logger,
  parseJsonBody,
  readBody,
  requestUrl,
  sendEmpty,
  sendError,
  sendJson,
  trackSockets,
} from '../http.ts';
import { ReportIdSchema, validate, validateReport } from './protocol.ts';
import { ReportStore, type StoredReport } from './store.ts';

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
}

export interface BillingStats {
  /** `POST /v1/usage` requests that arrived (including ones a fault answered). */
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
const CONTROL_BODY_LIMIT = 16 * 1024;

export const FaultSchema = z.strictObject({
  mode: z.enum(FAULT_MODES as [FaultMode, ...FaultMode[]], {
    error: `must be one of ${FAULT_MODES.join(', ')}`,
  }),
  status: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(400, { error: 'must be an HTTP error status from 400 to 599' })
    .max(599, { error: 'must be an HTTP error status from 400 to 599' })
    .optional(),
  delayMs: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(0, { error: 'must not be negative' })
    .max(600_000, { error: 'must be at most 600000 (10 minutes)' })
    .optional(),
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
  const log = logger(opts.quiet, 'billing');
  const warn = opts.quiet ? () => undefined : (m: string) => console.warn(`[billing] warning: ${m}`);
  const store = await ReportStore.open(opts.dataDir, warn);

  let fault: Fault = { mode: 'none' };
  const stats: BillingStats = { received: 0, accepted: 0, duplicates: 0, rejected: 0, faulted: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const server = createServer((req, res) => {
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
  });
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const method = req.method ?? 'GET';
    res.on('finish', () => log(`${method} ${req.url} ${res.statusCode}`));
    const allowed = applyCors(req, res, allowOrigins, ['Location', 'Retry-After']);
    if (!url)
      return sendError(res, 400, 'bad-request', 'the request target must be a path such as /v1/usage');
    const path = url.pathname;
    const isPreflight = method === 'OPTIONS';

    const isUsagePost = method === 'POST' && path === '/v1/usage';
    if (isUsagePost) stats.received++;
    if (path.startsWith('/v1/') || path === '/v1') {
      // A preflight is only cut by faults that cut the connection; otherwise the browser could not read
      // the faulty answer that follows, and every fault would look like a network error.
      const f = fault;
      const applies = f.mode !== 'none' && (!isPreflight || f.mode === 'hang' || f.mode === 'reset');
      if (applies && f.mode === 'slow') {
        await delay(f.delayMs ?? DEFAULT_DELAY_MS);
        if (closing || res.destroyed) return;
      } else if (applies) {
        if (isUsagePost) stats.faulted++;
        return answerFault(req, res, f);
      }
    }

    if (isPreflight) return answerPreflight(req, res, allowed);
    if (path === '/v1/health') {
      if (method === 'GET' || method === 'HEAD') return sendEmpty(res, 204);
      return notAllowed(res, 'GET, HEAD, OPTIONS');
    }
    if (path === '/v1/usage') {
      if (method === 'POST') return postUsage(req, res);
      if (method === 'GET' || method === 'HEAD') return listUsage(res, url);
      return notAllowed(res, 'GET, HEAD, POST, OPTIONS');
    }
    if (path.startsWith('/v1/usage/')) {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET, HEAD, OPTIONS');
      return getReport(res, path.slice('/v1/usage/'.length));
    }
    if (path.startsWith('/control/')) return control(req, res, path, method);
    return sendError(res, 404, 'not-found', `nothing at ${path}; the usage protocol lives under /v1/usage`);
  }

  function notAllowed(res: ServerResponse, allow: string): void {
    sendError(res, 405, 'method-not-allowed', `use one of: ${allow}`, undefined, { Allow: allow });
  }

  function reject(res: ServerResponse, status: number, code: string, message: string, field?: string): void {
    stats.rejected++;
    sendError(res, status, code, message, field);
  }

  async function postUsage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Everything that can be judged from the headers is judged before a byte of the body is read.
    const encoding = req.headers['content-encoding'];
    if (!isJsonContentType(req.headers['content-type']) || (encoding && encoding !== 'identity')) {
      lingerAndClose(req, res);
      return reject(
        res,
        415,
        'unsupported-media-type',
        `Content-Type must be application/json (UTF-8, not compressed); got ${JSON.stringify(req.headers['content-type'] ?? null)}` +
          (encoding && encoding !== 'identity' ? ` with Content-Encoding ${encoding}` : ''),
        'Content-Type',
      );
    }
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
    const location = `/v1/usage/${encodeURIComponent(reportId)}`;
    if (result.kind === 'duplicate') {
      stats.duplicates++;
      return sendJson(res, 200, { status: 'duplicate', reportId, receivedAt }, { Location: location });
    }
    stats.accepted++;
    sendJson(res, 201, { status: 'accepted', reportId, receivedAt }, { Location: location });
  }

  function listUsage(res: ServerResponse, url: URL): void {
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
    const reports = store.list({ siteId, since }).map(flatten);
    sendJson(res, 200, { reports, count: reports.length });
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

  async function control(req: IncomingMessage, res: ServerResponse, path: string, method: string) {
    if (path === '/control/fault') {
      if (method === 'GET') return sendJson(res, 200, fault);
      if (method !== 'POST') return notAllowed(res, 'GET, POST, OPTIONS');
      const body = await readControlBody(req, res);
      if (body === undefined) return;
      const parsed = parseFault(body);
      if (!parsed.ok) return sendError(res, 400, 'invalid', parsed.message, parsed.field);
      applyFault(parsed.value);
      log(`fault set to ${JSON.stringify(fault)}`);
      return sendJson(res, 200, fault);
    }
    if (path === '/control/stats') {
      if (method !== 'GET') return notAllowed(res, 'GET, OPTIONS');
      return sendJson(res, 200, { ...stats, stored: store.count, fault, warnings: store.warnings });
    }
    if (path === '/control/clear') {
      if (method !== 'POST') return notAllowed(res, 'POST, OPTIONS');
      const cleared = await store.clear();
      Object.assign(stats, { received: 0, accepted: 0, duplicates: 0, rejected: 0, faulted: 0 });
      return sendJson(res, 200, { cleared });
    }
    return sendError(
      res,
      404,
      'not-found',
      `nothing at ${path}; control has /control/fault, /control/stats, /control/clear`,
    );
  }

  /** Reads a small JSON control body; answers the error itself and returns undefined when it is bad. */
  async function readControlBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (!read.ok) {
      if (read.reason === 'too-large') {
        lingerAndClose(req, res);
        sendError(res, 413, 'too-large', `body: larger than ${CONTROL_BODY_LIMIT} bytes`, 'body');
      }
      return undefined;
    }
    const json = parseJsonBody(read.body);
    if (!json.ok) {
      sendError(res, 400, 'invalid', json.message, 'body');
      return undefined;
    }
    if (!isPlainObject(json.value)) {
      sendError(res, 400, 'invalid', 'body: must be a JSON object', 'body');
      return undefined;
    }
    return json.value;
  }

  function answerFault(req: IncomingMessage, res: ServerResponse, f: Fault): void {
    // Take the request in (and throw it away) so the client is not stuck sending.
    req.resume();
    switch (f.mode) {
      case 'hang':
        // Never answer; close(), or turning the fault off, ends the socket.
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

  const port = await listen(server, opts.port ?? 0, host).catch(async (e: unknown) => {
    await store.close();
    throw e;
  });
  let closed: Promise<void> | null = null;
  return {
    url: baseUrl(host, port),
    port,
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

function flatten(s: StoredReport): Record<string, unknown> {
  return { ...s.report, receivedAt: s.receivedAt };
}
