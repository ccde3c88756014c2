/**
 * The fleet's HTTP API (node:http), hardened as the reference servers are (servers/http.ts, servers/guard.ts):
 * request, header and idle timeouts and a connection cap, the Host check (DNS rebinding), a foreign Origin
 * refused, CORS only for the allow-list, JSON errors. One table of routes; each says which role it needs.
 * API keys are bearer tokens with a role: `read` sees, `operator` also acts (send-usage).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { hostGuard, hostsOption, sameText } from '../servers/guard.ts';
import {
  answerPreflight,
  applyCors,
  baseUrl,
  closeServer,
  createLimitedServer,
  holdOpen,
  listen,
  readBody,
  requestUrl,
  resolveLimits,
  sendError,
  sendJson,
  trackSockets,
  lingerAndClose,
  type ServerLimits,
} from '../servers/http.ts';
import { RouteTable, type Route } from '../servers/routes.ts';
import { buildExport, parseExportRange } from '../src/export/index.ts';
// How many `site` parameters `GET /v1/states` takes: one number for the service and the lists that ask it.
import { STATES_SITES_LIMIT } from '../src/world/service-lists.ts';
import type { ApiKey } from './config.ts';
import type { Fleet } from './fleet.ts';
import type { Store } from './store.ts';

type Role = 'public' | 'read' | 'operator';

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
}

interface ApiRoute extends Route<(ctx: Ctx) => void | Promise<void>> {
  role: Role | 'metrics';
}

export interface ApiOptions {
  host: string;
  port: number;
  allowOrigins: string[];
  hosts: string[];
  publicMetrics: boolean;
  /** Read at every request, so that a reload takes effect at once. */
  apiKeys: () => readonly ApiKey[];
  fleet: Fleet;
  store: Store;
  metrics: Registry;
  log: (line: string) => void;
  /** How often an idle event stream gets a comment line, ms. Default 15000. */
  heartbeatMs?: number;
  /** Request, header and idle timeouts and the connection cap (defaults in DEFAULT_LIMITS). */
  limits?: ServerLimits;
}

