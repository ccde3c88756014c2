import { DAY, type Parsed } from '../core/index.ts';
import { toCsvPieces } from './csv.ts';
import {
  CHUNK,
  dailyPeaksChunked,
  dayKey,
  yieldToEventLoop,
  type DailyRow,
  type UsageSnapshotRecord,
} from './daily.ts';

export const EXPORT_FORMAT = 'zerto-billing-usage-export';
export const MAX_RANGE_DAYS = 400;

export interface ExportRange {
  from: number;
  to: number;
}

export type ExportFormat = 'csv' | 'json';

/**
 * Reads a date range typed by a person (YYYY-MM-DD, whole UTC days, both ends included), with a message that
 * says what is wrong: not a date, from after to, in the future, or longer than the history kept. A range that
 * runs past today ends today: days that have not happened yet would read as gaps in the usage.
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
  const endOfToday = Math.floor(now / DAY) * DAY + DAY - 1;
  return { ok: true, value: { from: from.value, to: Math.min(to.value + DAY - 1, endOfToday) } };
}

export type FileNameInput =
  | { sites: readonly string[] | 'all'; from: number; to: number; format: ExportFormat }
  | { siteNames: readonly string[]; allSites: boolean; range: ExportRange; format: ExportFormat };

/**
 * `zerto-usage_amsterdam-dr_2026-11-01_2026-11-30.csv`: one site by its name (sanitised for any file system),
 * several as `3-sites`, all as `all-sites`.
 */
