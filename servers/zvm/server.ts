/**
 * A ZVM API simulator speaking both real dialects of the ZVM API (src/protocol/zvm.ts): a Zerto 10 appliance
 * (camelCase, ids in link objects, Keycloak tokens; the default) or a Windows ZVM (PascalCase, top-level
 * `SiteIdentifier`/`AlertIdentifier`, `x-zerto-session`). Like a real ZVM it is the authority: it transmits
 * usage to its billing receiver on its own schedule, runs the grace engine on the outcomes (the same engine
 * the banner runs), raises the billing alerts with the configured help identifiers, and stops talking to its
 * VRAs at the deadline. The state machine is machine.ts, the alert list alerts.ts, the shapes of the answers
 * answers.ts; this file is its HTTP face, one table of routes. Every route refuses a foreign `Host`; the
 * control routes need the control token (see ../guard.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePolicy, type GraceState, type Policy } from '../../src/core/index.ts';
import {
  SESSION_HEADER,
  ZERTO_PUBLIC_CLIENT,
  ZVM_DIALECTS,
  ZVM_PATHS,
  type ZvmDialect,
} from '../../src/protocol/zvm.ts';
import {
  controlRefusal,
  controlTokenOption,
  hostGuard,
  hostsOption,
  sameText,
  type Refusal,
} from '../guard.ts';
import {
  answerPreflight,
  applyCors,
  baseUrl,
  closeServer,
  createLimitedServer,
  DEFAULT_ALLOW_ORIGINS,
  lingerAndClose,
  listen,
  logger,
  readBody,
  requestUrl,
  resolveLimits,
  sendEmpty,
  sendError,
  sendJson,
  trackSockets,
  type ServerLimits,
  readControlBody,
} from '../http.ts';
import { RouteTable, type Route } from '../routes.ts';
import {
  ALERT_ENTITIES,
  ALERT_LEVELS,
  createAlertBook,
  DEFAULT_DISCONNECTION_ALERT_ID,
  DEFAULT_USAGE_ALERT_ID,
  filterAlerts,
  helpIdOption,
} from './alerts.ts';
import * as answers from './answers.ts';
import type { Json, SiteFacts } from './answers.ts';
import { createMachine, MAX_ADVANCE_MS } from './machine.ts';
import { AccessTokens, LoginThrottle, Sessions, type LoginThrottleOptions } from './sessions.ts';

/** Zerto 10's token endpoint (Keycloak, realm `zerto`). */
export const TOKEN_PATH = `/${ZVM_PATHS.token}`;
/** The public client Zerto's own UI logs in with (password grant, no secret). */
export const PUBLIC_CLIENT_ID = ZERTO_PUBLIC_CLIENT;
/** The licence type by default: a Cloud licence, the kind that takes part in automated billing. */
export const DEFAULT_LICENSE_TYPE = 'Cloud';

export { MAX_ADVANCE_MS };

