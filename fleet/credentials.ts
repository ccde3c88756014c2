/**
 * Credentials stay on the server: per ZVM, a bearer token from Zerto 10's token endpoint (client credentials
 * or password grant), refreshed before it expires; an `x-zerto-session` from POST /v1/session/add for older
 * ZVMs; or a static token. What the probe is handed is only the token or session of the moment.
 */
import type { FailureReason } from '../src/core/index.ts';
import { request } from '../src/world/probes/http.ts';
import type { SiteSecrets } from '../src/world/probes/index.ts';
import { endpoint } from '../src/world/probes/usage.ts';
import type { ResolvedAuth } from './config.ts';

/** Zerto 10's token endpoint (Keycloak, realm `zerto`). */
export const TOKEN_PATH = 'auth/realms/zerto/protocol/openid-connect/token';

/** A token is renewed this fraction of its lifetime before it ends (at most a minute before). */
const REFRESH_FRACTION = 0.25;
const REFRESH_MAX_MS = 60_000;

export type SecretsResult =
  { ok: true; secrets: SiteSecrets; fresh: boolean } | { ok: false; reason: FailureReason };

export interface CredentialInfo {
  type: ResolvedAuth['type'];
  /** When the current token or session was obtained, and when it is renewed (epoch ms), if any. */
  obtainedAt: number | null;
  renewAt: number | null;
  /** Tokens or sessions obtained since start. */
  obtained: number;
}

export class ZvmCredentials {
  private current: { secrets: SiteSecrets; obtainedAt: number; renewAt: number } | null = null;
  private pending: Promise<SecretsResult> | null = null;
  private obtained = 0;

