/**
 * The simulator's `x-zerto-session` sessions, which end after a while unused, the access tokens of its
 * token endpoint, which end after their lifetime, and the throttle on its login: a client that keeps
 * guessing the password is made to wait longer and longer.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface SessionOptions {
  /** A session unused this long is gone (real time, not the simulator's clock). Default 30 minutes. */
  idleMs?: number;
  /** Sessions kept at once; the least recently used goes first. Default 1000. */
  max?: number;
}

export class Sessions {
  /** Session id → when it was last used; a Map keeps them in order of use. */
  private readonly lastUsed = new Map<string, number>();
  readonly idleMs: number;
  private readonly max: number;

  constructor(
    opts: SessionOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.idleMs = positive(opts.idleMs ?? 30 * 60_000, 'sessionIdleMs');
    this.max = positive(opts.max ?? 1000, 'maxSessions');
  }

  add(): string {
    this.sweep();
    while (this.lastUsed.size >= this.max) {
      const oldest = this.lastUsed.keys().next().value;
      if (oldest === undefined) break;
      this.lastUsed.delete(oldest);
    }
    const id = randomUUID();
    this.lastUsed.set(id, this.clock());
    return id;
  }

  /** True (and the session's idle time starts again) when the session exists and has not expired. */
  use(id: string): boolean {
    const at = this.lastUsed.get(id);
    if (at === undefined) return false;
    this.lastUsed.delete(id);
    if (this.clock() - at > this.idleMs) return false;
    this.lastUsed.set(id, this.clock());
    return true;
  }

  private sweep(): void {
    const now = this.clock();
    // In order of use: the first one still fresh ends the sweep.
    for (const [id, at] of this.lastUsed) {
      if (now - at <= this.idleMs) break;
      this.lastUsed.delete(id);
    }
  }
}

export interface LoginThrottleOptions {
  /** Wrong logins a client may make before it must wait. Default 5. */
  freeFailures?: number;
  /** The first wait; each further failure doubles it. Default 1000 ms. */
  lockoutMs?: number;
  /** The longest wait. Default 15 minutes. */
  maxLockoutMs?: number;
}

interface ClientRecord {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/**
 * Per client address: after `freeFailures` wrong logins, every login (right or wrong) is answered 429 until
 * the lockout ends; each failure after that doubles the lockout, up to `maxLockoutMs`. A right login resets
 * the count.
 */
export class LoginThrottle {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly freeFailures: number;
  private readonly lockoutMs: number;
  private readonly maxLockoutMs: number;

  constructor(
    opts: LoginThrottleOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.freeFailures = positive(opts.freeFailures ?? 5, 'loginThrottle.freeFailures');
    this.lockoutMs = positive(opts.lockoutMs ?? 1000, 'loginThrottle.lockoutMs');
    this.maxLockoutMs = positive(opts.maxLockoutMs ?? 15 * 60_000, 'loginThrottle.maxLockoutMs');
  }

  /** How long the client must still wait, in ms; 0 when it may try. */
  waitFor(client: string): number {
    const r = this.clients.get(client);
    return r ? Math.max(0, r.lockedUntil - this.clock()) : 0;
  }

  failed(client: string): void {
    const now = this.clock();
    this.prune(now);
    const r = this.clients.get(client) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    r.failures++;
    r.lastFailure = now;
    const over = r.failures - this.freeFailures;
    if (over >= 0)
      r.lockedUntil = now + Math.min(this.maxLockoutMs, this.lockoutMs * 2 ** Math.min(over, 30));
    this.clients.set(client, r);
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }

  /** Forgets clients whose last failure is long past, so that the table cannot grow without end. */
  private prune(now: number): void {
    if (this.clients.size < 10_000) return;
    for (const [client, r] of this.clients) {
      if (now - r.lastFailure > this.maxLockoutMs && now >= r.lockedUntil) this.clients.delete(client);
    }
    // Still full: the earliest recorded go.
    for (const client of this.clients.keys()) {
      if (this.clients.size < 10_000) break;
      this.clients.delete(client);
    }
  }
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`startZvmSim: ${name} must be a whole number ≥ 1`);
  return n;
}

export interface TokenOptions {
  /** How long an access token issued by the token endpoint lasts (real time). Default 5 minutes, as Keycloak. */
  ttlMs?: number;
  /** Tokens kept at once; the oldest goes first. Default 1000. */
  max?: number;
}

/**
 * The access tokens issued by the simulator's token endpoint (Zerto 10's Keycloak realm): opaque random
 * strings that end after `ttlMs` of real time. Expired ones are told apart from unknown ones, so that a
 * client that failed to refresh in time can be counted.
 */
export class AccessTokens {
  private readonly expiry = new Map<string, number>();
  readonly ttlMs: number;
  private readonly max: number;
  issued = 0;
  expiredRejected = 0;

  constructor(
    opts: TokenOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.ttlMs = positive(opts.ttlMs ?? 5 * 60_000, 'tokenTtlMs');
    this.max = positive(opts.max ?? 1000, 'maxTokens');
  }

  issue(): { token: string; expiresInS: number } {
    const now = this.clock();
    for (const [t, until] of this.expiry) if (until <= now) this.expiry.delete(t);
    while (this.expiry.size >= this.max) {
      const oldest = this.expiry.keys().next().value;
      if (oldest === undefined) break;
      this.expiry.delete(oldest);
    }
    const token = `sim.${randomBytes(32).toString('base64url')}`;
    this.expiry.set(token, now + this.ttlMs);
    this.issued++;
    // Whole seconds, rounded down: a client that trusts expires_in never holds a token past its end.
    return { token, expiresInS: Math.max(1, Math.floor(this.ttlMs / 1000)) };
  }

  /** 'valid', 'expired' (issued here, past its end) or 'unknown'. */
  check(token: string): 'valid' | 'expired' | 'unknown' {
    const until = this.expiry.get(token);
    if (until === undefined) return 'unknown';
    if (this.clock() < until) return 'valid';
    this.expiredRejected++;
    return 'expired';
  }
}