export interface ZvmSimOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The billing receiver this ZVM transmits to; reports go to `billingUrl + '/v1/usage'`. */
  billingUrl: string;
  /**
   * Which ZVM it is: `zerto10` (the default: a Zerto 10 appliance, camelCase, Keycloak tokens, no
   * /v1/session/add) or `windows` (a Windows ZVM 7.x–9.x: PascalCase, POST /v1/session/add, no token
   * endpoint, sendUsage answering "Passed"/"Failed").
   */
  dialect?: ZvmDialect;
  /** Bearer token accepted on every /v1 route, in both dialects. Default 'demo-token'. */
  token?: string;
  /**
   * Basic-auth credentials for POST /v1/session/add (windows), and the user of the token endpoint's password
   * grant (zerto10). Default 'admin' / 'admin'.
   */
  user?: string;
  password?: string;
  /**
   * The confidential client of the token endpoint's client_credentials grant (Zerto 10's Keycloak realm
   * `zerto`). Default 'zerto-fleet' / 'fleet-secret'. The password grant takes this client or the public
   * `zerto-client`.
   */
  clientId?: string;
  clientSecret?: string;
  /** How long an access token from the token endpoint lasts, real time. Default 300000 (5 minutes). */
  tokenTtlMs?: number;
  siteId?: string;
  siteName?: string;
  protectedVms?: number;
  vraCount?: number;
  /** Missing fields take the engine defaults; validated with parsePolicy. */
  policy?: Partial<Policy>;
  /** The usage alert's help identifier. Default 'LIC0012'. */
  usageAlertId?: string;
  /** The disconnection alert's help identifier. Default 'LIC0013'. */
  disconnectionAlertId?: string;
  /** List a VPG, a VRA and a storage alert beside the billing ones, as a real ZVM does. Default true. */
  otherAlerts?: boolean;
  /** GET /v1/license's `licenseType` (and the reports'). Default 'Cloud'. */
  licenseType?: string;
  /** GET /v1/license's `expiryTime`, epoch ms; null or absent: none. */
  licenseExpiry?: number | null;
  /** Transmit on its own every policy.interval of its clock (first one at start). Default true. */
  autoSend?: boolean;
  /** Sim clock start, epoch ms. Default Date.now(). */
  startAt?: number;
  /** Origins answered with CORS headers, and the only ones the control routes take. Default: the demo page's. */
  allowOrigins?: string[];
  /** How long a transmission may take before it counts as a timeout. Default 5000 ms. */
  sendTimeoutMs?: number;
  /** The token the control routes need (header X-Control-Token). Default: a random one, see `controlToken`. */
  controlToken?: string;
  /** Other names this server answers to, with any port; loopback names and the bound address always. */
  hosts?: string[];
  /** Request, header and idle timeouts and the connection cap (defaults in DEFAULT_LIMITS). */
  limits?: ServerLimits;
  /** An `x-zerto-session` unused this long ends (real time). Default 30 minutes. */
  sessionIdleMs?: number;
  /** Wrong logins before a client must wait, and how long. Defaults: 5, then 1 s doubling up to 15 min. */
  loginThrottle?: LoginThrottleOptions;
  quiet?: boolean;
}

export interface ZvmSim {
  url: string;
  port: number;
  /** What the control routes need in the X-Control-Token header. */
  controlToken: string;
  /** The sim's clock: startAt + real time elapsed + time advanced. */
  now(): number;
  /** Moves the clock forward (0 < ms ≤ 400 days), runs one due transmission if autoSend, ticks the engine. */
  advance(ms: number): Promise<void>;
  /** The grace engine's state, evaluated at now(). */
  state(): GraceState;
  close(): Promise<void>;
}

const CONTROL_BODY_LIMIT = 16 * 1024;

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** The `:name` segments of the route's path, as they came. */
  params: Record<string, string>;
}

interface SimRoute extends Route<(ctx: Ctx) => void | Promise<void>> {
  /**
   * `login`: anyone (basic auth or the token grant is its point); `api`: a bearer token or a live session; `control`: the
   * control token, an allowed (or no) Origin, and JSON bodies.
   */
  access: 'login' | 'api' | 'control';
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
  const dialect = opts.dialect ?? 'zerto10';
  if (!ZVM_DIALECTS.includes(dialect)) {
    throw new RangeError(`startZvmSim: dialect must be one of ${ZVM_DIALECTS.join(', ')}`);
  }
  const usageAlertId = helpIdOption(opts.usageAlertId, 'usageAlertId', DEFAULT_USAGE_ALERT_ID);
  const disconnectionAlertId = helpIdOption(
    opts.disconnectionAlertId,
    'disconnectionAlertId',
    DEFAULT_DISCONNECTION_ALERT_ID,
  );
  if (usageAlertId.toUpperCase() === disconnectionAlertId.toUpperCase()) {
    throw new RangeError('startZvmSim: usageAlertId and disconnectionAlertId must differ');
  }
  const licenseType = opts.licenseType ?? DEFAULT_LICENSE_TYPE;
  if (typeof licenseType !== 'string' || licenseType.length > 100) {
    throw new RangeError('startZvmSim: licenseType must be a string of at most 100 characters');
  }
  const licenseExpiry = opts.licenseExpiry ?? null;
  if (licenseExpiry !== null && !(Number.isFinite(licenseExpiry) && Math.abs(licenseExpiry) <= 8.64e15)) {
    throw new RangeError('startZvmSim: licenseExpiry must be epoch ms (or null: no expiry)');
  }
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
  if (!Number.isFinite(sendTimeoutMs) || sendTimeoutMs <= 0 || sendTimeoutMs > 2 ** 31 - 1) {
    throw new RangeError('startZvmSim: sendTimeoutMs must be a positive number of milliseconds');
  }
  const controlToken = controlTokenOption(opts.controlToken, 'startZvmSim');
  const hosts = hostsOption(opts.hosts, 'startZvmSim');
  const limits = resolveLimits(opts.limits, 'startZvmSim');
  const sessions = new Sessions({ idleMs: opts.sessionIdleMs });
  const clientId = opts.clientId ?? 'zerto-fleet';
  const clientSecret = opts.clientSecret ?? 'fleet-secret';
  const tokens = new AccessTokens({ ttlMs: opts.tokenTtlMs });
  const throttle = new LoginThrottle(opts.loginThrottle);
  const log = logger(opts.quiet, 'zvm-sim');

