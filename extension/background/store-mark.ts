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
  // One transaction reads the database's id and, when it is missing, gives it a new one: a loss between the
  // two can then not be taken for the normal state.
  const tx = db.transaction(['meta', 'sites', 'outbox'], 'readwrite');
  const meta = tx.objectStore('meta');
  const known = await meta.get(STORE_ID);
  const lost = isMark(mark) && !!mark.storeId && known !== mark.storeId;
  let next: StoreMark | null = null;
  if (lost || update) {
    const id = typeof known === 'string' ? known : crypto.randomUUID();
    if (known !== id) await meta.put(id, STORE_ID);
    const outbox = await tx.objectStore('outbox').getAll();
    next = {
      sites: await tx.objectStore('sites').count(),
      waiting: outbox.filter((r) => !r.refused).length,
      at: now,
      storeId: id,
    };
  }
  await tx.done;
  const found: Eviction | null =
    lost && isMark(mark) ? { at: now, lostReports: mark.waiting, lastSeenWhole: mark.at } : null;
  if (found || next)
    await chrome.storage.local.set({
      ...(found ? { [STORAGE_KEYS.eviction]: found } : {}),
      ...(next ? { [STORAGE_KEYS.storeMark]: next } : {}),
    });
  const recorded = got[STORAGE_KEYS.eviction];
  return found ?? (isEviction(recorded) ? recorded : null);
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
