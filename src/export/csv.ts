import { CHUNK, yieldToEventLoop, type DailyRow } from './daily.ts';

/**
 * RFC 4180 CSV: fields with a comma, a quote, CR or LF are quoted and quotes doubled; lines end in CRLF. A text
 * cell that begins with =, +, -, @, tab or carriage return (or their full-width forms, which some spreadsheets
 * also read as formulas) is prefixed with a single quote so that no spreadsheet runs it as a formula. Numbers
 * are written as numbers and left alone.
 */
export type Cell = string | number | null;

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const CSV_COLUMNS = [
  'date',
  'site_id',
  'site_name',
  'peak_protected_vms',
  'snapshots',
  'acknowledged',
  'status',
] as const;

/**
 * The daily rows as CSV text, a header row first, in pieces of CHUNK lines (pausing between them); `onPiece`
 * takes each piece as it is made (the export encodes them one by one, so no single huge string is built).
 */
export async function toCsvPieces(rows: readonly DailyRow[], onPiece: (text: string) => void): Promise<void> {
  let piece = csvLine(CSV_COLUMNS);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    piece += csvLine([
      r.date,
      r.siteId,
      r.siteName,
      r.peakProtectedVms,
      r.snapshots,
      r.acknowledged,
      r.status,
    ]);
    if (i % CHUNK === CHUNK - 1) {
      onPiece(piece);
      piece = '';
      await yieldToEventLoop();
    }
  }
  if (piece) onPiece(piece);
}

/** The daily rows as one RFC 4180 CSV text (dates are ISO 8601 UTC days). */
export async function toCsv(rows: readonly DailyRow[]): Promise<string> {
  const pieces: string[] = [];
  await toCsvPieces(rows, (p) => pieces.push(p));
  return pieces.join('');
}