export function exportFileName(o: FileNameInput): string {
  const names = 'sites' in o ? (o.sites === 'all' ? null : o.sites) : o.allSites ? null : o.siteNames;
  const { from, to } = 'range' in o ? o.range : o;
  const slug = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .toLowerCase()
      .replace(/[\s_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'site';
  const who = names === null ? 'all-sites' : names.length === 1 ? slug(names[0]!) : `${names.length}-sites`;
  return `zerto-usage_${who}_${dayKey(from)}_${dayKey(to)}.${o.format}`;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface JsonMeta {
  range: ExportRange;
  /** When the file was made (epoch ms). */
  now: number;
  /** Reports the billing server refused and the sender set aside, by report id: why, and when. */
  setAside?: ReadonlyMap<string, { at: number; reason: string }>;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/**
 * The JSON export in pieces (pausing every CHUNK rows or reports): the daily rows, and every snapshot of the
 * range with whether the billing server acknowledged it, so a reconciliation can go down to the report.
 * One row or report per line keeps a large file readable and diffable.
 */
export async function toJsonPieces(
  rows: readonly DailyRow[],
  snapshots: readonly UsageSnapshotRecord[],
  meta: JsonMeta,
  onPiece: (text: string) => void,
): Promise<void> {
  const sites = [...new Map(rows.map((r) => [r.siteId, r.siteName])).entries()].map(([id, name]) => ({
    id,
    name,
  }));
  const s = JSON.stringify;
  let piece =
    `{\n  "format": ${s(EXPORT_FORMAT)},\n  "version": 1,\n  "generatedAt": ${s(iso(meta.now))},\n` +
    `  "range": ${s({ from: iso(meta.range.from), to: iso(meta.range.to) })},\n` +
    `  "sites": [${sites.map((x) => `\n    ${s(x)}`).join(',')}${sites.length ? '\n  ' : ''}],\n  "days": [`;
  const flush = async () => {
    onPiece(piece);
    piece = '';
    await yieldToEventLoop();
  };
  for (let i = 0; i < rows.length; i++) {
    piece += `${i ? ',' : ''}\n    ${s(rows[i])}`;
    if (i % CHUNK === CHUNK - 1) await flush();
  }
  piece += `${rows.length ? '\n  ' : ''}],\n  "reports": [`;
  let n = 0;
  for (let i = 0; i < snapshots.length; i++) {
    const r = snapshots[i]!;
    if (!(r.at >= meta.range.from && r.at <= meta.range.to)) continue;
    const report = {
      siteId: r.siteId,
      siteName: r.siteName,
      collectedAt: iso(r.at),
      protectedVms: r.protectedVms,
      licenseType: r.licenseType,
      reportId: r.reportId,
      acknowledged: r.acknowledgedAt !== null,
      acknowledgedAt: iso(r.acknowledgedAt),
      ...setAsideOf(meta, r.reportId),
    };
    piece += `${n++ ? ',' : ''}\n    ${s(report)}`;
    if (n % CHUNK === 0) await flush();
  }
  piece += `${n ? '\n  ' : ''}]\n}\n`;
  onPiece(piece);
}

/** A set-aside report's refusal, for its line in the JSON export. */
function setAsideOf(
  meta: JsonMeta,
  reportId: string | null,
): { setAside?: { refusedAt: string | null; reason: string } } {
  const x = reportId === null ? undefined : meta.setAside?.get(reportId);
  return x ? { setAside: { refusedAt: iso(x.at), reason: x.reason } } : {};
}

/** The JSON export as one text: `{ format, version, generatedAt, range, sites, days, reports }`. */
export async function toJson(
  rows: readonly DailyRow[],
  snapshots: readonly UsageSnapshotRecord[],
  meta: JsonMeta,
): Promise<string> {
  const pieces: string[] = [];
  await toJsonPieces(rows, snapshots, meta, (p) => pieces.push(p));
  return pieces.join('');
}

export interface ExportFile {
  fileName: string;
  mimeType: string;
  /** The file's bytes (UTF-8), exactly what the checksum is of. */
  bytes: Uint8Array;
  /** The same as text (decoded when first read: a large export is not kept twice). */
  readonly text: string;
  sha256: string;
  /** `<sha256>  <file name>`, the format `sha256sum -c` reads. */
  checksumLine: string;
  rows: number;
  /** Site-days with usage the billing server never (or only partly) acknowledged. */
  unsentDays: number;
}

export interface ExportInput {
  /** Snapshots oldest first (as readUsage gives them); ones outside the range are left out. */
  snapshots: readonly UsageSnapshotRecord[];
  range: ExportRange;
  format: ExportFormat;
  /** Names the file `all-sites` (else after `siteNames`). */
  allSites: boolean;
  siteNames: string[];
  /** Sites that get rows even without a snapshot in the range (their days show as no-data). */
  sites?: ReadonlyArray<{ id: string; name: string }>;
  /** The operator-facing name of each site, by id, for the `site_name` column (see `DailyOptions.names`). */
  names?: ReadonlyMap<string, string>;
  now: number;
  /** Reports refused and set aside, by report id (shown with their usage in the JSON export). */
  setAside?: ReadonlyMap<string, { at: number; reason: string }>;
}

/**
 * Builds the export file from plain arrays (no DOM, no storage: a page, a worker or the extension can run
 * it). Every step pauses for a macrotask every CHUNK rows, and the text is encoded piece by piece, so that
 * 400 days of 100 sites never block the main thread for long nor build one huge string.
 */
export async function buildExport(o: ExportInput): Promise<ExportFile> {
  const rows = await dailyPeaksChunked(o.snapshots, {
    from: o.range.from,
    to: o.range.to,
    ...(o.sites ? { sites: o.sites } : {}),
    ...(o.names ? { names: o.names } : {}),
  });
  const fileName = exportFileName({
    siteNames: o.siteNames,
    allSites: o.allSites,
    range: o.range,
    format: o.format,
  });
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const onPiece = (text: string) => parts.push(encoder.encode(text));
  if (o.format === 'csv') await toCsvPieces(rows, onPiece);
  else
    await toJsonPieces(
      rows,
      o.snapshots,
      { range: o.range, now: o.now, ...(o.setAside ? { setAside: o.setAside } : {}) },
      onPiece,
    );
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.byteLength;
  }
  const sha256 = await sha256Hex(bytes);
  let text: string | undefined;
  return {
    fileName,
    mimeType: o.format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json',
    bytes,
    get text() {
      return (text ??= new TextDecoder().decode(bytes));
    },
    sha256,
    checksumLine: `${sha256}  ${fileName}\n`,
    rows: rows.length,
    unsentDays: rows.filter((r) => r.status === 'unsent' || r.status === 'partially-sent').length,
  };
}
