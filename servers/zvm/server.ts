/**
 * A ZVM API simulator with the public field shapes. Like a real ZVM it is the authority: it transmits usage
 * to its billing receiver on its own schedule, runs the grace engine on the outcomes (the same engine the
 * banner runs), raises the billing alerts, and stops talking to its VRAs at the deadline.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  activeAlerts,
  alertDescription,
  createState,
  DAY,
  HELP_IDENTIFIERS,
  parsePolicy,
  reduce,
  viewOf,
  type Alert,
  type FailureReason,
  type GraceState,
  type Policy,
} from '../../src/core/index.ts';
import { PROTOCOL_VERSION, type UsageReport } from '../billing/protocol.ts';
import {
  answerPreflight,
  applyCors,
  baseUrl,
  closeServer,
  DEFAULT_ALLOW_ORIGINS,
  isPlainObject,
  listen,
  logger,
  parseJsonBody,
  readBody,
  requestUrl,
  sendJson,
  trackSockets,
} from '../http.ts';

export interface ZvmSimOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The billing receiver this ZVM transmits to; reports go to `billingUrl + '/v1/usage'`. */
  billingUrl: string;
  /** Bearer token accepted on every /v1 route. Default 'demo-token'. */
  token?: string;
  /** Basic-auth credentials for POST /v1/session/add. Default 'admin' / 'admin'. */
  user?: string;
  password?: string;
  siteId?: string;
  siteName?: string;
  protectedVms?: number;
  vraCount?: number;
  /** Missing fields take the engine defaults; validated with parsePolicy. */
  policy?: Partial<Policy>;
  /** Field names of the answers: PascalCase (default) or camelCase, as ZVM versions differ. */
  casing?: 'pascal' | 'camel';
  /** Transmit on its own every policy.interval of its clock (first one at start). Default true. */
  autoSend?: boolean;
  /** Sim clock start, epoch ms. Default Date.now(). */
  startAt?: number;
  /** Origins answered with CORS headers. Default: the demo page's. */
  allowOrigins?: string[];
  /** How long a transmission may take before it counts as a timeout. Default 5000 ms. */
  sendTimeoutMs?: number;
  quiet?: boolean;
}

export interface ZvmSim {
  url: string;
  port: number;
  /** The sim's clock: startAt + real time elapsed + time advanced. */
  now(): number;
  /** Moves the clock forward (0 < ms ≤ 400 days), runs one due transmission if autoSend, ticks the engine. */
  advance(ms: number): Promise<void>;
  /** The grace engine's state, evaluated at now(). */
  state(): GraceState;
  close(): Promise<void>;
}

export const MAX_ADVANCE_MS = 400 * DAY;
const ANSWER_LIMIT = 64 * 1024;
const CONTROL_BODY_LIMIT = 16 * 1024;
const CLIENT_VERSION = '10.0.30';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Attempt {
  at: string;
  result: 'Passed' | 'Failed';
  reportId: string;
  reason: FailureReason | null;
}

