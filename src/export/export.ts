import { DAY, type Parsed } from '../core/index.ts';
import { csvLine } from './csv.ts';
import { dailyPeaks, dayKey, type DailyRow, type UsageSnapshotRecord } from './daily.ts';

export const EXPORT_FORMAT = 'zerto-billing-usage-export';
export const MAX_RANGE_DAYS = 400;

export interface ExportRange {
  from: number;
  to: number;
}

/**
 * Reads a date range typed by a person (YYYY-MM-DD, whole UTC days, both ends included), with a message that
 * says what is wrong: not a date, from after to, in the future, or longer than the history kept.
 */
export function parseExportRange(input: { from: string; to: string }, now: number): Parsed<ExportRange> {
  const day = (label: string, text: string): Parsed<number> => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
    const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
    if (!m || !Number.isFinite(t) || dayKey(t) !== text.trim()) {
      return { ok: false, error: `${label}: "${text}" is not a date (write it as YYYY-MM-DD)` };
    }
    return { ok: true, value: t };
  };
  const from = day('from', input.from);
  if (!from.ok) return from;
  const to = day('to', input.to);
  if (!to.ok) return to;
  if (from.value > to.value) return { ok: false, error: `from (${input.from}) is after to (${input.to})` };
  if (from.value > now)
    return { ok: false, error: `from (${input.from}) is in the future: there is no usage yet` };
  const days = (to.value - from.value) / DAY + 1;
  if (days > MAX_RANGE_DAYS) {
    return {
      ok: false,
      error: `the range is ${days} days; at most ${MAX_RANGE_DAYS} days of usage are kept`,
    };
  }
  return { ok: true, value: { from: from.value, to: to.value + DAY - 1 } };
}

export function exportFileName(o: {
  siteNames: string[];
  allSites: boolean;
  range: ExportRange;
  format: 'csv' | 'json';
}): string {
  const slug = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, '-')
      .slice(0, 40) || 'site';
  const who = o.allSites
    ? 'all-sites'
    : o.siteNames.length === 1
      ? slug(o.siteNames[0]!)
      : `${o.siteNames.length}-sites`;
  return `zerto-usage_${who}_${dayKey(o.range.from)}_${dayKey(o.range.to)}.${o.format}`;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ExportFile {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
  sha256: string;
  /** `<sha256>  <file name>`, the format `sha256sum -c` reads. */
  checksumLine: string;
  rows: number;
  unsentDays: number;
}

/** Yields to the event loop every so many rows, so that a large export never blocks the page for long. */
const CHUNK = 2000;
const yieldNow = () => new Promise<void>((r) => setTimeout(r, 0));

export async function buildExport(o: {
  snapshots: readonly UsageSnapshotRecord[];
  range: ExportRange;
  format: 'csv' | 'json';
  allSites: boolean;
  siteNames: string[];
  now: number;
}): Promise<ExportFile> {
  const rows = dailyPeaks(o.snapshots, o.range);
  const fileName = exportFileName({
    siteNames: o.siteNames,
    allSites: o.allSites,
    range: o.range,
    format: o.format,
  });
  const text = o.format === 'csv' ? await csv(rows) : await json(rows, o);
  const bytes = new TextEncoder().encode(text);
  const sha256 = await sha256Hex(bytes);
  return {
    fileName,
    mimeType: o.format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json',
    bytes,
    sha256,
    checksumLine: `${sha256}  ${fileName}\n`,
    rows: rows.length,
    unsentDays: rows.filter((r) => r.status === 'unsent' || r.status === 'partially-sent').length,
  };
}

async function csv(rows: readonly DailyRow[]): Promise<string> {
  const parts = [
    csvLine(['date', 'site_id', 'site_name', 'peak_protected_vms', 'snapshots', 'acknowledged', 'status']),
  ];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    parts.push(
      csvLine([r.date, r.siteId, r.siteName, r.peakProtectedVms, r.snapshots, r.acknowledged, r.status]),
    );
    if (i % CHUNK === CHUNK - 1) await yieldNow();
  }
  return parts.join('');
}

async function json(
  rows: readonly DailyRow[],
  o: { snapshots: readonly UsageSnapshotRecord[]; range: ExportRange; now: number },
): Promise<string> {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const reports = [];
  for (let i = 0; i < o.snapshots.length; i++) {
    const s = o.snapshots[i]!;
    if (s.at < o.range.from || s.at > o.range.to) continue;
    reports.push({
      siteId: s.siteId,
      siteName: s.siteName,
      collectedAt: iso(s.at),
      protectedVms: s.protectedVms,
      licenseType: s.licenseType,
      reportId: s.reportId,
      acknowledged: s.acknowledgedAt !== null,
      acknowledgedAt: iso(s.acknowledgedAt),
    });
    if (i % CHUNK === CHUNK - 1) await yieldNow();
  }
  const sites = [...new Map(rows.map((r) => [r.siteId, r.siteName])).entries()].map(([id, name]) => ({
    id,
    name,
  }));
  return `${JSON.stringify(
    {
      format: EXPORT_FORMAT,
      version: 1,
      generatedAt: iso(o.now),
      range: { from: iso(o.range.from), to: iso(o.range.to) },
      sites,
      days: rows,
      reports,
    },
    null,
    2,
  )}\n`;
}
