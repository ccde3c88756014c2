// One site's stored state read at page load in raw IndexedDB (no idb, no zod), for the first paint only: the
// shared worker's validated copy follows within moments. It never creates or upgrades the database and never
// holds it open; a record that fails `isGraceState` is left for the worker to quarantine and report.
import { isGraceState } from '../../core/guard.ts';
import type { GraceState } from '../../core/schemas.ts';
import { storageConfig } from './config.ts';

export function peekState(siteId: string): Promise<GraceState | null> {
  return new Promise((resolve) => {
    let req: IDBOpenDBRequest;
    try {
      req = indexedDB.open(storageConfig.dbName);
    } catch {
      return resolve(null);
    }
    // No database yet: leave its creation to the code that knows its stores (the open then fails, quietly).
    req.onupgradeneeded = () => req.transaction?.abort();
    req.onerror = (e) => {
      e.preventDefault();
      resolve(null);
    };
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => db.close();
      try {
        const get = db.transaction('sites').objectStore('sites').get(siteId);
        get.onsuccess = () => resolve(isGraceState(get.result) ? get.result : null);
        get.onerror = (e) => {
          e.preventDefault();
          resolve(null);
        };
      } catch {
        resolve(null); // an older database without the store
      } finally {
        db.close(); // once the read is done
      }
    };
  });
}
