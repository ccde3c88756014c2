import type { FailureReason } from '../core/index.ts';
import type { Db, OutboxRecord } from './storage/db.ts';

/**
 * Usage reports are written here before they are sent and removed only when the server acknowledged them:
 * a tab closed mid-send, a crash or an outage only delays a report. The server de-duplicates by report id,
 * so resending is always safe.
 */
export async function enqueue(db: Db, record: OutboxRecord): Promise<void> {
  await db.put('outbox', record);
}

export async function pendingFor(db: Db, siteId: string, limit = 100): Promise<OutboxRecord[]> {
  const range = IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity]);
  return db.getAllFromIndex('outbox', 'bySite', range, limit);
}

export async function countPending(db: Db, siteId?: string): Promise<number> {
  if (!siteId) return db.count('outbox');
  return db.countFromIndex('outbox', 'bySite', IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity]));
}

export type SendResult =
  { ok: true; reportId: string } | { ok: false; reason: FailureReason; retryable: boolean };

export interface FlushResult {
  acked: string[];
  /** The first failure that stopped the flush (the server is unreachable, say). */
  stoppedBy: FailureReason | null;
  /** Reports the server refused for good (kept, never dropped, and skipped until they change). */
  refused: Array<{ reportId: string; reason: FailureReason }>;
}

/**
 * Sends a site's queued reports oldest first. Stops at the first failure worth retrying later (no point
 * hammering a server that is down); a report refused for good stays queued with its error, and the rest go on.
 */
export async function flush(
  db: Db,
  siteId: string,
  send: (record: OutboxRecord) => Promise<SendResult>,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<FlushResult> {
  const result: FlushResult = { acked: [], stoppedBy: null, refused: [] };
  const batch = opts.batch ?? 100;
  let after = -Infinity;
  for (;;) {
    const range = IDBKeyRange.bound([siteId, after], [siteId, Infinity], true);
    const records = await db.getAllFromIndex('outbox', 'bySite', range, batch);
    if (records.length === 0) return result;
    for (const record of records) {
      if (opts.signal?.aborted) return result;
      after = record.createdAt;
      const r = await send(record);
      if (r.ok) {
        await db.delete('outbox', record.reportId);
        result.acked.push(record.reportId);
        continue;
      }
      await db.put('outbox', {
        ...record,
        attempts: record.attempts + 1,
        lastError: `${r.reason.kind}${r.reason.status ? ` ${r.reason.status}` : ''}: ${r.reason.detail ?? ''}`,
      });
      if (r.retryable) {
        result.stoppedBy = r.reason;
        return result;
      }
      result.refused.push({ reportId: record.reportId, reason: r.reason });
    }
    if (records.length < batch) return result;
  }
}

export function newReportId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
