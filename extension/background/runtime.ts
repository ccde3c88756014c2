import type { Clock } from '../../src/core/index.ts';
import type { WatchedSite } from '../../src/world/poller/monitor.ts';
import { openBillingDb, type Db } from '../../src/world/storage/db.ts';
import {
  MANAGED_PROBLEM_PREFIX,
  mergeManaged,
  readManaged,
  readSecrets,
  readSettings,
  serviceKey,
  serviceSite,
  siteConfig,
  siteSecrets,
  STORAGE_KEYS,
  type Secrets,
  type ServiceSite,
  type Settings,
  type SiteEntry,
} from '../shared/settings.ts';

/**
 * What the worker reads from storage, cached for the life of this worker instance only. The worker can be
 * stopped at any moment: everything here is rebuilt from chrome.storage and IndexedDB when it starts again,
 * and the cache is dropped whenever the stored values change.
 */
export interface Runtime {
  /** The admin's own settings with the organisation's sites (chrome.storage.managed) merged in. */
  settings: Settings;
  secrets: Secrets;
  /** Stored settings that could not be used (reported on the options page). */
  problems: string[];
  /** The site ids set by the organisation's policy. */
  managedIds: Set<string>;
}

/** The organisation's sites; a policy that cannot be read or used is a problem to show, never a crash. */
async function managedSites(): Promise<{ sites: SiteEntry[]; problems: string[] }> {
  try {
    const m = readManaged(await chrome.storage.managed.get(null));
    return { sites: m.sites, problems: m.problems.map((p) => `${MANAGED_PROBLEM_PREFIX}, ${p}`) };
  } catch (err) {
    return {
      sites: [],
      problems: [
        `${MANAGED_PROBLEM_PREFIX} could not be read: ${err instanceof Error ? err.message : String(err)}`,
      ],
    };
  }
}

let cached: Promise<Runtime> | null = null;
let offsetMs = 0;

export function runtime(): Promise<Runtime> {
  cached ??= (async () => {
    const got = await chrome.storage.local.get([
      STORAGE_KEYS.settings,
      STORAGE_KEYS.secrets,
      STORAGE_KEYS.clockOffset,
    ]);
    setOffset(got[STORAGE_KEYS.clockOffset]);
    const local = readSettings(got[STORAGE_KEYS.settings]);
    const managed = await managedSites();
    const merged = mergeManaged(local.settings, managed);
    return {
      settings: merged.settings,
      secrets: readSecrets(got[STORAGE_KEYS.secrets]),
      problems: [...local.problems, ...managed.problems, ...merged.problems],
      managedIds: new Set(managed.sites.map((s) => s.siteId)),
    };
  })();
  cached.catch(() => (cached = null));
  return cached;
}

export function forget(): void {
  cached = null;
}

export function setOffset(value: unknown): void {
  offsetMs = typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The system clock plus the diagnostics offset (`clockOffsetMs` in chrome.storage.local). The engine never
 * lets a clock moved back extend the grace, so a wrong offset can only bring an alert forward.
 */
export const clock: Clock = () => Date.now() + offsetMs;

export function db(): Promise<Db> {
  return openBillingDb();
}

/** A `service` site as the worker reads it: where, and the service's API key (if one is stored). */
export interface ServiceWatch {
  site: ServiceSite;
  apiKey: string | undefined;
}

/**
 * A stored site as the worker watches it: a site this browser checks, as the engine's monitor takes it; a
 * site the fleet service watches, read from there; or the reason it cannot work.
 */
export function watched(
  rt: Runtime,
  entry: SiteEntry,
): { site: WatchedSite } | { service: ServiceWatch } | { error: string } {
  if (entry.mode === 'service') {
    const s = serviceSite(entry);
    if (!s.ok) return { error: s.error };
    return { service: { site: s.value, apiKey: serviceKey(rt.secrets, entry.siteId) } };
  }
  const config = siteConfig(entry, rt.settings.policy);
  if (!config.ok) return { error: config.error };
  return { site: { config: config.value, secrets: siteSecrets(rt.secrets, entry.siteId) } };
}

export const alarmName = (siteId: string): string => `site:${siteId}`;
export const siteOfAlarm = (name: string): string | null => (name.startsWith('site:') ? name.slice(5) : null);

/** What the admin should hear about the stored settings: parts set aside, and sites the engine refuses. */
export function problemsOf(rt: Runtime): string[] {
  const refused = rt.settings.sites.flatMap((e) => {
    const w = watched(rt, e);
    return 'error' in w ? [`site ${e.siteId} is not watched: ${w.error}`] : [];
  });
  return [...rt.problems, ...refused];
}
