/**
 * Signing in to a ZVM, for whoever holds the long-lived credentials: Zerto 10's Keycloak token endpoint
 * (client credentials, or a password grant through the public `zerto-client` or a named client) and a Windows
 * ZVM's POST /v1/session/add (basic auth, the session in the `x-zerto-session` answer header). What comes
 * back is only the token or session of the moment, with when to renew it. No Node-only API: the extension's
 * service worker and its options page use it, and the fleet's ZvmCredentials (fleet/credentials.ts) could.
 */
import type { FailureReason } from '../core/index.ts';
import { SESSION_HEADER, ZERTO_PUBLIC_CLIENT, ZVM_PATHS } from '../protocol/zvm.ts';
import { request } from './probes/http.ts';
import type { SiteSecrets } from './probes/types.ts';
import { endpoint } from './probes/usage.ts';

/** The long-lived credentials of one ZVM, from which tokens or sessions are obtained. */
export type ZvmLogin =
  /** Zerto 10: a confidential Keycloak client the admin created (realm `zerto`). */
  | { type: 'client-credentials'; clientId: string; clientSecret: string }
  /** Zerto 10: a ZVM user, through `zerto-client` (public, no secret) unless a client is named. */
  | { type: 'password'; clientId?: string; clientSecret?: string; username: string; password: string }
  /** A Windows ZVM: basic auth to POST /v1/session/add. */
  | { type: 'session'; username: string; password: string };

/** A token is renewed this fraction of its lifetime before it ends, at most a minute before. */
export const RENEW_FRACTION = 0.25;
export const RENEW_MAX_MS = 60_000;
/** A token endpoint that names no lifetime: taken as one minute. */
export const DEFAULT_TOKEN_TTL_MS = 60_000;

export type Obtained =
  | {
      ok: true;
      secrets: SiteSecrets;
      obtainedAt: number;
      /** When the token ends by its `expires_in` (real time, epoch ms); null for a session (ends when idle). */
      expiresAt: number | null;
      /** When to obtain the next one; Infinity for a session (renewed when the ZVM refuses it). */
      renewAt: number;
    }
  | { ok: false; reason: FailureReason };

export interface ObtainOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Real time: tokens end by the ZVM's wall clock, whatever a diagnostics offset says. */
  clock?: () => number;
}

/** When to renew a token that lives `ttlMs` from `started` (the request's start: it lived no longer). */
export function renewTime(started: number, ttlMs: number): number {
  return started + ttlMs - Math.min(RENEW_MAX_MS, ttlMs * RENEW_FRACTION);
}

/** Obtains a token (Zerto 10) or a session (Windows) with `login`, from the ZVM at `base`. */
export function obtainZvmSecrets(base: string, login: ZvmLogin, opts: ObtainOptions): Promise<Obtained> {
  return login.type === 'session' ? openSession(base, login, opts) : grantToken(base, login, opts);
}

