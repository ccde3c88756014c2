/**
 * RFC 4180 CSV: fields with a comma, a quote, CR or LF are quoted and quotes doubled; lines end in CRLF. A text
 * cell that begins with =, +, -, @, tab or carriage return is prefixed with a single quote so that no
 * spreadsheet runs it as a formula (numbers are written as numbers and left alone).
 */
export type Cell = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
