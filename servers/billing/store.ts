/**
 * The billing receiver's durable store: one JSON line per accepted report in `<dataDir>/reports.jsonl`,
 * written and fsync'd before the report is acknowledged, re-read on start. Reports are also kept in memory,
 * keyed by report id, for de-duplication and listing.
 */
import { mkdir, open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod/mini';
import { UsageReportSchema, type UsageReport } from './protocol.ts';

export const STORE_FILE = 'reports.jsonl';
/** The version of one stored line, so that the line format can change without misreading old files. */
const LINE_VERSION = 1;

const LineSchema = z.object({
  v: z.literal(LINE_VERSION),
  receivedAt: z.iso.datetime(),
  report: UsageReportSchema,
});

export interface StoredReport {
  report: UsageReport;
  /** When this receiver first accepted the report (ISO-8601 UTC). */
  receivedAt: string;
}

export type PutResult =
  | { kind: 'accepted'; stored: StoredReport }
  | { kind: 'duplicate'; stored: StoredReport }
  | { kind: 'conflict'; stored: StoredReport }
  /** Its period overlaps the period of a report this site already has (the period rule). */
  | { kind: 'overlap'; stored: StoredReport };

export class ReportStore {
  private readonly reports = new Map<string, StoredReport>();
  /** Each site's reports, ordered by the start of their period, for the period rule. */
  private readonly periods = new Map<string, Period[]>();
  /** Every write goes through this chain, so lines never interleave and a check-then-write is atomic. */
  private queue: Promise<unknown> = Promise.resolve();
  private size = 0;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly warnings: readonly string[],
  ) {}

  /** Opens (creating the folder and file if needed) and loads what an earlier run stored. */
  static async open(dataDir: string, warn: (message: string) => void): Promise<ReportStore> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, STORE_FILE);
    const warnings: string[] = [];
    const note = (message: string) => {
      warnings.push(message);
      warn(message);
    };
    const loaded = await load(file, note);
    const handle = await open(file, 'a');
    // A new file's directory entry must reach the disk too, or a crash could lose the whole file.
    if (loaded.created) await syncDir(dataDir);
    const store = new ReportStore(file, handle, warnings);
    store.size = loaded.size;
    for (const s of loaded.reports) store.remember(s);
    return store;
  }

  get count(): number {
    return this.reports.size;
  }

  get(reportId: string): StoredReport | undefined {
    return this.reports.get(reportId);
  }

  /** Reports in the order received, optionally for one site and received at or after `since` (epoch ms). */
  list(filter: { siteId?: string; since?: number } = {}): StoredReport[] {
    const out: StoredReport[] = [];
    for (const s of this.reports.values()) {
      if (filter.siteId !== undefined && s.report.site.id !== filter.siteId) continue;
      if (filter.since !== undefined && Date.parse(s.receivedAt) < filter.since) continue;
      out.push(s);
    }
    return out;
  }

  /**
   * Stores a new report durably, or reports that it was seen before. Only resolves `accepted` once the line
   * is on disk: an acknowledgement the receiver cannot keep would make the sender drop usage.
   */
  put(report: UsageReport, receivedAt: Date): Promise<PutResult> {
    return this.serial(async () => {
      const seen = this.reports.get(report.reportId);
      if (seen) {
        const same = JSON.stringify(seen.report) === JSON.stringify(report);
        return { kind: same ? 'duplicate' : 'conflict', stored: seen };
      }
      const clash = this.overlapping(report);
      if (clash) return { kind: 'overlap', stored: clash };
      const stored: StoredReport = { report, receivedAt: receivedAt.toISOString() };
      const line = `${JSON.stringify({ v: LINE_VERSION, receivedAt: stored.receivedAt, report })}\n`;
      try {
        await this.handle.write(line);
        await this.handle.sync();
      } catch (e) {
        // Cut off any partial line, or the next append would be glued onto it and both would be lost.
        await this.handle.truncate(this.size).catch(() => undefined);
        throw e;
      }
      this.size += Buffer.byteLength(line);
      this.remember(stored);
      return { kind: 'accepted', stored };
    });
  }

  /**
   * Stores a batch in one write and one fsync (a group commit), each report judged as `put` would judge it
   * alone, in order, the batch's own earlier reports included. Resolves once every accepted line is on disk.
   */
  putMany(reports: readonly UsageReport[], receivedAt: Date): Promise<PutResult[]> {
    return this.serial(async () => {
      const results: PutResult[] = [];
      const accepted: StoredReport[] = [];
      const lines: string[] = [];
      const at = receivedAt.toISOString();
      for (const report of reports) {
        const seen = this.reports.get(report.reportId);
        if (seen) {
          const same = JSON.stringify(seen.report) === JSON.stringify(report);
          results.push({ kind: same ? 'duplicate' : 'conflict', stored: seen });
          continue;
        }
        const clash = this.overlapping(report);
        if (clash) {
          results.push({ kind: 'overlap', stored: clash });
          continue;
        }
        const stored: StoredReport = { report, receivedAt: at };
        // Known at once, so that the batch's later reports are judged against it; forgotten if the write fails.
        this.remember(stored);
        accepted.push(stored);
        lines.push(`${JSON.stringify({ v: LINE_VERSION, receivedAt: at, report })}\n`);
        results.push({ kind: 'accepted', stored });
      }
      if (lines.length) {
        const chunk = lines.join('');
        try {
          await this.handle.write(chunk);
          await this.handle.sync();
        } catch (e) {
          for (const stored of accepted) this.forget(stored);
          await this.handle.truncate(this.size).catch(() => undefined);
          throw e;
        }
        this.size += Buffer.byteLength(chunk);
      }
      return results;
    });
  }

  /** Forgets every report, on disk too (for tests and the demo). Returns how many were forgotten. */
  clear(): Promise<number> {
    return this.serial(async () => {
      const n = this.reports.size;
      await this.handle.truncate(0);
      await this.handle.sync();
      this.size = 0;
      this.reports.clear();
      this.periods.clear();
      return n;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.handle.close();
  }

  private remember(s: StoredReport): void {
    this.reports.set(s.report.reportId, s);
    const list = this.periods.get(s.report.site.id) ?? [];
    const p = periodOf(s);
    list.splice(firstAfter(list, p.from), 0, p);
    this.periods.set(s.report.site.id, list);
  }

  /** The site's report whose period ends last (periods never overlap, so the one that starts last). */
  lastOf(siteId: string): StoredReport | undefined {
    const list = this.periods.get(siteId);
    return list?.[list.length - 1]?.stored;
  }

  private forget(s: StoredReport): void {
    this.reports.delete(s.report.reportId);
    const list = this.periods.get(s.report.site.id);
    const i = list?.findIndex((p) => p.stored === s) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  /** A report of the same site whose period overlaps this one's, if any (its neighbours by start). */
  private overlapping(report: UsageReport): StoredReport | undefined {
    const list = this.periods.get(report.site.id);
    if (!list?.length) return undefined;
    const from = Date.parse(report.period.from);
    const to = Date.parse(report.period.to);
    // The one starting at or before it, and those starting before its end.
    for (let j = Math.max(0, firstAfter(list, from) - 1); j < list.length; j++) {
      const other = list[j]!;
      if (other.from >= to) break;
      if (other.from < to && from < other.to) return other.stored;
    }
    return undefined;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the report store is closed'));
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function load(
  file: string,
  warn: (message: string) => void,
): Promise<{ reports: StoredReport[]; size: number; created: boolean }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { reports: [], size: 0, created: true };
    throw e;
  }
  let size = data.length;
  // A last line without its newline is a write cut short by a crash. Its 201 was never sent (the answer
  // waits for fsync), so nothing acknowledged is lost by cutting it off, and the next append starts clean.
  if (size > 0 && data[size - 1] !== 0x0a) {
    const end = data.lastIndexOf(0x0a) + 1;
    warn(
      `${file}: the last line is incomplete (${size - end} bytes, probably a write cut short by a crash); ` +
        'it was never acknowledged and has been cut off',
    );
    await truncate(file, end);
    data = data.subarray(0, end);
    size = end;
  }
  const reports: StoredReport[] = [];
  const ids = new Set<string>();
  const lines = data.toString('utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      warn(`${file}:${i + 1}: not valid JSON; line skipped`);
      return;
    }
    const result = LineSchema.safeParse(parsed);
    if (!result.success) {
      const first = result.error.issues[0];
      const where = first ? first.path.join('.') || 'line' : 'line';
      warn(
        `${file}:${i + 1}: not a stored report (${where}: ${first?.message ?? 'bad shape'}); line skipped`,
      );
      return;
    }
    const { report, receivedAt } = result.data;
    // The store never writes an id twice; if a file was edited by hand, the first receipt wins.
    if (ids.has(report.reportId)) {
      warn(`${file}:${i + 1}: report ${report.reportId} appears again; the first one is kept`);
      return;
    }
    ids.add(report.reportId);
    reports.push({ report, receivedAt });
  });
  return { reports, size, created: false };
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is still synced on every write.
  }
}

/** The index of the first report starting after `from` (binary search over a list ordered by start). */
function firstAfter(list: readonly Period[], from: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.from <= from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A stored report's period as numbers, kept in each site's list ordered by start. */
interface Period {
  from: number;
  to: number;
  stored: StoredReport;
}

const periodOf = (stored: StoredReport): Period => ({
  from: Date.parse(stored.report.period.from),
  to: Date.parse(stored.report.period.to),
  stored,
});