  const startAt = opts.startAt ?? Date.now();
  const machine = createMachine({
    usageUrl,
    siteId,
    siteName,
    protectedVms,
    policy,
    autoSend,
    startAt,
    sendTimeoutMs,
    licenseType,
    log,
  });
  const { now } = machine;
  const book = createAlertBook({
    siteId,
    siteName,
    policy,
    startAt,
    usageAlertId,
    disconnectionAlertId,
    otherAlerts: opts.otherAlerts ?? true,
  });
  let closing = false;
  let port = 0;
  const checkHost = hostGuard(host, () => port, hosts);
  /** What the answers are made from; `base` is known once the server listens. */
  const facts: SiteFacts = {
    dialect,
    base: '',
    siteId,
    siteName,
    protectedVms,
    vraCount,
    licenseType,
    licenseExpiry,
  };

  const api = (
    method: 'GET' | 'POST',
    path: string,
    handler: SimRoute['handler'],
    access: SimRoute['access'] = 'api',
  ): SimRoute => ({ method, path, access, handler });
  /** A GET of the API answering 200 with what `body` makes. */
  const read = (path: string, body: () => Json) => api('GET', path, ({ res }) => answer(res, 200, body()));
  const routes = new RouteTable<SimRoute['handler'], SimRoute>([
    // Each dialect its own login: a Zerto 10 appliance has no /v1/session/add, a Windows ZVM no Keycloak.
    ...(dialect === 'windows'
      ? [api('POST', `/${ZVM_PATHS.sessionAdd}`, ({ req, res }) => login(req, res), 'login')]
      : [api('POST', TOKEN_PATH, ({ req, res }) => grantToken(req, res), 'login')]),
    read(`/${ZVM_PATHS.localSite}`, () => answers.localSite(facts)),
    read(`/${ZVM_PATHS.license}`, () => answers.license(facts)),
    api('POST', `/${ZVM_PATHS.sendUsage}`, sendUsage),
    api('GET', `/${ZVM_PATHS.alerts}`, listAlerts),
    read(`/${ZVM_PATHS.alertLevels}`, () => [...ALERT_LEVELS]),
    read(`/${ZVM_PATHS.alertEntities}`, () => [...ALERT_ENTITIES]),
    read(`/${ZVM_PATHS.helpIdentifiers}`, () => book.helpIdentifiers()),
    api('GET', `/${ZVM_PATHS.alerts}/:id`, ({ res, params }) => oneAlert(res, params.id!)),
    api('POST', `/${ZVM_PATHS.alerts}/:id/dismiss`, ({ res, params }) => dismiss(res, params.id!, true)),
    api('POST', `/${ZVM_PATHS.alerts}/:id/undismiss`, ({ res, params }) => dismiss(res, params.id!, false)),
    read(`/${ZVM_PATHS.serverTimeUtc}`, () => answers.serverTime(now(), null)),
    read(`/${ZVM_PATHS.serverTimeLocal}`, () => answers.serverTime(now(), 0)),
    read(`/${ZVM_PATHS.vras}`, () => answers.vras(facts)),
    {
      method: 'GET',
      path: '/control/state',
      access: 'control',
      handler: ({ res }) => sendJson(res, 200, controlState()),
    },
    { method: 'POST', path: '/control/clock', access: 'control', handler: ({ req, res }) => clock(req, res) },
  ]);

