import { readLicense, ZVM_PATHS, type ZvmLicense, type ZvmRead } from '../../protocol/zvm.ts';
import type { FailureReason } from '../../core/index.ts';
import { parseJson, request, statusReason, withRetries } from './http.ts';
import type { ProbeContext, UsageSnapshot } from './types.ts';

export { lowerKeys } from '../../protocol/zvm.ts';

/**
 * Joins an API path to a base URL, keeping the base's own path (a ZVM behind a reverse proxy at /zvm/). A base
 * given with the API's own `/v1` at its end (`https://zvm/v1`) is the ZVM's base all the same.
 */
export function endpoint(base: string, path: string): string {
  const trimmed = /^v1\//.test(path.replace(/^\/+/, '')) ? base.replace(/\/v1\/*$/i, '') : base;
  const b = trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
  return new URL(path.replace(/^\/+/, ''), b).href;
}

export function authHeaders(ctx: ProbeContext): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (ctx.secrets.token) h.authorization = `Bearer ${ctx.secrets.token}`;
  if (ctx.secrets.session) h['x-zerto-session'] = ctx.secrets.session;
  return h;
}

export type JsonResult<T> =
  { ok: true; value: T; date?: number | null } | { ok: false; reason: FailureReason };

/**
 * A ZVM answer may be large (a busy ZVM lists hundreds of alerts; a field may be a megabyte of text, cut by the
 * contract): read up to this, still bounded.
 */
export const ZVM_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** GET returning JSON read by one of the ZVM contract's readers, retried inside the attempt window. */
export async function fetchZvm<T>(
  ctx: ProbeContext,
  url: string,
  read: (json: unknown) => ZvmRead<T>,
  what: string,
  init: RequestInit = { headers: authHeaders(ctx) },
): Promise<JsonResult<T>> {
  return withRetries<JsonResult<T>>(
    async () => {
      const r = await request(url, init, {
        timeoutMs: ctx.config.timeoutMs,
        signal: ctx.signal,
        maxBytes: ZVM_MAX_ANSWER_BYTES,
      });
      if (!r.ok) return r;
      if (r.status < 200 || r.status > 299)
        return {
          ok: false,
          reason: statusReason(r.status, `${what}: HTTP ${r.status} from ${pathOf(url)}`),
        };
      const json = parseJson(r.text);
      if (json === undefined) {
        const looksHtml = /^\s*</.test(r.text);
        return {
          ok: false,
          reason: {
            kind: 'bad-answer',
            detail: `${what}: ${looksHtml ? 'an HTML page' : 'not JSON'} instead of JSON (from ${pathOf(url)})`,
          },
        };
      }
      const read1 = read(json);
      if (!read1.ok) return { ok: false, reason: { kind: 'bad-answer', detail: read1.error.slice(0, 500) } };
      return { ok: true, value: read1.value, date: r.date };
    },
    {
      retries: ctx.config.retries,
      windowMs: Math.min(ctx.config.policy.interval / 2, 60_000),
      signal: ctx.signal,
    },
  );
}

/** The path (and query) of a URL, as a notice names what was requested. */
export function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

/** Reads usage counts and the licence from the ZVM's license endpoint. */
export async function zvmUsage(ctx: ProbeContext, base: string): Promise<JsonResult<UsageSnapshot>> {
  const r = await fetchZvm(ctx, endpoint(base, ZVM_PATHS.license), readLicense, 'license');
  if (!r.ok) return r;
  const l = r.value;
  return { ok: true, value: snapshotOf(l), date: r.date };
}

/** What the ZVM's licence says of usage, as a usage snapshot. */
export function snapshotOf(l: ZvmLicense): UsageSnapshot {
  return {
    protectedVms: l.protectedVms ?? 0,
    ...(l.type === null ? {} : { licenseType: l.type }),
    ...(l.expiry === null ? {} : { licenseExpiry: l.expiry }),
    sites: l.sites.map((s) => ({ id: s.id, name: s.name ?? '', protectedVms: s.protectedVms ?? 0 })),
  };
}
