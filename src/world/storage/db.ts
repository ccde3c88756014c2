import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { storageConfig } from './config.ts';

/**
 * One database per origin (the page's, or the extension's). Values are stored as plain objects and validated
 * on every read (see repo.ts): nothing read from here is trusted as it is.
 */
export { DB_NAME, storageConfig } from './config.ts';
export const DB_VERSION = 2;

export interface OutboxRecord {
  reportId: string;
  siteId: string;
  endpoint: string;
  body: unknown;
  createdAt: number;
  attempts: number;
  lastError: string | null;
  /**
   * Set when the receiver refused the report as invalid: it is set aside (kept, shown, exported), never resent
   * unchanged. Absent on records written before it existed.
   */
  refused?: { at: number; status: number | null; reason: string } | null;
}

export interface LogRecord {
  id?: number;
  siteId: string;
  at: number;
  ok: boolean;
  kind: string | null;
  reportId: string | null;
}

export interface QuarantineRecord {
  id?: number;
  store: string;
  key: string;
  value: unknown;
  error: string;
  at: number;
}

export interface BillingDB extends DBSchema {
  /** Grace state per site, keyed by site id. */
  sites: { key: string; value: unknown };
  /** Usage reports written before they are sent, removed only when acknowledged. */
  outbox: { key: string; value: OutboxRecord; indexes: { bySite: [string, number]; byCreated: number } };
  /** Transmission results, bounded per site. */
  log: { key: number; value: LogRecord; indexes: { bySite: [string, number] } };
  /** Every alert ever turned on, active and resolved. */
  alerts: { key: string; value: unknown; indexes: { bySite: string } };
  /** Key-value metadata (no longer holds a clock reading: each site keeps its own time frame). */
  meta: { key: string; value: unknown };
  /** Records that failed validation, set aside with the reason, never silently dropped. */
  quarantine: { key: number; value: QuarantineRecord };
  /** Every usage snapshot collected, for manual billing (bounded by age). Added in version 2. */
  usage: { key: number; value: unknown; indexes: { bySite: [string, number]; byAt: number } };
}

export type Db = IDBPDatabase<BillingDB>;
export type StoreName = StoreNames<BillingDB>;
/** A read-write transaction over some stores, for writes that must commit together (see `applyEvent`). */
export type WriteTx = IDBPTransaction<BillingDB, StoreName[], 'readwrite'>;

/** Each step upgrades one version to the next; a new version adds a step, never edits an old one. */
const upgrades: Array<(db: IDBPDatabase<BillingDB>) => void> = [
  (db) => {
    db.createObjectStore('sites');
    const outbox = db.createObjectStore('outbox', { keyPath: 'reportId' });
    outbox.createIndex('bySite', ['siteId', 'createdAt']);
    outbox.createIndex('byCreated', 'createdAt');
    const log = db.createObjectStore('log', { keyPath: 'id', autoIncrement: true });
    log.createIndex('bySite', ['siteId', 'at']);
    const alerts = db.createObjectStore('alerts');
    alerts.createIndex('bySite', 'site.id');
    db.createObjectStore('meta');
    db.createObjectStore('quarantine', { keyPath: 'id', autoIncrement: true });
  },
  (db) => {
    const usage = db.createObjectStore('usage', { keyPath: 'id', autoIncrement: true });
    usage.createIndex('bySite', ['siteId', 'at']);
    usage.createIndex('byAt', 'at');
  },
];

const opened = new Map<string, Promise<Db>>();

/** Opens (once per name and context) and upgrades the database. */
export function openBillingDb(name = storageConfig.dbName): Promise<Db> {
  let p = opened.get(name);
  if (!p) {
    p = openDB<BillingDB>(name, DB_VERSION, {
      upgrade(db, oldVersion) {
        for (let v = oldVersion; v < DB_VERSION; v++) upgrades[v]!(db);
      },
      blocking() {
        // A newer version wants to open elsewhere: let it, and reopen on next use.
        void p?.then((db) => db.close());
        opened.delete(name);
      },
      terminated() {
        opened.delete(name);
      },
    });
    opened.set(name, p);
    p.catch(() => opened.delete(name));
  }
  return p;
}

export { requestPersistence } from './persist.ts';
