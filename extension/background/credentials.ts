import type { FailureReason } from '../../src/core/index.ts';
import type { WatchedSite } from '../../src/world/poller/monitor.ts';
import type { ProbeResult, SiteSecrets, TestStep } from '../../src/world/probes/index.ts';
import { zvmProbe } from '../../src/world/probes/zvm.ts';
import { obtainZvmSecrets, tokenExpiry, type ZvmLogin } from '../../src/world/zvm-credentials.ts';
import { formatDeadline } from '../../components/shared/format.ts';
import { refusalText, type Refusal } from '../shared/auth-texts.ts';
import type { SiteCredentials } from '../shared/settings.ts';

/**
 * The ZVM's tokens and sessions, obtained by the worker from a site's login (a Keycloak client, a ZVM user,
 * a Windows ZVM user) and renewed before they expire, or when the ZVM refuses one.
 *
 * Where they are kept: chrome.storage.session, which is memory only (emptied when the browser closes) and
 * closed to content scripts by default. A token lives minutes and is obtained again at will, so nothing is
 * gained by writing it to disk; keeping it across the worker's stops (which chrome.storage.session does,
 * unlike a variable) spares the ZVM a login at every alarm. The login itself is in chrome.storage.local (see
 * shared/settings.ts for why).
 */

const PREFIX = 'zvmAuth:';

interface Cached {
  /** A digest of the ZVM's address and the login it came from: a changed login is not served an old token. */
  fp: string;
  secrets: SiteSecrets;
  obtainedAt: number;
  expiresAt: number | null;
  /** Real time (tokens end by the ZVM's clock, whatever the diagnostics offset); null: until refused. */
  renewAt: number | null;
}

/** The token or session to use for one attempt. */
export interface Live {
  secrets: SiteSecrets;
  /** Obtained for this attempt (so a refusal of it is not cured by obtaining another). */
  fresh: boolean;
  /** Why none could be obtained (the login refused, the ZVM unreachable). */
  problem: FailureReason | null;
}

/** One login at a time per site, whoever asks (an alarm, the test action, a settings change). */
const pending = new Map<string, Promise<Live>>();

async function fingerprint(zvmUrl: string, login: ZvmLogin): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([zvmUrl, login]));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The site's current token or session: the kept one while it is good, else a new one (`force`: always). */
export async function liveSecrets(
  siteId: string,
  zvmUrl: string,
  login: ZvmLogin,
  timeoutMs: number,
  force = false,
): Promise<Live> {
  const fp = await fingerprint(zvmUrl, login);
  const key = PREFIX + siteId;
  if (!force && !pending.has(siteId)) {
    const got = (await chrome.storage.session.get(key))[key] as Cached | undefined;
    if (got?.fp === fp && (got.renewAt === null || Date.now() < got.renewAt))
      return { secrets: got.secrets, fresh: false, problem: null };
  }
  let p = pending.get(siteId);
  if (!p) {
    p = (async (): Promise<Live> => {
      const r = await obtainZvmSecrets(zvmUrl, login, { timeoutMs });
      if (!r.ok) {
        await chrome.storage.session.remove(key);
        return { secrets: {}, fresh: true, problem: r.reason };
      }
      const cached: Cached = {
        fp,
        secrets: r.secrets,
        obtainedAt: r.obtainedAt,
        expiresAt: r.expiresAt,
        renewAt: Number.isFinite(r.renewAt) ? r.renewAt : null,
      };
      await chrome.storage.session.set({ [key]: cached });
      return { secrets: r.secrets, fresh: true, problem: null };
    })().finally(() => pending.delete(siteId));
    pending.set(siteId, p);
  }
  return p;
}

/** Drops the tokens of sites no longer watched. */
export async function forgetLiveExcept(keep: ReadonlySet<string>): Promise<void> {
  const all = await chrome.storage.session.get(null);
  const gone = Object.keys(all).filter((k) => k.startsWith(PREFIX) && !keep.has(k.slice(PREFIX.length)));
  if (gone.length) await chrome.storage.session.remove(gone);
}

/** A result the ZVM refused to give (it refused the credentials), which a fresh token may cure. */
function refused(r: ProbeResult): FailureReason | null {
  return !r.outcome.ok && r.outcome.reason.kind === 'auth' ? r.outcome.reason : null;
}

/**
 * One attempt at a zvm site: its token or session of the moment, and how its result is read. A refusal of a
 * token that was not just obtained is answered by obtaining another and asking again, once, within the same
 * attempt (so a token revoked before its time costs no blind check); a refusal that remains is named with
 * what it means for the way the site signs in and what to do (an expired Zerto 10 token says so).
 */
export async function zvmAttempt(
  site: WatchedSite,
  creds: SiteCredentials | undefined,
  clock: () => number,
  onStep?: (s: TestStep) => void,
): Promise<{ site: WatchedSite; explain: (r: ProbeResult, s: WatchedSite) => Promise<ProbeResult> }> {
  const { siteId, zvmUrl, timeoutMs } = site.config;
  const login = creds?.login;
  if (!login || !zvmUrl) return { site, explain: async (r) => nameRefusal(r, zvmUrl ?? '', creds, null) };
  let live = await liveSecrets(siteId, zvmUrl, login, timeoutMs);
  const explain = async (r: ProbeResult, s: WatchedSite): Promise<ProbeResult> => {
    let result = r;
    if (refused(result) && !live.fresh && !live.problem) {
      live = await liveSecrets(siteId, zvmUrl, login, timeoutMs, true);
      if (!live.problem)
        result = await zvmProbe.transmit({
          config: s.config,
          secrets: live.secrets,
          now: clock,
          ...(onStep ? { onStep } : {}),
        });
    }
    return nameRefusal(result, zvmUrl, creds, live);
  };
  return { site: { ...site, secrets: live.secrets }, explain };
}

/** The refusal in the result (if any) worded for how the site signs in; a failed login replaces it. Pure. */
export function nameRefusal(
  r: ProbeResult,
  zvmUrl: string,
  creds: SiteCredentials | undefined,
  live: Live | null,
): ProbeResult {
  const reason = refused(r);
  if (!reason) return r;
  const login = creds?.login;
  let named: FailureReason;
  if (login && live?.problem && live.problem.kind !== 'auth') {
    // The login could not be made at all (the token endpoint missing or unreachable): that is the cause.
    named = live.problem;
  } else {
    const refusal: Refusal = login
      ? live?.problem
        ? { kind: 'login-refused', login: login.type, detail: live.problem.detail ?? 'the login was refused' }
        : { kind: 'fresh-refused', login: login.type }
      : creds?.token
        ? { kind: 'token', expiredAt: expiredAt(creds.token) }
        : creds?.session
          ? { kind: 'session-key' }
          : { kind: 'none' };
    const status =
      refusal.kind === 'login-refused' ? (live?.problem?.status ?? reason.status) : reason.status;
    named = {
      kind: 'auth',
      ...(status !== undefined ? { status } : {}),
      detail: refusalText(zvmUrl, status, refusal, (t) => formatDeadline(t)).slice(0, 500),
    };
  }
  return {
    ...r,
    outcome: { ok: false, at: r.outcome.at, reason: named },
    steps: r.steps.map((st) =>
      st.reason?.kind === 'auth'
        ? { ...st, reason: named, ...(named.detail ? { detail: named.detail } : {}) }
        : st,
    ),
  };
}

/** When a static token says it expired, if it is past. */
function expiredAt(token: string): number | null {
  const t = tokenExpiry(token);
  return t !== null && t <= Date.now() ? t : null;
}
