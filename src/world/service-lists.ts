// The lists and the export read from the fleet service (fleet/api.ts) instead of this browser's storage, when
// an element is given `service-url`: every console and operator then reads the same alerts, sites and usage,
// and no ZVM credential reaches the page. Each answer is validated before it is shown (an answer from outside
// is untrusted as any input); a failure is an Error whose message names the service's host, for the list's
// failure part. The API key is the element's `token` (or `getToken`); a read-only key is enough.
import { z } from 'zod/mini';
import { AlertSchema, type Alert, type GraceState } from '../core/schemas.ts';
import { parseGraceState } from '../core/state.ts';
import { parseWith } from '../core/validation.ts';
import type { ExportFile, ExportFormat } from '../export/index.ts';
import { eventSite, followEvents, hostOf, problemOf } from './service-feed.ts';

/** Where the service is and how to prove the page may read it. */
export interface ServiceSource {
  url: string;
  token?: string | undefined;
  getToken?: (() => string | Promise<string>) | undefined;
}

const endpoint = (s: ServiceSource, path: string): string => `${s.url.replace(/\/+$/, '')}${path}`;

async function authHeaders(s: ServiceSource): Promise<Record<string, string>> {
  const key = s.getToken ? await s.getToken() : s.token;
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** GETs a path of the service; a network failure or an error status rejects with what went wrong, in words. */
async function get(s: ServiceSource, path: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(endpoint(s, path), {
      headers: await authHeaders(s),
      cache: 'no-store',
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw new Error(problemOf(s.url, null, err), { cause: err });
  }
  if (!res.ok) throw new Error(problemOf(s.url, res.status));
  return res;
}

async function getJson(s: ServiceSource, path: string): Promise<unknown> {
  const res = await get(s, path);
  try {
    return await res.json();
  } catch {
    throw new Error(`the fleet service at ${hostOf(s.url)} answered something other than JSON`);
  }
}

function invalid(s: ServiceSource, what: string, error: string): Error {
  return new Error(`the fleet service at ${hostOf(s.url)} sent ${what} that is not valid: ${error}`);
}

const StatesAnswerSchema = z.object({
  sites: z.array(
    z.object({
      id: z.string(),
      state: z.unknown(),
      days: z.array(z.object({ at: z.number(), ok: z.boolean() })).check(z.maxLength(10_000)),
    }),
  ),
});

export interface ServiceSiteState {
  state: GraceState;
  /** The last seven days of its transmission log, a few attempts a day (for the seven-day strip). */
  days: Array<{ at: number; ok: boolean }>;
}

/** How many sites one `GET /v1/states?site=…` names at most (the fleet service's API refuses more). */
export const STATES_SITES_LIMIT = 100;

/**
 * Every site of the fleet with its state, in one request (`GET /v1/states`), or those of `siteIds` only
 * (`?site=…`, at most STATES_SITES_LIMIT); each state is checked by the engine's own rules
 * (`parseGraceState`). A site the service has not read yet (its state is null), or does not hold, is left out.
 */
export async function readServiceStates(
  s: ServiceSource,
  siteIds?: readonly string[],
): Promise<ServiceSiteState[]> {
  if (siteIds && siteIds.length > STATES_SITES_LIMIT)
    throw new Error(`at most ${STATES_SITES_LIMIT} sites in one read of the fleet service's states`);
  const query = siteIds ? `?${siteIds.map((id) => `site=${encodeURIComponent(id)}`).join('&')}` : '';
  const answer = parseWith(StatesAnswerSchema, 'answer', await getJson(s, `/v1/states${query}`));
  if (!answer.ok) throw invalid(s, 'a list of sites', answer.error);
  const out: ServiceSiteState[] = [];
  for (const site of answer.value.sites) {
    if (site.state === null || site.state === undefined) continue;
    const parsed = parseGraceState(site.state);
    if (!parsed.ok) throw invalid(s, `the state of site ${JSON.stringify(site.id)}`, parsed.error);
    out.push({ state: parsed.value, days: site.days });
  }
  return out;
}

const AlertsAnswerSchema = z.object({ alerts: z.array(AlertSchema).check(z.maxLength(10_000)) });

/** The billing alerts of one site or of all (`GET /v1/alerts[?site=ID]`), active first, then the newest. */
export async function readServiceAlerts(s: ServiceSource, siteId?: string): Promise<Alert[]> {
  const query = siteId ? `?site=${encodeURIComponent(siteId)}` : '';
  const answer = parseWith(AlertsAnswerSchema, 'answer', await getJson(s, `/v1/alerts${query}`));
  if (!answer.ok) throw invalid(s, 'a list of alerts', answer.error);
  return answer.value.alerts;
}

const ExportHeadersSchema = z.object({
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  fileName: z.string().check(z.regex(/^[\w.-]{1,200}$/)),
  rows: z.number().check(z.int(), z.gte(0)),
  unsentDays: z.number().check(z.int(), z.gte(0)),
});

/**
 * The fleet's manual-billing export (`GET /v1/export`): the same file as a browser's own export, with the
 * checksum the service computed; the bytes are hashed again here, and a file that does not match is refused.
 */
export async function fetchServiceExport(
  s: ServiceSource,
  o: { from: string; to: string; format: ExportFormat; siteId?: string | null },
): Promise<ExportFile> {
  const q = new URLSearchParams({ from: o.from, to: o.to, format: o.format });
  if (o.siteId) q.set('site', o.siteId);
  const res = await get(s, `/v1/export?${q}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const disposition = res.headers.get('content-disposition') ?? '';
  const headers = parseWith(ExportHeadersSchema, 'export', {
    sha256: res.headers.get('x-checksum-sha256'),
    fileName: /filename="([^"]*)"/.exec(disposition)?.[1] ?? null,
    rows: Number(res.headers.get('x-export-rows') ?? NaN),
    unsentDays: Number(res.headers.get('x-export-unsent-days') ?? NaN),
  });
  if (!headers.ok)
    throw new Error(
      `the fleet service at ${hostOf(s.url)} sent an export without its file name, checksum or counts (${headers.error}); if it is an older version, update it, or allow this page's origin in its server.allowOrigins`,
    );
  const h = headers.value;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (sha256 !== h.sha256)
    throw new Error(`the export from the fleet service at ${hostOf(s.url)} does not match its checksum`);
  let text: string | undefined;
  return {
    fileName: h.fileName,
    mimeType: o.format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json',
    bytes,
    get text() {
      return (text ??= new TextDecoder().decode(bytes));
    },
    sha256,
    checksumLine: `${sha256}  ${h.fileName}\n`,
    rows: h.rows,
    unsentDays: h.unsentDays,
  };
}

/** Events this close together are one change to read. */
const COALESCE_MS = 250;

/**
 * Calls `changed` whenever the service says a site changed (`GET /v1/events`, read over fetch so that the API
 * key goes in a header), for the sites `concerns` accepts (all by default), with the ids of the sites that
 * changed; and after each reconnection without ids (what happened meanwhile is not known: everything). A
 * stream that cannot be opened is tried again with back-off, quietly: the list's own read shows why the service
 * cannot be read. Returns the unsubscribe.
 */
export function watchServiceEvents(
  s: ServiceSource,
  changed: (siteIds?: readonly string[]) => void,
  concerns: (siteId: string) => boolean = () => true,
): () => void {
  const stop = new AbortController();
  // A tick of the service touches many sites at once: their events make one call, a moment after the last.
  let pending: ReturnType<typeof setTimeout> | undefined;
  /** The sites named since the last call; null: everything (a reconnection, an event naming no site). */
  let named: Set<string> | null = new Set();
  const notify = (siteId?: string) => {
    if (siteId && named) named.add(siteId);
    else named = null;
    clearTimeout(pending);
    pending = setTimeout(() => {
      pending = undefined;
      const ids = named;
      named = new Set();
      if (!stop.signal.aborted) changed(ids ? [...ids] : undefined);
    }, COALESCE_MS);
  };
  // The first snapshot is the stream's start; a later one, a reconnection: what happened meanwhile is not known.
  let connected = false;
  void followEvents(endpoint(s, '/v1/events'), () => authHeaders(s), stop.signal, {
    event: (e) => {
      if (e.event === 'snapshot') {
        if (connected) notify();
        connected = true;
        return;
      }
      if (e.event !== 'site' && e.event !== 'transition') return;
      // An event whose site cannot be told reads everything (where every site concerns the list).
      const id = eventSite(e);
      if (concerns(id)) notify(id);
    },
  });
  return () => {
    stop.abort();
    clearTimeout(pending);
  };
}