  constructor(
    private readonly url: string,
    private readonly auth: ResolvedAuth,
    private readonly timeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The token or session to use now: the cached one while it is good, else a new one. */
  get(signal?: AbortSignal): Promise<SecretsResult> {
    if (this.auth.type === 'token') {
      return Promise.resolve({ ok: true, secrets: { token: this.auth.secret }, fresh: false });
    }
    if (this.current && this.clock() < this.current.renewAt) {
      return Promise.resolve({ ok: true, secrets: this.current.secrets, fresh: false });
    }
    // Concurrent callers (a scheduled attempt and an operator's send-usage) share one login.
    this.pending ??= this.obtain(signal).finally(() => (this.pending = null));
    return this.pending;
  }

  /** The ZVM refused what it was given (401/403): the next get() logs in again. */
  invalidate(): void {
    this.current = null;
  }

  /**
   * Whether the service obtains these credentials itself (a grant, a session login), so that a refused one is
   * worth replacing at once; a static token is what the config holds, and asking again gives the same.
   */
  get renewable(): boolean {
    return this.auth.type !== 'token';
  }

  /**
   * The ZVM's refusal of a static token, in the fleet config's words: which setting holds it, where it was
   * read from, and what to do (a token obtained elsewhere is never renewed here, and a Zerto 10 token expires).
   */
  refusedStatic(reason: FailureReason): FailureReason {
    const from = this.auth.source ? `, read from ${this.auth.source}` : '';
    const status = reason.status === undefined ? '' : ` (HTTP ${reason.status})`;
    return {
      ...reason,
      kind: 'auth',
      detail: clip(
        `the ZVM at ${hostOf(this.url)} refused the static token of the fleet config${status} (auth.token${from}): ` +
          'the service does not renew a token obtained elsewhere, and a Zerto 10 token expires; put a valid one ' +
          'there and reload (SIGHUP), or give this ZVM client-credentials so that the service obtains its own',
      ),
    };
  }

  /**
   * A refused grant or session login in the fleet config's words: the auth fields to check and where their
   * secret was read (the check command, which has flags rather than a config, words it its own way).
   */
  inFleetConfig(reason: FailureReason): FailureReason {
    if (reason.kind !== 'auth' || !reason.detail) return reason;
    const fields = this.auth.type === 'client-credentials' ? 'clientId, clientSecret' : 'username, password';
    const from = this.auth.source ? `, read from ${this.auth.source}` : '';
    const refused = reason.detail.replace(/: check the credentials configured for it$/, '');
    return {
      ...reason,
      detail: clip(`${refused}: check this ZVM's auth in the fleet config (${fields}${from})`),
    };
  }

  info(): CredentialInfo {
    return {
      type: this.auth.type,
      obtainedAt: this.current?.obtainedAt ?? null,
      renewAt: this.current && Number.isFinite(this.current.renewAt) ? this.current.renewAt : null,
      obtained: this.obtained,
    };
  }

  private async obtain(signal?: AbortSignal): Promise<SecretsResult> {
    const r = this.auth.type === 'session' ? await this.login(signal) : await this.grant(signal);
    if (r.ok) this.obtained++;
    return r;
  }

  private async grant(signal?: AbortSignal): Promise<SecretsResult> {
    const a = this.auth;
    const form = new URLSearchParams();
    if (a.type === 'client-credentials') {
      form.set('grant_type', 'client_credentials');
      form.set('client_id', a.clientId ?? '');
      form.set('client_secret', a.secret);
    } else {
      form.set('grant_type', 'password');
      form.set('client_id', a.clientId ?? 'zerto-client');
      if (a.clientSecret) form.set('client_secret', a.clientSecret);
      form.set('username', a.username ?? '');
      form.set('password', a.secret);
    }
    const started = this.clock();
    const r = await request(
      endpoint(this.url, TOKEN_PATH),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'manual',
      },
      { timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}), maxBytes: 64 * 1024 },
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
      // handled below: no token in it
    }
    if (r.status === 400 || r.status === 401 || r.status === 403) {
      const what = typeof body.error === 'string' ? body.error.slice(0, 100) : `HTTP ${r.status}`;
      return {
        ok: false,
        reason: {
          kind: 'auth',
          status: r.status,
          detail: `the ZVM's token endpoint refused the ${a.type} grant (${what}): check the credentials configured for it`,
        },
      };
    }
    if (r.status !== 200 || typeof body.access_token !== 'string' || body.access_token === '') {
      return {
        ok: false,
        reason: {
          kind: r.status === 200 ? 'bad-answer' : 'http',
          status: r.status,
          detail: `token endpoint: HTTP ${r.status} without an access_token`,
        },
      };
    }
    const ttl =
      typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) && body.expires_in > 0
        ? body.expires_in * 1000
        : 60_000;
    // Counted from when the request was sent: the token's lifetime started no earlier than that.
    const renewAt = started + ttl - Math.min(REFRESH_MAX_MS, ttl * REFRESH_FRACTION);
    this.current = { secrets: { token: body.access_token }, obtainedAt: this.clock(), renewAt };
    return { ok: true, secrets: this.current.secrets, fresh: true };
  }

  private async login(signal?: AbortSignal): Promise<SecretsResult> {
    const basic = Buffer.from(`${this.auth.username ?? ''}:${this.auth.secret}`).toString('base64');
    const url = endpoint(this.url, 'v1/session/add');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
        redirect: 'manual',
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)])
          : AbortSignal.timeout(this.timeoutMs),
      });
      await res.body?.cancel();
    } catch (e) {
      const timeout = (e as Error).name === 'TimeoutError' || signal?.aborted;
      return {
        ok: false,
        reason: timeout
          ? { kind: 'timeout', detail: `session login: no answer within ${this.timeoutMs} ms` }
          : { kind: 'network', detail: `session login: could not connect to ${new URL(url).host}` },
      };
    }
    const session = res.headers.get('x-zerto-session');
    if (res.status === 401 || res.status === 403 || res.status === 429) {
      return {
        ok: false,
        reason: {
          kind: 'auth',
          status: res.status,
          detail: `the ZVM refused the session login (HTTP ${res.status})`,
        },
      };
    }
    if (res.status !== 200 || !session) {
      return {
        ok: false,
        reason: {
          kind: 'http',
          status: res.status,
          detail: `session login: HTTP ${res.status} without a session`,
        },
      };
    }
    // A session ends after a while unused; it is renewed when the ZVM refuses it.
    this.current = { secrets: { session }, obtainedAt: this.clock(), renewAt: Infinity };
    return { ok: true, secrets: this.current.secrets, fresh: true };
  }
}

/** A reason's detail is at most 500 characters (the engine's schema). */
const clip = (text: string) => text.slice(0, 500);

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