export interface Api {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_STREAMS = 200;
/** Events kept for a stream that reconnects with `Last-Event-ID`. */
const REPLAY_EVENTS = 1000;
const SEND_BODY_LIMIT = 16 * 1024;
/** What a console's page may read of an answer beyond the CORS-safelisted headers: the export's file name and checksum. */
const EXPOSE_HEADERS = [
  'Content-Disposition',
  'X-Checksum-SHA256',
  'X-Checksum-Line',
  'X-Export-Rows',
  'X-Export-Unsent-Days',
];
/** Alerts answered by `GET /v1/alerts` at most, active first, then the newest. */
const ALERTS_LIMIT = 1000;

export async function startApi(o: ApiOptions): Promise<Api> {
  const limits = resolveLimits(o.limits, 'fleet api');
  let port = 0;
  const checkHost = hostGuard(o.host, () => port, hostsOption(o.hosts, 'fleet api'));
  const streams = new Set<ServerResponse>();
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  // Event ids are `<boot>-<n>`: an id from before a restart is recognised as such (a snapshot, not a replay).
  const boot = randomBytes(4).toString('hex');
  let eventId = 0;
  /** The latest events, oldest first, for replay after a reconnection. */
  const recent: Array<{ n: number; text: string }> = [];

  const routes = new RouteTable<ApiRoute['handler'], ApiRoute>([
    { method: 'GET', path: '/healthz', role: 'public', handler: ({ res }) => health(res) },
    { method: 'GET', path: '/metrics', role: 'metrics', handler: ({ res }) => metrics(res) },
    {
      method: 'GET',
      path: '/v1/sites',
      role: 'read',
      handler: ({ res }) => sendJson(res, 200, { sites: o.fleet.summaries() }),
    },
    {
      method: 'GET',
      path: '/v1/sites/:id',
      role: 'read',
      handler: ({ res, params }) => site(res, params.id!),
    },
    {
      method: 'GET',
      path: '/v1/sites/:id/history',
      role: 'read',
      handler: ({ res, params }) => history(res, params.id!),
    },
    {
      method: 'POST',
      path: '/v1/sites/:id/send-usage',
      role: 'operator',
      handler: ({ req, res, params }) => sendUsage(req, res, params.id!),
    },
    { method: 'GET', path: '/v1/states', role: 'read', handler: ({ req, res }) => states(req, res) },
    { method: 'GET', path: '/v1/alerts', role: 'read', handler: ({ req, res }) => alerts(req, res) },
    { method: 'GET', path: '/v1/events', role: 'read', handler: ({ req, res }) => events(req, res) },
    { method: 'GET', path: '/v1/export', role: 'read', handler: ({ req, res }) => exportUsage(req, res) },
  ]);

  const server = createLimitedServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.log(`internal error: ${(e as Error).stack ?? String(e)}`);
      sendError(res, 500, 'internal', 'the fleet service failed to handle this request');
    });
  }, limits);
  const sockets = trackSockets(server);

  function roleOf(req: IncomingMessage): Role | null {
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !/^bearer /i.test(auth)) return null;
    const given = auth.slice(7).trim();
    // Every key compared, in time that does not depend on where they differ.
    let found: Role | null = null;
    for (const k of o.apiKeys()) if (k.key && sameText(given, k.key)) found = k.role;
    return found;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const allowed = applyCors(req, res, o.allowOrigins, EXPOSE_HEADERS);
    const wrongHost = checkHost(req);
    if (wrongHost) {
      req.resume();
      res.setHeader('Connection', 'close');
      return sendError(res, wrongHost.status, wrongHost.code, wrongHost.message, wrongHost.field);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed) {
      req.resume();
      return sendError(
        res,
        403,
        'forbidden-origin',
        `Origin ${JSON.stringify(origin.slice(0, 200))} is not in this service's allow-list (http.allowOrigins)`,
        'Origin',
      );
    }
    const url = requestUrl(req);
    if (!url)
      return sendError(res, 400, 'bad-request', 'the request target must be a path such as /v1/sites');
    if (method === 'OPTIONS') return answerPreflight(req, res, allowed);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const match = routes.match(method === 'HEAD' ? 'GET' : method, path);
    if (match.kind !== 'found') req.resume();
    if (match.kind === 'not-found') {
      return sendError(res, 404, 'not-found', `nothing at ${path}; the API has ${routes.paths().join(', ')}`);
    }
    if (match.kind === 'wrong-method') {
      return sendError(res, 405, 'method-not-allowed', `use one of: ${match.allow}`, undefined, {
        Allow: match.allow,
      });
    }
    const { route, params } = match;
    const need = route.role === 'metrics' ? (o.publicMetrics ? 'public' : 'read') : route.role;
    if (need !== 'public') {
      const role = roleOf(req);
      if (role === null) {
        req.resume();
        return sendError(
          res,
          401,
          'unauthorized',
          'an API key is needed: Authorization: Bearer <key> (see apiKeys in the config)',
          'Authorization',
          { 'WWW-Authenticate': 'Bearer realm="zerto-fleet"' },
        );
      }
      if (need === 'operator' && role !== 'operator') {
        req.resume();
        return sendError(
          res,
          403,
          'forbidden',
          'this API key is read-only; send-usage needs an operator key',
        );
      }
    }
    return route.handler({ req, res, params });
  }

  async function health(res: ServerResponse): Promise<void> {
    const db = await o.store.ping().catch(() => false);
    sendJson(res, db ? 200 : 503, { ok: db, sites: o.fleet.stats.sites, database: db ? 'ok' : 'failing' });
  }

  async function metrics(res: ServerResponse): Promise<void> {
    const text = await o.metrics.metrics();
    res.writeHead(200, { 'Content-Type': o.metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(text);
  }

  function site(res: ServerResponse, id: string): void {
    const d = o.fleet.detail(id);
    if (!d) return sendError(res, 404, 'not-found', `no site ${JSON.stringify(id)} in the config`, 'id');
    sendJson(res, 200, {
      site: d.summary,
      view: d.view,
      state: d.state,
      runtime: d.runtime,
      credentials: d.credentials,
      nextAttemptAt: d.nextAttemptAt === null ? null : new Date(d.nextAttemptAt).toISOString(),
      readBy: d.readBy,
    });
  }

  async function history(res: ServerResponse, id: string): Promise<void> {
    if (!o.fleet.has(id))
      return sendError(res, 404, 'not-found', `no site ${JSON.stringify(id)} in the config`, 'id');
    const [transmissions, transmissionCount, transitions, alerts] = await Promise.all([
      o.store.transmissions(id),
      o.store.transmissionCount(id),
      o.store.transitions(id),
      o.store.alertHistory(id),
    ]);
    sendJson(res, 200, { transmissionCount, transmissions, transitions, alerts });
  }

  /**
   * Every site's grace state in one answer (the sites list reads this, not one request per site): `sites`,
   * each `{ id, name, state, days }`; `state` is null until the site's ZVM was first read; `days` is the last
   * seven days of the transmission log, per day the latest attempt that sent usage and the latest that did not
   * (`{ at, ok }`), enough for the list's seven-day strip. "Cannot see" attempts are left out: no usage signal.
   */
  async function states(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // `?site=ID` (repeated): those sites only, as a list refreshes the sites the event stream named; an id the
    // config does not hold is left out.
    const asked = requestUrl(req)!.searchParams.getAll('site');
    if (asked.length > STATES_SITES_LIMIT)
      return sendError(
        res,
        400,
        'too-many',
        `at most ${STATES_SITES_LIMIT} site parameters; ask for every site without any`,
        'site',
      );
    const now = Date.now();
    const ids = asked.length ? [...new Set(asked)].filter((id) => o.fleet.has(id)) : o.fleet.ids();
    const days = await o.store.recentDays(now, 7, asked.length ? ids : undefined);
    const names = o.fleet.names();
    const sites = ids.map((id) => ({
      id,
      name: names.get(id) ?? '',
      state: o.fleet.detail(id)?.state ?? null,
      days: days.get(id) ?? [],
    }));
    sendJson(res, 200, { at: now, sites });
  }

  /**
   * The billing alerts of every site, or of one (`?site=ID`), each with its site `{ id, name }`: active first,
   * then the newest, at most ALERTS_LIMIT.
   */
  async function alerts(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const asked = requestUrl(req)!.searchParams.get('site');
    if (asked !== null && !o.fleet.has(asked))
      return sendError(
        res,
        404,
        'not-found',
        `no site ${JSON.stringify(asked.slice(0, 100))} in the config`,
        'site',
      );
    const ids = asked === null ? o.fleet.ids() : [asked];
    const names = o.fleet.names();
    const rows = await o.store.alertsOf(ids, ALERTS_LIMIT);
    sendJson(res, 200, {
      alerts: rows.map(({ siteId, ...a }) => ({ ...a, site: { id: siteId, name: names.get(siteId) ?? '' } })),
    });
  }

  async function sendUsage(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    // The action takes no parameters; whatever body came is read and dropped.
    const read = await readBody(req, SEND_BODY_LIMIT);
    if (!read.ok) {
      if (read.reason === 'too-large') {
        lingerAndClose(req, res);
        sendError(res, 413, 'too-large', `body: larger than ${SEND_BODY_LIMIT} bytes`, 'body');
      }
      return;
    }
    // The attempt (or the wait for another instance's answer, a minute by default) may outlast the idle
    // timeout, which would end the connection before the answer.
    holdOpen(res, limits.idleTimeoutMs);
    const outcome = await o.fleet.sendUsage(id);
    if (!outcome)
      return sendError(res, 404, 'not-found', `no site ${JSON.stringify(id)} in the config`, 'id');
    if ('timeout' in outcome) {
      return sendError(
        res,
        504,
        'send-timeout',
        `site ${JSON.stringify(id)} is read by another instance of the fleet service (${outcome.timeout ?? 'being handed over'}), which did not answer within ${outcome.waitedMs / 1000} s; ${outcome.underWay ? 'its attempt is under way and its outcome will show in the site' : 'the request was withdrawn: ask again'}`,
        'id',
      );
    }
    sendJson(res, 200, { result: outcome.result, detail: outcome.detail, site: outcome.summary });
  }

  /**
   * The manual-billing export, the browser's format (src/export): `?from=YYYY-MM-DD&to=YYYY-MM-DD&format=csv|json`
   * and `site=ID` (repeatable; all configured sites without it). The SHA-256 of the bytes is in
   * `X-Checksum-SHA256`, and `sha256sum -c`'s line in `X-Checksum-Line`.
   */
  async function exportUsage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = requestUrl(req)!.searchParams;
    const format = q.get('format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') {
      return sendError(
        res,
        400,
        'invalid',
        `format must be csv or json (got ${JSON.stringify(format.slice(0, 20))})`,
        'format',
      );
    }
    const now = Date.now();
    const range = parseExportRange({ from: q.get('from') ?? '', to: q.get('to') ?? '' }, now);
    if (!range.ok)
      return sendError(res, 400, 'invalid', range.error, /^to/.test(range.error) ? 'to' : 'from');
    const asked = q.getAll('site');
    const unknownSite = asked.find((id) => !o.fleet.has(id));
    if (unknownSite !== undefined) {
      return sendError(
        res,
        404,
        'not-found',
        `no site ${JSON.stringify(unknownSite.slice(0, 100))} in the config`,
        'site',
      );
    }
    const siteIds = asked.length ? asked : o.fleet.ids();
    const names = o.fleet.names();
    const snapshots = await o.store.usage(range.value.from, range.value.to, siteIds);
    const file = await buildExport({
      snapshots,
      range: range.value,
      format,
      allSites: asked.length === 0,
      siteNames: siteIds.map((id) => names.get(id) ?? id),
      sites: siteIds.map((id) => ({ id, name: names.get(id) ?? '' })),
      names,
      now,
    });
    res.writeHead(200, {
      'Content-Type': file.mimeType,
      'Content-Length': String(file.bytes.byteLength),
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Cache-Control': 'no-store',
      'X-Checksum-SHA256': file.sha256,
      'X-Checksum-Line': file.checksumLine.trim(),
      'X-Export-Rows': String(file.rows),
      'X-Export-Unsent-Days': String(file.unsentDays),
    });
    res.end(file.bytes);
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= MAX_STREAMS) {
      return sendError(res, 503, 'busy', `at most ${MAX_STREAMS} event streams at once`, undefined, {
        'Retry-After': '10',
      });
    }
    req.resume();
    holdOpen(res, limits.idleTimeoutMs);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // Now, not with the first event: a stream that reconnects with the latest id has nothing to replay, and
    // its client would otherwise wait for the next event or heartbeat (15 s) to learn that it is connected.
    res.flushHeaders();
    streams.add(res);
    // A reconnecting stream (EventSource sends the last id it saw) gets what it missed, if this process
    // still has all of it; otherwise, or on a first connection, a snapshot of every site.
    const last = lastEventId(req);
    const from =
      last === null ? -1 : last === eventId ? recent.length - 1 : recent.findIndex((e) => e.n === last);
    if (from >= 0 || (last !== null && last === eventId)) {
      for (const e of recent.slice(from + 1)) res.write(e.text);
    } else {
      // The snapshot stands for every event so far: its id is the latest one's.
      res.write(
        `id: ${boot}-${eventId}\nevent: snapshot\ndata: ${JSON.stringify({ sites: o.fleet.summaries() })}\n\n`,
      );
    }
    const beat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
    res.on('close', () => {
      clearInterval(beat);
      streams.delete(res);
    });
  }

  /** The `n` of this process's `Last-Event-ID` (header, or `lastEventId` in the query for fetch), or null. */
  function lastEventId(req: IncomingMessage): number | null {
    const raw = req.headers['last-event-id'] ?? requestUrl(req)?.searchParams.get('lastEventId') ?? null;
    if (typeof raw !== 'string') return null;
    const m = /^([0-9a-f]{8})-(\d{1,15})$/.exec(raw.trim());
    return m && m[1] === boot ? Number(m[2]) : null;
  }

  /** One event to every stream, kept for replay. */
  function broadcast(event: string, data: unknown): void {
    const n = ++eventId;
    const text = `id: ${boot}-${n}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    recent.push({ n, text });
    if (recent.length > REPLAY_EVENTS) recent.splice(0, recent.length - REPLAY_EVENTS);
    for (const s of streams) if (!s.destroyed && !s.writableEnded) s.write(text);
  }

  const onChange = (summary: unknown) => broadcast('site', summary);
  const onTransition = (t: unknown) => broadcast('transition', t);
  const onLastDay = (t: unknown) => broadcast('last-day', t);
  o.fleet.on('change', onChange);
  o.fleet.on('transition', onTransition);
  o.fleet.on('lastDay', onLastDay);

  port = await listen(server, o.port, o.host);
  return {
    url: baseUrl(o.host, port),
    port,
    async close() {
      o.fleet.off('change', onChange);
      o.fleet.off('transition', onTransition);
      o.fleet.off('lastDay', onLastDay);
      for (const s of streams) s.end();
      await closeServer(server, sockets);
    },
  };
}
