import { CHUNK, yieldToEventLoop, type DailyRow } from './daily.ts';

/** A CSV cell: text (site names, ids, dates, statuses), a number written as a number, or empty. */
export type Cell = string | number | null;

/** Skipped before looking for a formula sign: what a spreadsheet may trim or not show. */
const LEADING_INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]+/u;
const FORMULA_SIGN = /^[=+\-@\u2212]/;

/** Whether a spreadsheet could read this text as a formula (the rule is on csvCell). */
function isFormulaLike(text: string): boolean {
  const c = text.charCodeAt(0);
  // Fast path for the usual cell: printable ASCII other than a space.
  if (c > 0x20 && c < 0x7f) return c === 0x3d || c === 0x2b || c === 0x2d || c === 0x40; // = + - @
  if (c === 0x09 || c === 0x0a || c === 0x0d) return true;
  const first = text.replace(LEADING_INVISIBLE, '').codePointAt(0);
  return first !== undefined && FORMULA_SIGN.test(String.fromCodePoint(first).normalize('NFKC'));
}

/** The text as written in its cell before RFC 4180 quoting: a `'` prefix on formula-like text and on `'…`. */
function neutraliseFormula(text: string): string {
  return text.charCodeAt(0) === 0x27 || isFormulaLike(text) ? `'${text}` : text;
}

/**
 * RFC 4180 CSV: fields with a comma, a quote, CR or LF are quoted and quotes doubled; lines end in CRLF.
 *
 * Formula cells: a text cell is neutralised by prefixing one single quote (`'`) when a spreadsheet could read
 * it as a formula, that is when
 * - it starts with a tab, a carriage return or a line feed, or
 * - its first character, once every leading white space (any `\p{White_Space}`: space, NBSP, U+3000, …),
 *   control, format or default-ignorable character (U+200B, U+2060, the BOM U+FEFF, …) is skipped, is `=`,
 *   `+`, `-`, `@`, U+2212 MINUS SIGN, or a character whose compatibility form (NFKC) begins with one of them:
 *   the full-width forms U+FF1D, U+FF0B, U+FF0D, U+FF20, the small forms U+FE66, U+FE62, U+FE63, U+FE6B, the
 *   superscript and subscript signs, and the like.
 * A text cell that already starts with `'` gets one more `'` too, so the prefix is unambiguous: `'=1+1` is
 * written `''=1+1` and `=1+1` is written `'=1+1`. To read the original text back, drop one leading `'` from
 * every cell that starts with one. Numbers are written as numbers and never prefixed (a negative count stays
 * `-5`); the dates and statuses the export writes itself never start with any of these.
 */
export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = neutraliseFormula(value);
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
