// `mode="service"`: the site's state comes from the fleet service (fleet/), which watches the ZVM for every
// console, so that every operator reads the same deadline and no ZVM credential reaches a browser. Loaded
// after the first paint (by connect.ts) for such a site only. The page reads `GET /v1/sites/{id}` (its
// `state` is validated by the engine's schema, as any state from outside), then follows `GET /v1/events`
// (server-sent events, read over fetch so that the API key goes in a header) and reads the site again on
// each change of it. The API key is the element's `token` (or `getToken`); a read-only key is enough to watch.
import type { GraceState } from '../core/schemas.ts';
import { parseGraceState } from '../core/state.ts';
import type { SiteHandle } from './client.ts';
import type { ProbeResult } from './probes/index.ts';

/** Waits between reconnections of the event stream: from 2 s, doubling, at most a minute. */
const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 60_000;
/** Read again at least this often, whatever the stream says (a proxy may hold events back). */
const REREAD_MS = 5 * 60_000;

export const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

const siteUrl = (base: string, id: string, tail = ''): string =>
  `${base.replace(/\/+$/, '')}/v1/sites/${encodeURIComponent(id)}${tail}`;

const headers = (h: SiteHandle): Record<string, string> => {
  const key = h.secrets.token;
  return key ? { Authorization: `Bearer ${key}` } : {};
};

/** What went wrong with the service, named with its host, in words a console's developer can act on. */
export function problemOf(base: string, status: number | null, err?: unknown): string {
  const host = hostOf(base);
  if (status === 401) return `the fleet service at ${host} refused the API key (set token or getToken)`;
  if (status === 403) return `the fleet service at ${host} does not allow this page (its Origin or Host)`;
  if (status === 404) return `the fleet service at ${host} has no such site (check site-id)`;
  if (status !== null) return `the fleet service at ${host} answered HTTP ${status}`;
  const message = err instanceof Error ? err.message : String(err);
  return `the fleet service at ${host} could not be read (${message}); if it is up, add this page's origin to its server.allowOrigins (CORS)`;
}

/** Reads the site's state from the service; the handle shows it, or the problem as a setup notice. */
async function read(h: SiteHandle, base: string, signal: AbortSignal): Promise<boolean> {
  const id = h.options.config.siteId;
  let res: Response;
  try {
    res = await fetch(siteUrl(base, id), { headers: headers(h), signal, cache: 'no-store' });
  } catch (err) {
    if (!signal.aborted) setProblem(h, problemOf(base, null, err));
    return false;
  }
  if (!res.ok) {
    setProblem(h, problemOf(base, res.status));
    return false;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    setProblem(h, `the fleet service at ${hostOf(base)} answered something other than JSON`);
    return false;
  }
  const state = (body as { state?: unknown } | null)?.state;
  // The service watches the site but has not read its ZVM yet: nothing to show, nothing wrong; its event
  // stream says when it has.
  if (state === null) {
    setProblem(h, null);
    return true;
  }
  const parsed = parseGraceState(state);
  if (!parsed.ok) {
    setProblem(h, `the fleet service at ${hostOf(base)} sent a state that is not valid: ${parsed.error}`);
    return false;
  }
  setProblem(h, null);
  take(h, parsed.value);
  return true;
}

function take(h: SiteHandle, state: GraceState): void {
  if (h.isClosed) return;
  h.state = state;
  h.status = 'ready';
  h.emitNow();
}

function setProblem(h: SiteHandle, problem: string | null): void {
  if (h.isClosed || h.configProblem === problem) return;
  h.configProblem = problem;
  h.emitNow();
}

/**
 * The events of the service's stream, one at a time: `event:` and `data:` lines, a blank line between
 * events (the text/event-stream format); comments (keep-alives) are skipped.
 */
export async function* serverEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer[nl] === '\r' ? 2 : 1));
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
    }
  }
}

