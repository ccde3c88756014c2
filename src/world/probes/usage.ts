import { z } from 'zod/mini';
import type { FailureReason } from '../../core/index.ts';
import { parseJson, request, statusReason, withRetries } from './http.ts';
import type { ProbeContext, UsageSnapshot } from './types.ts';

/** ZVM fields come in PascalCase or camelCase depending on the version: lower-case every key first. */
export function lowerKeys(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => lowerKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k.toLowerCase()] = lowerKeys(v, depth + 1);
  return out;
}

export const LocalSiteSchema = z.object({
  siteidentifier: z.string().check(z.minLength(1)),
  sitename: z._default(z.string(), ''),
  version: z.optional(z.string()),
});

export const LicenseSchema = z.object({
  details: z.optional(
    z.nullable(z.object({ licensetype: z.optional(z.nullable(z.union([z.string(), z.number()]))) })),
  ),
  usage: z.object({
    totalvmscount: z.number().check(z.gte(0)),
    sitesusage: z._default(
      z.array(
        z.object({
          siteidentifier: z.string(),
          sitename: z._default(z.string(), ''),
          protectedvmscount: z.number().check(z.gte(0)),
        }),
      ),
      [],
    ),
  }),
});

export const AlertsSchema = z.array(
  z.object({
    helpidentifier: z._default(z.string(), ''),
    turnedon: z.optional(z.union([z.string(), z.number()])),
    isdismissed: z._default(z.boolean(), false),
  }),
);

/** Joins an API path to a base URL, keeping the base's own path (a ZVM behind a reverse proxy at /zvm/). */
export function endpoint(base: string, path: string): string {
  const b = base.endsWith('/') ? base : `${base}/`;
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

/** GET or POST returning JSON of a known shape, retried inside the attempt window. */
export async function fetchJson<T>(
  ctx: ProbeContext,
  url: string,
  init: RequestInit,
  schema: z.ZodMiniType<T>,
  what: string,
): Promise<JsonResult<T>> {
  return withRetries<JsonResult<T>>(
    async () => {
      const r = await request(url, init, { timeoutMs: ctx.config.timeoutMs, signal: ctx.signal });
      if (!r.ok) return r;
      if (r.status < 200 || r.status > 299)
        return { ok: false, reason: statusReason(r.status, `${what}: HTTP ${r.status}`) };
      const json = parseJson(r.text);
      if (json === undefined) {
        const looksHtml = /^\s*</.test(r.text);
        return {
          ok: false,
          reason: {
            kind: 'bad-answer',
            detail: `${what}: ${looksHtml ? 'an HTML page' : 'not JSON'} instead of JSON`,
          },
        };
      }
      const parsed = schema.safeParse(lowerKeys(json));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return {
          ok: false,
          reason: {
            kind: 'bad-answer',
            detail: `${what}: unexpected shape at ${issue?.path.join('.') || 'top level'}`,
          },
        };
      }
      return { ok: true, value: parsed.data, date: r.date };
    },
    {
      retries: ctx.config.retries,
      windowMs: Math.min(ctx.config.policy.interval / 2, 60_000),
      signal: ctx.signal,
    },
  );
}

/** Reads usage counts from the ZVM's license endpoint. */
export async function zvmUsage(ctx: ProbeContext, base: string): Promise<JsonResult<UsageSnapshot>> {
  const r = await fetchJson(
    ctx,
    endpoint(base, 'v1/license'),
    { headers: authHeaders(ctx) },
    LicenseSchema,
    'license',
  );
  if (!r.ok) return r;
  const lt = r.value.details?.licensetype;
  return {
    ok: true,
    value: {
      protectedVms: r.value.usage.totalvmscount,
      ...(lt === undefined || lt === null ? {} : { licenseType: String(lt) }),
      sites: r.value.usage.sitesusage.map((s) => ({
        id: s.siteidentifier,
        name: s.sitename,
        protectedVms: s.protectedvmscount,
      })),
    },
  };
}
