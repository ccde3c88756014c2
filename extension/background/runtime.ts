import type { Clock } from '../../src/core/index.ts';
import type { WatchedSite } from '../../src/world/poller/monitor.ts';
import { openBillingDb, type Db } from '../../src/world/storage/db.ts';
import {
  readSecrets,
  readSettings,
  siteConfig,
  siteSecrets,
  STORAGE_KEYS,
  type Secrets,
  type Settings,
  type SiteEntry,
} from '../shared/settings.ts';

/**
 * What the worker reads from storage, cached for the life of this worker instance only. The worker can be
 * stopped at any moment: everything here is rebuilt from chrome.storage and IndexedDB when it starts again,
 * and the cache is dropped whenever the stored values change.
 */
export interface Runtime {
  settings: Settings;
  secrets: Secrets;
  /** Stored settings that could not be used (reported on the options page). */
  problems: string[];
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
    const { settings, problems } = readSettings(got[STORAGE_KEYS.settings]);
    return { settings, secrets: readSecrets(got[STORAGE_KEYS.secrets]), problems };
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

/** A stored site as the engine's monitor takes it, or null (with the reason) when it cannot work. */
export function watched(rt: Runtime, entry: SiteEntry): { site: WatchedSite } | { error: string } {
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