  const server = createLimitedServer(
    (req, res) => {
      dateBySimClock(res);
      handle(req, res).catch((e: unknown) => {
        log(`internal error: ${(e as Error).stack ?? String(e)}`);
        answer(res, 500, answers.errorBody(dialect, 'The simulator failed to handle this request.'));
      });
    },
    limits,
    () => ({ Date: new Date(now()).toUTCString() }),
  );
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

  /** Sends a ZVM answer (already in the dialect: see answers.ts). */
  function answer(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}) {
    sendJson(res, status, body, headers);
  }

  /** An error answer of the ZVM API, `{ Message }` or `{ message }` by dialect. */
  function fail(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
    answer(res, status, answers.errorBody(dialect, message), headers);
  }

  /**
   * POST /v1/localsite/billing/sendUsage: answers once the transmission is over, as a ZVM does. Zerto 10's
   * document declares a 200 with no body; a Windows ZVM answers "Passed" or "Failed".
   */
  async function sendUsage({ req, res }: Ctx): Promise<void> {
    // The body is empty by definition; whatever came is read and dropped.
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (!read.ok && read.reason === 'aborted') return;
    const result = await machine.sendUsage();
    if (closing) return;
    if (dialect === 'windows') return answer(res, 200, result);
    sendEmpty(res, 200, { 'Content-Length': '0' });
  }

  const alertList = () => book.list(machine.state());

  /** GET /v1/alerts, with the document's query filters. */
  function listAlerts({ req, res }: Ctx): void {
    const query = requestUrl(req)?.searchParams ?? new URLSearchParams();
    const kept = filterAlerts(alertList(), query, siteId);
    if (!kept.ok) return fail(res, 400, kept.error);
    answer(
      res,
      200,
      kept.alerts.map((a) => answers.alert(facts, a)),
    );
  }

  function oneAlert(res: ServerResponse, id: string): void {
    const a = alertList().find((x) => x.id === id);
    if (!a) return fail(res, 404, `No alert with identifier ${JSON.stringify(id.slice(0, 100))}.`);
    answer(res, 200, answers.alert(facts, a));
  }

  /** POST /v1/alerts/{id}/dismiss and /undismiss: 200 with no body, as the document declares. */
  function dismiss(res: ServerResponse, id: string, dismissed: boolean): void {
    if (!book.dismiss(machine.state(), id, dismissed)) {
      return fail(res, 404, `No alert with identifier ${JSON.stringify(id.slice(0, 100))}.`);
    }
    sendEmpty(res, 200, { 'Content-Length': '0' });
  }

  /** A refusal of the host or the control checks, in the protocol's error shape. */
  function refuse(res: ServerResponse, r: Refusal): void {
    sendError(res, r.status, r.code, r.message, r.field);
  }

  function authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && /^bearer /i.test(auth)) {
      const given = auth.slice(7).trim();
      if (sameText(given, token)) return true;
      if (tokens.check(given) === 'valid') return true;
    }
    const session = req.headers['x-zerto-session'];
    return typeof session === 'string' && sessions.use(session);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const method = req.method ?? 'GET';
    res.on('finish', () => log(`${method} ${req.url} ${res.statusCode}`));
    // Date is not a CORS-safelisted response header: without this a page could not read the ZVM's clock.
    const allowed = applyCors(req, res, allowOrigins, [SESSION_HEADER, 'Date']);
    const wrongHost = checkHost(req);
    if (wrongHost) {
      req.resume();
      // Nothing more on this connection: it was opened under a name that is not this server's.
      res.setHeader('Connection', 'close');
      return refuse(res, wrongHost);
    }
    if (!url) return fail(res, 400, 'The request target must be a path such as /v1/localsite.');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (method === 'OPTIONS') return answerPreflight(req, res, allowed);
    const isControl = path === '/control' || path.startsWith('/control/');
    const match = routes.match(method, path);
    if (match.kind !== 'found') req.resume();
    if (match.kind === 'not-found') {
      if (isControl) {
        return sendError(
          res,
          404,
          'not-found',
          `nothing at ${path}; control has ${routes.paths('/control/').join(', ')}`,
        );
      }
      const message = path.startsWith('/v1/')
        ? `No HTTP resource was found that matches ${path}.`
        : `No resource at ${path}; the API is under /v1.`;
      return fail(res, 404, message);
    }
    if (match.kind === 'wrong-method') {
      if (isControl) {
        return sendError(res, 405, 'method-not-allowed', `use one of: ${match.allow}`, undefined, {
          Allow: match.allow,
        });
      }
      return fail(res, 405, `The requested method is not allowed here; use ${match.allow}.`, {
        Allow: match.allow,
      });
    }
    const { route } = match;
    if (route.access === 'control') {
      const refused = controlRefusal(req, controlToken, allowOrigins);
      if (refused) {
        lingerAndClose(req, res);
        return refuse(res, refused);
      }
    } else if (route.access === 'api' && !authorized(req)) {
      req.resume();
      return fail(
        res,
        401,
        'Authorization has been denied for this request.',
        // Not `Basic`: that would make a browser pop up a login dialog over the demo.
        { 'WWW-Authenticate': 'Bearer realm="zvm-sim"' },
      );
    }
    return route.handler({ req, res, params: match.params });
  }

  function login(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const client = req.socket.remoteAddress ?? 'unknown';
    const wait = throttle.waitFor(client);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      return fail(res, 429, `Too many failed logins from this address; try again in ${seconds} s.`, {
        'Retry-After': String(seconds),
      });
    }
    if (!basicAuthOk(req.headers.authorization)) {
      throttle.failed(client);
      return fail(res, 401, 'Invalid user name or password (HTTP basic authentication).');
    }
    throttle.succeeded(client);
    const id = sessions.add();
    sendEmpty(res, 200, { [SESSION_HEADER]: id, 'Content-Length': '0' });
  }

  function basicAuthOk(header: string | undefined): boolean {
    const pair = basicPair(header);
    return pair !== null && credentialsOk(pair[0], pair[1]);
  }

  function credentialsOk(givenUser: string, givenPassword: string): boolean {
    // Both compared, always, so the time taken does not say which one was wrong.
    const userOk = sameText(givenUser, user);
    const passwordOk = sameText(givenPassword, password);
    return userOk && passwordOk;
  }

  /** An OAuth error answer as Keycloak words it (`error`, `error_description`), never cached. */
  function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
    sendJson(res, status, { error, error_description: description }, { Pragma: 'no-cache' });
  }

  /**
   * Zerto 10's token endpoint: a form-encoded client_credentials grant (this simulator's confidential
   * client, its secret in the form or in basic auth) or password grant (the simulator's user, through this
   * client or the public `zerto-client`). Answers an opaque access token that the /v1 routes accept until
   * `expires_in` seconds have passed. Wrong credentials count towards the same throttle as the login.
   */
  async function grantToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = req.socket.remoteAddress ?? 'unknown';
    const wait = throttle.waitFor(client);
    if (wait > 0) {
      req.resume();
      const seconds = Math.ceil(wait / 1000);
      res.setHeader('Retry-After', String(seconds));
      return oauthError(res, 429, 'slow_down', `Too many failed logins; try again in ${seconds} s.`);
    }
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const read = await readBody(req, CONTROL_BODY_LIMIT);
    if (!read.ok) {
      if (read.reason === 'too-large') {
        lingerAndClose(req, res);
        oauthError(res, 400, 'invalid_request', `the form is larger than ${CONTROL_BODY_LIMIT} bytes`);
      }
      return;
    }
    if (type !== 'application/x-www-form-urlencoded') {
      return oauthError(
        res,
        400,
        'invalid_request',
        `Content-Type must be application/x-www-form-urlencoded (got ${JSON.stringify(type || null)})`,
      );
    }
    const form = new URLSearchParams(read.body.toString('utf8'));
    const basic = basicPair(req.headers.authorization);
    const givenClient = basic?.[0] ?? form.get('client_id') ?? '';
    const givenSecret = basic?.[1] ?? form.get('client_secret');
    const grant = form.get('grant_type');
    let ok: boolean;
    if (grant === 'client_credentials') {
      const idOk = sameText(givenClient, clientId);
      const secretOk = sameText(givenSecret ?? '', clientSecret);
      ok = idOk && secretOk;
      if (!ok) {
        throttle.failed(client);
        return oauthError(res, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
      }
    } else if (grant === 'password') {
      const publicClient = givenClient === PUBLIC_CLIENT_ID && givenSecret === null;
      const confidential = sameText(givenClient, clientId) && sameText(givenSecret ?? '', clientSecret);
      if (!publicClient && !confidential) {
        throttle.failed(client);
        return oauthError(res, 401, 'invalid_client', 'Invalid client or Invalid client credentials');
      }
      ok = credentialsOk(form.get('username') ?? '', form.get('password') ?? '');
      if (!ok) {
        throttle.failed(client);
        return oauthError(res, 401, 'invalid_grant', 'Invalid user credentials');
      }
    } else {
      return oauthError(
        res,
        400,
        grant === null ? 'invalid_request' : 'unsupported_grant_type',
        grant === null
          ? 'Missing form parameter: grant_type'
          : `Unsupported grant_type ${JSON.stringify(grant.slice(0, 50))}: use client_credentials or password`,
      );
    }
    throttle.succeeded(client);
    const issued = tokens.issue();
    sendJson(
      res,
      200,
      {
        access_token: issued.token,
        expires_in: issued.expiresInS,
        refresh_expires_in: 0,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: 'profile email',
      },
      { Pragma: 'no-cache' },
    );
  }

  /**
   * The VRAs as the simulator's own view shows them (not the ZVM API): connected or not, in words, for the
   * demo and the tests.
   */
  function vraView(): Json {
    const connected = machine.view().vraCommunicationAllowed;
    return Array.from({ length: vraCount }, (_, i) => {
      const n = String(i + 1).padStart(2, '0');
      return {
        VraName: `Z-VRA-esxi-${n}.sim.local`,
        HostName: `esxi-${n}.sim.local`,
        Status: connected ? 'Connected' : 'Disconnected',
      };
    });
  }

  function controlState(): Json {
    const v = machine.view();
    const next = machine.nextSendAt();
    return {
      now: new Date(v.at).toISOString(),
      phase: v.phase,
      deadline: v.deadline === null ? null : new Date(v.deadline).toISOString(),
      daysLeft: v.daysLeft,
      vras: vraView(),
      state: machine.state() as unknown as Json,
      site: { id: siteId, name: siteName },
      dialect,
      helpIdentifiers: { usage: usageAlertId, disconnection: disconnectionAlertId },
      billingUrl: usageUrl,
      autoSend,
      nextSendAt: next === null ? null : new Date(next).toISOString(),
      lastAttempt: machine.lastAttempt() as unknown as Json,
      auth: { tokensIssued: tokens.issued, expiredTokensRefused: tokens.expiredRejected },
    };
  }

  async function clock(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readControlBody(req, res);
    if (body === undefined) return;
    try {
      await machine.advance(body.advanceMs as number);
    } catch (e) {
      return sendError(res, 400, 'invalid', (e as Error).message, 'advanceMs');
    }
    return sendJson(res, 200, controlState());
  }

  port = await listen(server, opts.port ?? 0, host);
  facts.base = baseUrl(host, port).replace(/\/+$/, '');
  log(
    `listening as a ${dialect === 'windows' ? 'Windows ZVM' : 'Zerto 10 appliance'}; transmitting to ${usageUrl}${autoSend ? ` every ${policy.interval} ms` : ' on demand only'}`,
  );
  // The first transmission happens at start, as a ZVM does when it comes up.
  machine.start();

  let closed: Promise<void> | null = null;
  return {
    url: baseUrl(host, port),
    port,
    controlToken,
    now,
    advance: machine.advance,
    state: machine.state,
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = machine.stop();
        await closeServer(server, sockets);
        await stopped;
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

/** User and password of an HTTP basic `Authorization` header, or null when it is not one. */
function basicPair(header: string | undefined): [string, string] | null {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}