export async function startZvmSim(opts: ZvmSimOptions): Promise<ZvmSim> {
  const usageUrl = usageEndpoint(opts?.billingUrl);
  const policyResult = parsePolicy(opts.policy ?? {});
  if (!policyResult.ok) throw new RangeError(`startZvmSim: ${policyResult.error}`);
  const policy = policyResult.value;
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? 'demo-token';
  const user = opts.user ?? 'admin';
  const password = opts.password ?? 'admin';
  const siteId = opts.siteId ?? '7f3c1a52-9d4e-4b8a-a0e1-5c2d8f6b9e10';
  const siteName = opts.siteName ?? 'Demo Site';
  const protectedVms = opts.protectedVms ?? 42;
  const vraCount = opts.vraCount ?? 3;
  const camel = opts.casing === 'camel';
  const autoSend = opts.autoSend ?? true;
  const sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
  const allowOrigins = [...(opts.allowOrigins ?? DEFAULT_ALLOW_ORIGINS)];
  for (const [name, n] of [
    ['protectedVms', protectedVms],
    ['vraCount', vraCount],
  ] as const) {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`startZvmSim: ${name} must be a whole number ≥ 0`);
  }
  if (typeof siteId !== 'string' || siteId === '' || siteId.length > 200) {
    throw new RangeError('startZvmSim: siteId must be 1 to 200 characters');
  }
  if (!Number.isFinite(sendTimeoutMs) || sendTimeoutMs <= 0) {
    throw new RangeError('startZvmSim: sendTimeoutMs must be a positive number of milliseconds');
  }
  const log = logger(opts.quiet, 'zvm-sim');

  // The clock: its own start, real time since then, plus whatever was advanced.
  const startAt = opts.startAt ?? Date.now();
  const realStart = Date.now();
  let advanced = 0;
  const now = () => startAt + (Date.now() - realStart) + advanced;

  let state = createState({ id: siteId, name: siteName }, policy, startAt);
  const tick = () => {
    state = reduce(state, { type: 'tick' }, now());
    return state;
  };

  const sessions = new Set<string>();
  /** A report not yet acknowledged is resent as it is, so the receiver can de-duplicate it. */
  let pending: UsageReport | null = null;
  let lastPeriodEnd = new Date(startAt).toISOString();
  let lastAttempt: Attempt | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let nextSendAt = startAt;
  let timer: NodeJS.Timeout | null = null;
  let closing = false;
  const stop = new AbortController();

  function buildReport(at: number): UsageReport {
    return {
      protocol: PROTOCOL_VERSION,
      reportId: `zvmsim-${randomUUID()}`,
      site: { id: siteId, name: siteName },
      period: { from: lastPeriodEnd, to: new Date(at).toISOString() },
      generatedAt: new Date(at).toISOString(),
      usage: {
        protectedVms,
        licenseType: 'Enterprise',
        sites: [{ id: siteId, name: siteName, protectedVms }],
      },
      client: { name: 'zvm-simulator', version: CLIENT_VERSION },
    };
  }

  /** One transmission, serialized with the others so the engine sees outcomes in order. */
  function sendUsage(): Promise<'Passed' | 'Failed'> {
    const run = queue.then(async () => {
      const report = pending ?? buildReport(now());
      pending = report;
      const reason = await transmit(report);
      const at = now();
      if (reason === null) {
        pending = null;
        lastPeriodEnd = report.period.to;
        state = reduce(state, { type: 'succeeded', reportId: report.reportId }, at);
      } else {
        state = reduce(state, { type: 'failed', reason }, at);
      }
      const result = reason === null ? 'Passed' : 'Failed';
      lastAttempt = { at: new Date(at).toISOString(), result, reportId: report.reportId, reason };
      log(
        `sendUsage ${result}${reason ? ` (${reason.kind}${reason.detail ? `: ${reason.detail}` : ''})` : ''}`,
      );
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  /** Posts a report; null when acknowledged, otherwise why not. */
  async function transmit(report: UsageReport): Promise<FailureReason | null> {
    const signal = AbortSignal.any([AbortSignal.timeout(sendTimeoutMs), stop.signal]);
    try {
      const res = await fetch(usageUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': report.reportId,
          'User-Agent': `zvm-simulator/${CLIENT_VERSION}`,
        },
        body: JSON.stringify(report),
        signal,
        redirect: 'manual',
      });
      const text = await readCapped(res, ANSWER_LIMIT);
      if (res.status === 401 || res.status === 403) return { kind: 'auth', status: res.status };
      if (res.status !== 200 && res.status !== 201) {
        return { kind: 'http', status: res.status, detail: errorDetail(text) };
      }
      if (text === null) return { kind: 'bad-answer', detail: `answer larger than ${ANSWER_LIMIT} bytes` };
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        const type = res.headers.get('content-type') ?? 'no content type';
        return { kind: 'bad-answer', detail: `answer is not JSON (${type.slice(0, 100)})` };
      }
      const ack = isPlainObject(body) ? body : {};
      if ((ack.status !== 'accepted' && ack.status !== 'duplicate') || ack.reportId !== report.reportId) {
        return { kind: 'bad-answer', detail: 'answer is not an acknowledgement of this report' };
      }
      return null;
    } catch (e) {
      if (signal.aborted) return { kind: 'timeout', detail: `no answer within ${sendTimeoutMs} ms` };
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return {
        kind: 'network',
        detail: (cause?.code ?? cause?.message ?? (e as Error).message).slice(0, 500),
      };
    }
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!autoSend || closing) return;
    // setTimeout overflows past 2^31-1 ms; a long wait is simply re-armed.
    const wait = Math.min(Math.max(0, nextSendAt - now()), 2 ** 31 - 1);
    timer = setTimeout(() => void onTimer(), wait);
    // A sim waiting for its next transmission must not keep the process alive.
    timer.unref();
  }

  async function onTimer(): Promise<void> {
    timer = null;
    if (closing) return;
    if (now() >= nextSendAt) {
      nextSendAt = now() + policy.interval;
      await sendUsage();
    }
    schedule();
  }

  async function advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > MAX_ADVANCE_MS) {
      throw new RangeError(
        `advanceMs must be a number of milliseconds above 0 and at most ${MAX_ADVANCE_MS} (400 days); got ${String(ms)}`,
      );
    }
    advanced += ms;
    // One catch-up transmission, not one per missed interval: the skipped time is when nothing was watched.
    if (autoSend && now() >= nextSendAt) {
      nextSendAt = now() + policy.interval;
      await sendUsage();
    }
    tick();
    schedule();
  }

  const server = createServer((req, res) => {
    dateBySimClock(res);
    handle(req, res).catch((e: unknown) => {
      log(`internal error: ${(e as Error).stack ?? String(e)}`);
      answer(res, 500, { Message: 'The simulator failed to handle this request.' });
    });
  });
  const sockets = trackSockets(server);

  /**
   * Dates every answer by the simulator's clock (advanced time included), as a ZVM dates its answers by its
   * own clock: a console measures the ZVM's clock skew from this header. The time is taken when the headers
   * are written (an explicit writeHead, or the implicit one of write/end), so an answer that waited for a
   * transmission or followed an advance of the clock carries the time it was sent at. Node sends a Date
   * header that was set instead of its own.
   */
  function dateBySimClock(res: ServerResponse): void {
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      if (!res.headersSent) res.setHeader('Date', new Date(now()).toUTCString());
      return writeHead(...args);
    }) as ServerResponse['writeHead'];
  }

  /** Sends a ZVM-shaped answer in the configured casing. */
  function answer(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}) {
    sendJson(res, status, camel ? camelize(body) : body, headers);
  }

  function authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && /^bearer /i.test(auth) && safeEqual(auth.slice(7).trim(), token))
      return true;
    const session = req.headers['x-zerto-session'];
    return typeof session === 'string' && sessions.has(session);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const method = req.method ?? 'GET';
    res.on('finish', () => log(`${method} ${req.url} ${res.statusCode}`));
    // Date is not a CORS-safelisted response header: without this a page could not read the ZVM's clock.
    const allowed = applyCors(req, res, allowOrigins, ['x-zerto-session', 'Date']);
    if (!url)
      return answer(res, 400, { Message: 'The request target must be a path such as /v1/localsite.' });
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (method === 'OPTIONS') return answerPreflight(req, res, allowed);
    if (path.startsWith('/control/') || path === '/control') return control(req, res, path, method);
    if (!path.startsWith('/v1/'))
      return answer(res, 404, { Message: `No resource at ${path}; the API is under /v1.` });

    if (path === '/v1/session/add') {
      if (method !== 'POST') return notAllowed(res, 'POST, OPTIONS');
      req.resume();
      if (!basicAuthOk(req.headers.authorization)) {
        return answer(res, 401, { Message: 'Invalid user name or password (HTTP basic authentication).' });
      }
      const id = randomUUID();
      sessions.add(id);
      res.writeHead(200, { 'x-zerto-session': id, 'Content-Length': '0', 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (!authorized(req)) {
      req.resume();
      return answer(
        res,
        401,
        { Message: 'Authorization has been denied for this request.' },
        // Not `Basic`: that would make a browser pop up a login dialog over the demo.
        { 'WWW-Authenticate': 'Bearer realm="zvm-sim"' },
      );
    }

    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /v1/localsite':
        return answer(res, 200, localSite());
      case 'GET /v1/license':
        return answer(res, 200, license());
      case 'POST /v1/localsite/billing/sendUsage': {
        // The body is empty by definition; whatever came is read and dropped.
        const read = await readBody(req, CONTROL_BODY_LIMIT);
        if (!read.ok && read.reason === 'aborted') return;
        const result = await sendUsage();
        if (closing) return;
        return answer(res, 200, result);
      }
      case 'GET /v1/alerts':
        return answer(res, 200, alerts());
      case 'GET /v1/vras':
        return answer(res, 200, vras());
    }
    const known = [
      '/v1/localsite',
      '/v1/license',
      '/v1/localsite/billing/sendUsage',
      '/v1/alerts',
      '/v1/vras',
    ];
    if (known.includes(path)) {
      return notAllowed(res, path === '/v1/localsite/billing/sendUsage' ? 'POST, OPTIONS' : 'GET, OPTIONS');
    }
    return answer(res, 404, { Message: `No HTTP resource was found that matches ${path}.` });
  }

  function notAllowed(res: ServerResponse, allow: string): void {
    answer(
      res,
      405,
      { Message: `The requested method is not allowed here; use ${allow}.` },
      { Allow: allow },
    );
  }

  function basicAuthOk(header: string | undefined): boolean {
    if (typeof header !== 'string' || !/^basic /i.test(header)) return false;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both compared, always, so the time taken does not say which one was wrong.
    const userOk = safeEqual(decoded.slice(0, colon), user);
    const passwordOk = safeEqual(decoded.slice(colon + 1), password);
    return userOk && passwordOk;
  }

  function localSite(): Json {
    return {
      SiteIdentifier: siteId,
      SiteName: siteName,
      Version: CLIENT_VERSION,
      Location: 'Simulated data center',
      ContactEmail: 'noc@example.com',
      ContactName: 'NOC',
      ContactPhone: '+1-555-0100',
      IpAddress: '127.0.0.1',
      SiteType: 'VCenter',
      IsReplicationToSelfEnabled: false,
      UtcOffsetInMinutes: 0,
    };
  }

  function license(): Json {
    return {
      Details: {
        LicenseKey: 'SIM-0000-DEMO-LICENSE',
        LicenseType: 'Enterprise',
        ExpiryTime: null,
        MaxVms: Math.max(500, protectedVms),
      },
      Usage: {
        TotalVmsCount: protectedVms,
        SitesUsage: [{ SiteIdentifier: siteId, SiteName: siteName, ProtectedVmsCount: protectedVms }],
      },
    };
  }

  function alertsOf(s: GraceState): Json[] {
    return activeAlerts(s).map((a: Alert) => ({
      AlertIdentifier: a.id,
      Level: a.level === 'error' ? 'Error' : 'Warning',
      Entity: 'Zvm',
      HelpIdentifier: HELP_IDENTIFIERS[a.kind],
      Site: { identifier: siteId },
      // The ZVM's own words: it enforces, so it says what it will do and what it did.
      Description: alertDescription(a.kind, siteName, policy.graceDays, 'zvm'),
      TurnedOn: new Date(a.turnedOn).toISOString(),
      IsDismissed: false,
    }));
  }
  const alerts = () => alertsOf(tick());

  function vras(): Json[] {
    const connected = viewOf(tick(), now()).vraCommunicationAllowed;
    return Array.from({ length: vraCount }, (_, i) => {
      const n = String(i + 1).padStart(2, '0');
      return {
        VraIdentifier: `${siteId}.vra-${n}`,
        VraName: `Z-VRA-esxi-${n}.sim.local`,
        HostName: `esxi-${n}.sim.local`,
        Status: connected ? 'Connected' : 'Disconnected',
      };
    });
  }

  function controlState(): Json {
    const at = now();
    const v = viewOf(tick(), at);
    const vraList = vras();
    return {
      now: new Date(v.at).toISOString(),
      phase: v.phase,
      deadline: v.deadline === null ? null : new Date(v.deadline).toISOString(),
      daysLeft: v.daysLeft,
      vras: camel ? camelize(vraList) : vraList,
      state: state as unknown as Json,
      site: { id: siteId, name: siteName },
      billingUrl: usageUrl,
      autoSend,
      nextSendAt: autoSend ? new Date(nextSendAt).toISOString() : null,
      lastAttempt: lastAttempt as unknown as Json,
    };
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, method: string) {
    if (path === '/control/state') {
      if (method !== 'GET') return controlError(res, 405, 'use GET', undefined, { Allow: 'GET, OPTIONS' });
      return sendJson(res, 200, controlState());
    }
    if (path === '/control/clock') {
      if (method !== 'POST') return controlError(res, 405, 'use POST', undefined, { Allow: 'POST, OPTIONS' });
      const read = await readBody(req, CONTROL_BODY_LIMIT);
      if (!read.ok) {
        if (read.reason === 'too-large')
          controlError(res, 413, `body: larger than ${CONTROL_BODY_LIMIT} bytes`, 'body');
        return;
      }
      const json = parseJsonBody(read.body);
      if (!json.ok) return controlError(res, 400, json.message, 'body');
      if (!isPlainObject(json.value)) return controlError(res, 400, 'body: must be a JSON object', 'body');
      const ms = json.value.advanceMs;
      try {
        await advance(ms as number);
      } catch (e) {
        return controlError(res, 400, (e as Error).message, 'advanceMs');
      }
      return sendJson(res, 200, controlState());
    }
    return controlError(res, 404, `nothing at ${path}; control has /control/state and /control/clock`);
  }

  function controlError(
    res: ServerResponse,
    status: number,
    message: string,
    field?: string,
    headers: Record<string, string> = {},
  ): void {
    sendJson(res, status, { error: { code: status === 400 ? 'invalid' : 'error', field, message } }, headers);
  }

  const port = await listen(server, opts.port ?? 0, host);
  log(
    `listening; transmitting to ${usageUrl}${autoSend ? ` every ${policy.interval} ms` : ' on demand only'}`,
  );
  // The first transmission happens at start, as a ZVM does when it comes up.
  schedule();

  let closed: Promise<void> | null = null;
  return {
    url: baseUrl(host, port),
    port,
    now,
    advance,
    state: () => tick(),
    close() {
      closed ??= (async () => {
        closing = true;
        if (timer) clearTimeout(timer);
        timer = null;
        stop.abort();
        await closeServer(server, sockets);
        await queue.catch(() => undefined);
      })();
      return closed;
    },
  };
}

