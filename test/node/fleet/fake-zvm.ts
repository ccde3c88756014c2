// A tiny ZVM on loopback built from the facts of ZVM-API.md (not from our simulator), for the check's tests:
// both dialects (Zerto 10: camelCase, ids only in `link.identifier`, Keycloak token endpoint,
// /v1/serverDateTime/serverDateTimeUtc; Windows: PascalCase, top-level SiteIdentifier and AlertIdentifier,
// POST /v1/session/add with x-zerto-session), answers with nulls where the API allows them, a clock of its
// own, and answers a test sets one by one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Dialect = 'zerto10' | 'windows';

export interface FakeAlert {
  id: string;
  level: string | null;
  entity: string | null;
  helpIdentifier: string | null;
  description: string | null;
  /** As the wire carries it: an ISO string, `/Date(ms+0000)/`, or anything a test wants to send. */
  turnedOn: unknown;
  dismissed?: boolean;
}

export interface FakeZvm {
  url: string;
  /** The ZVM's clock, epoch ms (its answers' Date header and serverDateTimeUtc). */
  now: number;
  siteName: string | null;
  alerts: FakeAlert[];
  /** GET /v1/alerts/helpidentifiers: the list, or null for a 404. */
  helpIds: string[] | null;
  /** Whether GET /v1/serverDateTime/serverDateTimeUtc answers (Zerto 10 does; leave it out to test the Date header). */
  serverTime: boolean;
  /** Raw alert list to answer instead of `alerts`. */
  rawAlerts: unknown;
  /** Stop answering (a hung ZVM). */
  hang: boolean;
  /** Requests seen, `METHOD path`. */
  seen: string[];
  close(): Promise<void>;
}

export const FAKE_TOKEN = 'fake-zvm-token';
export const FAKE_CLIENT = { id: 'nagios', secret: 'nagios-secret' };
export const FAKE_USER = { name: 'svc-nagios', password: 'svc-password' };

const pascal = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [
      k.charAt(0).toUpperCase() + k.slice(1),
      v && typeof v === 'object' && !Array.isArray(v) ? pascal(v as Record<string, unknown>) : v,
    ]),
  );

export async function fakeZvm(dialect: Dialect, init: Partial<FakeZvm> = {}): Promise<FakeZvm> {
  const siteId =
    dialect === 'windows' ? 'a1b2c3d4-0000-4000-8000-000000000001' : '7d2b9a1e-10aa-4bb1-9ed0-000000000010';
  const sessions = new Set<string>();
  const hung: ServerResponse[] = [];
  const zvm: FakeZvm = {
    url: '',
    now: Date.UTC(2027, 2, 10, 8, 0, 0),
    siteName: 'Oslo',
    alerts: [],
    helpIds: null,
    serverTime: dialect === 'zerto10',
    rawAlerts: undefined,
    hang: false,
    seen: [],
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    ...init,
  };
  const shape = (o: Record<string, unknown>) => (dialect === 'windows' ? pascal(o) : o);
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      date: new Date(zvm.now).toUTCString(),
      ...headers,
    });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const link = (kind: string, id: string) => ({
    rel: null,
    href: `${zvm.url}/v1/${kind}/${id}`,
    type: kind,
    identifier: id,
  });

  function authorized(req: IncomingMessage): boolean {
    if (req.headers.authorization === `Bearer ${FAKE_TOKEN}`) return true;
    const s = req.headers['x-zerto-session'];
    return typeof s === 'string' && sessions.has(s);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    zvm.seen.push(`${req.method} ${path}`);
    let body = '';
    for await (const c of req) body += String(c);
    if (zvm.hang) {
      hung.push(res);
      return;
    }
    if (
      req.method === 'POST' &&
      path === '/auth/realms/zerto/protocol/openid-connect/token' &&
      dialect === 'zerto10'
    ) {
      const f = new URLSearchParams(body);
      const ok =
        (f.get('grant_type') === 'client_credentials' &&
          f.get('client_id') === FAKE_CLIENT.id &&
          f.get('client_secret') === FAKE_CLIENT.secret) ||
        (f.get('grant_type') === 'password' &&
          f.get('username') === FAKE_USER.name &&
          f.get('password') === FAKE_USER.password);
      if (!ok)
        return send(res, 401, {
          error: 'invalid_client',
          error_description: 'Invalid client or Invalid client credentials',
        });
      return send(res, 200, {
        access_token: FAKE_TOKEN,
        expires_in: 300,
        refresh_token: 'r',
        token_type: 'Bearer',
      });
    }
    if (req.method === 'POST' && path === '/v1/session/add' && dialect === 'windows') {
      const basic = Buffer.from(`${FAKE_USER.name}:${FAKE_USER.password}`).toString('base64');
      if (req.headers.authorization !== `Basic ${basic}`)
        return send(res, 401, { Message: 'Authorization has been denied for this request.' });
      const s = `session-${sessions.size + 1}`;
      sessions.add(s);
      return send(res, 200, undefined, { 'x-zerto-session': s });
    }
    if (req.method !== 'GET' || !path.startsWith('/v1/'))
      return send(res, 404, { Message: 'No HTTP resource was found.' });
    if (!authorized(req))
      return send(res, 401, { Message: 'Authorization has been denied for this request.' });
    switch (path) {
      case '/v1/localsite':
        return send(
          res,
          200,
          shape({
            ...(dialect === 'windows' ? { siteIdentifier: siteId } : {}),
            link: link('localsite', siteId),
            siteName: zvm.siteName,
            location: null,
            version: dialect === 'windows' ? '9.7.0' : '10.0.60',
            displayVersion: null,
            zvmApiVersion: null,
            contactEmail: null,
            contactName: null,
            contactPhone: null,
            isReplicationToSelfEnabled: false,
            utcOffsetInMinutes: 60,
            siteType: 'VCenter',
            ipAddress: null,
            bandwidthThrottlingInMBs: null,
            siteTypeVersion: null,
            platformInformation: null,
            isLoginBannerEnabled: false,
            loginBanner: null,
          }),
        );
      case '/v1/alerts':
        if (zvm.rawAlerts !== undefined) return send(res, 200, zvm.rawAlerts);
        return send(
          res,
          200,
          zvm.alerts.map((a) =>
            shape({
              ...(dialect === 'windows' ? { alertIdentifier: a.id } : {}),
              link: link('alerts', a.id),
              level: a.level,
              entity: a.entity,
              isDismissed: a.dismissed ?? false,
              helpIdentifier: a.helpIdentifier,
              site: { rel: null, href: null, type: 'site', identifier: siteId },
              description: a.description,
              turnedOn: a.turnedOn,
              affectedVpgs: null,
              affectedZorgs: null,
              generation: 1,
            }),
          ),
        );
      case '/v1/serverDateTime/serverDateTimeUtc':
        if (!zvm.serverTime) return send(res, 404, { Message: 'No HTTP resource was found.' });
        return send(res, 200, new Date(zvm.now).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      case '/v1/alerts/helpidentifiers':
        if (!zvm.helpIds) return send(res, 404, { Message: 'No HTTP resource was found.' });
        return send(res, 200, zvm.helpIds);
      default:
        return send(res, 404, { Message: 'No HTTP resource was found.' });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  zvm.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return zvm;
}

/** An alert a real ZVM lists beside the billing ones, with the nulls the API allows. */
export function otherAlert(id: string, turnedOn: unknown): FakeAlert {
  return {
    id,
    level: 'Warning',
    entity: 'Vpg',
    helpIdentifier: null,
    description: 'VPG Finance: the actual RPO is higher than the configured RPO alert threshold.',
    turnedOn,
  };
}
