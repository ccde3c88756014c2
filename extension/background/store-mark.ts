import type { Db } from '../../src/world/storage/db.ts';
import { STORAGE_KEYS } from '../shared/settings.ts';

/**
 * The extension's IndexedDB (grace states, the outbox of usage reports) can be evicted under storage pressure
 * (before `unlimitedStorage` applied, or if the browser clears it). chrome.storage.local, which is not evicted,
 * keeps a mark of what the database held after each check; a database found empty while the mark says it held
 * sites was lost, and the loss is recorded and shown, with the usage reports that were still waiting.
 */
export interface StoreMark {
  sites: number;
  waiting: number;
  at: number;
  /** A random id kept in the database's meta store too: a database without it is not the one marked. */
  storeId?: string;
}

const STORE_ID = 'store-id';

export interface Eviction {
  /** When the loss was found. */
  at: number;
  /** Usage reports that were waiting to be delivered when the database was last seen whole. */
  lostReports: number;
  /** When the database was last seen whole. */
  lastSeenWhole: number;
}

const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
const isMark = (x: unknown): x is StoreMark =>
  !!x && typeof x === 'object' && isCount((x as StoreMark).sites) && isCount((x as StoreMark).waiting);
const isEviction = (x: unknown): x is Eviction =>
  !!x && typeof x === 'object' && isCount((x as Eviction).lostReports) && Number.isFinite((x as Eviction).at);

/**
 * Compares the database with the mark left after the last check, and records a loss found: a database that
 * lacks the id the mark names is not the one that was marked. Called before a check, and after it with
 * `update`, which then leaves the new mark (so a loss during a check is seen too, not taken as the new normal).
 */
export async function checkStoreMark(db: Db, now: number, update = false): Promise<Eviction | null> {
  const got = await chrome.storage.local.get([STORAGE_KEYS.storeMark, STORAGE_KEYS.eviction]);
  const mark = got[STORAGE_KEYS.storeMark];
  const id = await db.get('meta', STORE_ID);
  let found: Eviction | null = null;
  if (isMark(mark) && mark.storeId && id !== mark.storeId) {
    found = { at: now, lostReports: mark.waiting, lastSeenWhole: mark.at };
    await chrome.storage.local.set({ [STORAGE_KEYS.eviction]: found });
  }
  if (found || update) {
    const outbox = await db.getAll('outbox');
    const next: StoreMark = {
      sites: await db.count('sites'),
      waiting: outbox.filter((r) => !r.refused).length,
      at: now,
      storeId: await ensureId(db),
    };
    await chrome.storage.local.set({ [STORAGE_KEYS.storeMark]: next });
  }
  const known = got[STORAGE_KEYS.eviction];
  return found ?? (isEviction(known) ? known : null);
}

async function ensureId(db: Db): Promise<string> {
  const tx = db.transaction('meta', 'readwrite');
  const known = await tx.store.get(STORE_ID);
  const id = typeof known === 'string' ? known : crypto.randomUUID();
  if (known !== id) await tx.store.put(id, STORE_ID);
  await tx.done;
  return id;
}

/** What the popup says of a loss (shown for a week after it was found). */
export function evictionText(e: Eviction | null, now: number): string | null {
  if (!e || now - e.at > 7 * 24 * 3_600_000) return null;
  const lost = e.lostReports
    ? `${e.lostReports} usage report${e.lostReports === 1 ? '' : 's'} waiting to be delivered were lost with it; export usage for manual billing to cover that time.`
    : 'No usage report was waiting to be delivered.';
  return `The extension's stored billing state was cleared by the browser (found ${new Date(e.at).toISOString().slice(0, 16).replace('T', ' ')} UTC; last seen whole ${new Date(e.lastSeenWhole).toISOString().slice(0, 16).replace('T', ' ')} UTC). ${lost}`;
}

export async function readEviction(): Promise<Eviction | null> {
  const got = await chrome.storage.local.get(STORAGE_KEYS.eviction);
  const e = got[STORAGE_KEYS.eviction];
  return isEviction(e) ? e : null;
}
