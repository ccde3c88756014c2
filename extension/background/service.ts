import type { Alert, GraceState } from '../../src/core/index.ts';
import { parseGraceState } from '../../src/core/state.ts';
import {
  SERVICE_NO_KEY,
  servicePassedDetail,
  serviceInvalidText,
  serviceProblemText,
  serviceReadOnlyKeyText,
} from '../../src/core/texts/extension.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';
import type { Db } from '../../src/world/storage/db.ts';
import type { ServiceWatch } from './runtime.ts';

/**
 * `service` mode: the fleet service watches the ZVM (fleet/, docs/fleet.md) and the worker reads the site's
 * state there (`GET /v1/sites/{id}`) instead of probing anything. The state is the service's mirror of the
 * ZVM, the authority's word: it is validated by the engine's schema and stored as the site's state as it
 * is, so that the badge, the notifications, the popup and the consoles' banners show it exactly as they show
 * any other site's. The engine is never run on it here: the service runs it, and two engines would drift.
 */

/** Longest wait between two reads of the service, whatever the schedule's interval. */
export const SERVICE_READ_MS = 5 * 60_000;

/** chrome.storage.session, per site: why the service's state could not be read last time (the popup says it). */
const PROBLEM_PREFIX = 'serviceProblem:';

type Answer =
  | { ok: true; body: unknown }
  | { ok: false; status: number; code?: string; message?: string }
  | { ok: false; error: string };

const siteUrl = (w: ServiceWatch, tail = ''): string =>
  `${w.site.url}/v1/sites/${encodeURIComponent(w.site.siteId)}${tail}`;

/** One authenticated call to the service; its JSON errors (`{ error: { code, message } }`) are kept. */
async function call(w: ServiceWatch, method: 'GET' | 'POST', tail = '', timeoutMs?: number): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(siteUrl(w, tail), {
      method,
      headers: { Authorization: `Bearer ${w.apiKey ?? ''}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(timeoutMs ?? w.site.timeoutMs),
    });
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) return { ok: true, body };
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    ok: false,
    status: res.status,
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.message === 'string' ? { message: e.message.slice(0, 300) } : {}),
  };
}

async function setProblem(siteId: string, problem: string | null): Promise<void> {
  const key = PROBLEM_PREFIX + siteId;
  if (problem) await chrome.storage.session.set({ [key]: problem });
  else await chrome.storage.session.remove(key);
}

/** Why each `service` site's state could not be read last time, by site id. */
export async function serviceProblems(): Promise<Map<string, string>> {
  const all = await chrome.storage.session.get(null);
  return new Map(
    Object.entries(all)
      .filter(([k, v]) => k.startsWith(PROBLEM_PREFIX) && typeof v === 'string')
      .map(([k, v]) => [k.slice(PROBLEM_PREFIX.length), v as string]),
  );
}

/**
 * Stores the service's state as the site's state (and the alerts it lists in the alert history), in one
 * transaction; answers whether anything changed.
 */
async function store(db: Db, state: GraceState): Promise<boolean> {
  const tx = db.transaction(['sites', 'alerts'], 'readwrite');
  const sites = tx.objectStore('sites');
  const alerts = tx.objectStore('alerts');
  const before: unknown = await sites.get(state.site.id);
  const changed = JSON.stringify(before) !== JSON.stringify(state);
  if (changed) {
    const old = parseGraceState(before);
    const known = new Map<string, Alert>(old.ok ? old.value.alerts.map((a) => [a.id, a]) : []);
    const fresh = state.alerts.filter((a) => {
      const o = known.get(a.id);
      return !o || o.resolvedAt !== a.resolvedAt || o.turnedOn !== a.turnedOn;
    });
    await Promise.all([sites.put(state, state.site.id), ...fresh.map((a) => alerts.put(a, a.id))]);
  }
  await tx.done;
  return changed;
}

/**
 * Reads the site's state from the service and stores it; `publish` hears it when it changed. A service that
 * cannot be read leaves the last state it gave in place and says why (the popup shows it): that is not a
 * billing signal, as the ZVM that cannot be seen is not one.
 */
export async function readService(
  w: ServiceWatch,
  db: Db,
  publish: (state: GraceState) => void,
): Promise<void> {
  const { url, siteId, siteName } = w.site;
  if (!w.apiKey) return setProblem(siteId, SERVICE_NO_KEY);
  const a = await call(w, 'GET');
  if (!a.ok) return setProblem(siteId, serviceProblemText(url, siteId, a));
  const parsed = parseGraceState((a.body as { state?: unknown } | null)?.state);
  if (!parsed.ok) return setProblem(siteId, serviceInvalidText(url, parsed.error));
  if (parsed.value.site.id !== siteId)
    return setProblem(siteId, serviceInvalidText(url, `it is the state of site ${parsed.value.site.id}`));
  // The admin's name for the site, where given, as every other mode shows it.
  const state: GraceState = siteName
    ? { ...parsed.value, site: { ...parsed.value.site, name: siteName } }
    : parsed.value;
  if (await store(db, state)) publish(state);
  await setProblem(siteId, null);
}

/**
 * "Test usage transmission" of a `service` site: the service asks the ZVM to send its usage and reads its
 * alerts again (`POST /v1/sites/{id}/send-usage`, an operator key), then the new state is read here. An answer
 * that is no test result (no key, a read-only key, the service unreachable) is an error in words.
 */
export async function sendUsageThroughService(
  w: ServiceWatch,
  db: Db,
  publish: (state: GraceState) => void,
  at: number,
  onStep?: (s: TestStep) => void,
): Promise<{ result: ProbeResult } | { error: string }> {
  const { url, siteId } = w.site;
  if (!w.apiKey) return { error: SERVICE_NO_KEY };
  onStep?.({ id: 'collect', status: 'skipped', detail: 'counted by the ZVM, asked by the fleet service' });
  onStep?.({ id: 'reach', status: 'running' });
  // The service makes a whole attempt (five requests to the ZVM) before it answers.
  const a = await call(w, 'POST', '/send-usage', 5 * w.site.timeoutMs + 5_000);
  if (!a.ok) {
    onStep?.({ id: 'reach', status: 'skipped' });
    if ('status' in a && a.status === 403 && a.code !== 'forbidden-origin')
      return { error: serviceReadOnlyKeyText(url) };
    return { error: serviceProblemText(url, siteId, a) };
  }
  await readService(w, db, publish);
  const body = a.body as { result?: unknown; detail?: unknown } | null;
  const detail = typeof body?.detail === 'string' ? body.detail : '';
  if (body?.result === 'passed')
    return {
      result: {
        outcome: { ok: true, at },
        steps: [
          { id: 'collect', status: 'skipped', detail: 'counted by the ZVM, asked by the fleet service' },
          { id: 'reach', status: 'done', detail: servicePassedDetail(url) },
          { id: 'ack', status: 'done', detail: 'its billing alerts were read again' },
        ],
      },
    };
  const reason = {
    kind: body?.result === 'failed' ? ('rejected' as const) : ('network' as const),
    detail: detail || 'the fleet service could not have the ZVM send its usage',
  };
  return {
    result: {
      outcome: { ok: false, at, reason },
      steps: [{ id: 'reach', status: 'failed', detail: reason.detail, reason }],
    },
  };
}