function usageEndpoint(billingUrl: unknown): string {
  if (typeof billingUrl !== 'string' || billingUrl === '') {
    throw new TypeError(
      'startZvmSim: billingUrl (the billing receiver, e.g. http://127.0.0.1:5171) is required',
    );
  }
  let u: URL;
  try {
    u = new URL(billingUrl);
  } catch {
    throw new TypeError(`startZvmSim: billingUrl is not a URL (got ${JSON.stringify(billingUrl)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new TypeError(`startZvmSim: billingUrl must be http or https (got ${u.protocol})`);
  }
  return `${billingUrl.replace(/\/+$/, '')}/v1/usage`;
}

/** Reads an answer up to `limit` bytes; null when it is larger (the rest is not downloaded). */
async function readCapped(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The message of a protocol error answer, if it is one. */
function errorDetail(text: string | null): string | undefined {
  if (text === null) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (isPlainObject(body) && isPlainObject(body.error) && typeof body.error.message === 'string') {
      return body.error.message.slice(0, 500);
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The same answer with camelCase keys (`SiteIdentifier` → `siteIdentifier`), as newer ZVMs answer. */
export function camelize(value: Json): Json {
  if (Array.isArray(value)) return value.map(camelize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), camelize(v)]),
    );
  }
  return value;
}