/** The site an event of the stream is about (its `data`'s `siteId` or `id`); '' when it names none. */
export function eventSite(e: { event: string; data: string }): string {
  if (e.event !== 'site' && e.event !== 'transition') return '';
  try {
    const d = JSON.parse(e.data) as { id?: unknown; siteId?: unknown };
    return typeof d.siteId === 'string' ? d.siteId : typeof d.id === 'string' ? d.id : '';
  } catch {
    return '';
  }
}

/**
 * Follows the service's event stream (`eventsUrl`, read over fetch so that the API key goes in a header)
 * until `signal` aborts, connecting again after a failure or an end with back-off (from 2 s, doubling, at most
 * a minute): `connecting` before each connection, `event` for each event (awaited), `failed` when the stream
 * could not be opened (its HTTP status, or null and the error).
 */
export async function followEvents(
  eventsUrl: string,
  headers: () => Record<string, string> | Promise<Record<string, string>>,
  signal: AbortSignal,
  on: {
    connecting?: () => Promise<unknown>;
    event: (e: { event: string; data: string }) => unknown;
    failed?: (status: number | null, err?: unknown) => void;
  },
): Promise<void> {
  let wait = RETRY_MIN_MS;
  while (!signal.aborted) {
    await on.connecting?.();
    try {
      const res = await fetch(eventsUrl, {
        headers: { ...(await headers()), Accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (res.ok && res.body) {
        wait = RETRY_MIN_MS;
        for await (const e of serverEvents(res.body)) await on.event(e);
      } else if (!res.ok) on.failed?.(res.status);
    } catch (err) {
      if (signal.aborted) return;
      on.failed?.(null, err);
    }
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    wait = Math.min(RETRY_MAX_MS, wait * 2);
  }
}

/** Follows the site on the service until the handle is released; returns the release. */
export function followService(h: SiteHandle): () => void {
  const base = h.options.service!.url;
  const id = h.options.config.siteId;
  const stop = new AbortController();
  const reread = setInterval(() => void read(h, base, stop.signal), REREAD_MS);
  void followEvents(`${base.replace(/\/+$/, '')}/v1/events`, () => headers(h), stop.signal, {
    connecting: () => read(h, base, stop.signal),
    event: (e) => (eventSite(e) === id ? read(h, base, stop.signal) : undefined),
    failed: (status, err) => setProblem(h, problemOf(base, status, err)),
  });
  return () => {
    stop.abort();
    clearInterval(reread);
  };
}

/**
 * The vendor's action through the service (`POST /v1/sites/{id}/send-usage`, an operator key): the ZVM is
 * asked to send its usage, its alerts are read again, and every console hears the new state from the stream.
 */
export async function sendUsageThroughService(h: SiteHandle, at: number): Promise<ProbeResult> {
  const base = h.options.service!.url;
  const fail = (detail: string, kind: 'auth' | 'network' | 'http' | 'rejected' = 'http'): ProbeResult => ({
    outcome: { ok: false, at, reason: { kind, detail } },
    steps: [],
  });
  let res: Response;
  try {
    res = await fetch(siteUrl(base, h.options.config.siteId, '/send-usage'), {
      method: 'POST',
      headers: headers(h),
      cache: 'no-store',
    });
  } catch (err) {
    return fail(problemOf(base, null, err), 'network');
  }
  if (res.status === 403)
    return fail(`the fleet service at ${hostOf(base)} needs an operator key to send usage`, 'auth');
  if (!res.ok) return fail(problemOf(base, res.status), res.status === 401 ? 'auth' : 'http');
  const body = (await res.json().catch(() => null)) as { result?: unknown; detail?: unknown } | null;
  const stop = new AbortController();
  await read(h, base, stop.signal);
  if (body?.result === 'passed') return { outcome: { ok: true, at }, steps: [] };
  const detail = typeof body?.detail === 'string' ? body.detail : 'the ZVM could not send its usage';
  return fail(detail, body?.result === 'failed' ? 'rejected' : 'network');
}