async function grantToken(
  base: string,
  login: Exclude<ZvmLogin, { type: 'session' }>,
  opts: ObtainOptions,
): Promise<Obtained> {
  const clock = opts.clock ?? Date.now;
  const form = new URLSearchParams();
  if (login.type === 'client-credentials') {
    form.set('grant_type', 'client_credentials');
    form.set('client_id', login.clientId);
    form.set('client_secret', login.clientSecret);
  } else {
    form.set('grant_type', 'password');
    form.set('client_id', login.clientId || ZERTO_PUBLIC_CLIENT);
    if (login.clientSecret) form.set('client_secret', login.clientSecret);
    form.set('username', login.username);
    form.set('password', login.password);
  }
  const started = clock();
  const r = await request(
    endpoint(base, ZVM_PATHS.token),
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      redirect: 'manual',
    },
    { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), maxBytes: 64 * 1024 },
  );
  if (!r.ok)
    return {
      ok: false,
      reason: { ...r.reason, detail: `token endpoint: ${r.reason.detail ?? r.reason.kind}` },
    };
  let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } =
    {};
  try {
    body = JSON.parse(r.text) as typeof body;
  } catch {
    // no token in it: said below
  }
  if (r.status === 400 || r.status === 401 || r.status === 403) {
    const error = typeof body.error === 'string' ? body.error.slice(0, 100) : `HTTP ${r.status}`;
    return {
      ok: false,
      reason: {
        kind: 'auth',
        status: r.status,
        detail: `the ZVM's token endpoint refused the ${login.type === 'password' ? 'user name and password' : 'client credentials'} (${error})`,
      },
    };
  }
  if (r.status === 429)
    return {
      ok: false,
      reason: {
        kind: 'auth',
        status: 429,
        detail: "the ZVM's token endpoint refuses logins for now (too many failed ones)",
      },
    };
  if (r.status === 404)
    return {
      ok: false,
      reason: {
        kind: 'http',
        status: 404,
        detail: `the ZVM has no token endpoint (HTTP 404 from /${ZVM_PATHS.token}): a Windows ZVM signs in with a user name and password (session)`,
      },
    };
  if (r.status !== 200 || typeof body.access_token !== 'string' || body.access_token === '')
    return {
      ok: false,
      reason: {
        kind: r.status === 200 ? 'bad-answer' : 'http',
        status: r.status,
        detail: `token endpoint: HTTP ${r.status} without an access_token`,
      },
    };
  const ttl =
    typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) && body.expires_in > 0
      ? body.expires_in * 1000
      : DEFAULT_TOKEN_TTL_MS;
  return {
    ok: true,
    secrets: { token: body.access_token },
    obtainedAt: clock(),
    expiresAt: started + ttl,
    renewAt: renewTime(started, ttl),
  };
}

async function openSession(
  base: string,
  login: Extract<ZvmLogin, { type: 'session' }>,
  opts: ObtainOptions,
): Promise<Obtained> {
  const clock = opts.clock ?? Date.now;
  const url = endpoint(base, ZVM_PATHS.sessionAdd);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basicCredentials(login.username, login.password)}`,
        accept: 'application/json',
      },
      redirect: 'manual',
      cache: 'no-store',
      credentials: 'omit',
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
    await res.body?.cancel();
  } catch {
    return {
      ok: false,
      reason: timeout.aborted
        ? { kind: 'timeout', detail: `session login: no answer within ${opts.timeoutMs} ms` }
        : { kind: 'network', detail: `session login: could not connect to ${hostOf(url)}` },
    };
  }
  if (res.status === 401 || res.status === 403 || res.status === 429)
    return {
      ok: false,
      reason: {
        kind: 'auth',
        status: res.status,
        detail:
          res.status === 429
            ? 'the ZVM refused the session login for now (too many failed logins)'
            : 'the ZVM refused the user name and password of the session login',
      },
    };
  const session = res.headers.get(SESSION_HEADER);
  if (res.status === 404 || res.status === 405)
    return {
      ok: false,
      reason: {
        kind: 'http',
        status: res.status,
        detail: `the ZVM has no session login (HTTP ${res.status} from /${ZVM_PATHS.sessionAdd}): a Zerto 10 appliance signs in through its token endpoint`,
      },
    };
  if (res.status !== 200 || !session)
    return {
      ok: false,
      reason: {
        kind: 'http',
        status: res.status,
        detail: `session login: HTTP ${res.status} without a session`,
      },
    };
  return { ok: true, secrets: { session }, obtainedAt: clock(), expiresAt: null, renewAt: Infinity };
}

/** `user:password` in base64 for HTTP basic auth, UTF-8 first (btoa alone refuses anything past Latin-1). */
export function basicCredentials(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * When a bearer token says it expires (a Keycloak token is a JWT with an `exp` claim, in seconds); null when
 * it is not a JWT or says nothing. Read only to name an expired token as such, never to trust it.
 */
export function tokenExpiry(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(
      parts[1]!
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(parts[1]!.length / 4) * 4, '='),
    );
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 && exp < 1e11 ? exp * 1000 : null;
  } catch {
    return null;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
