// Nagios plugin output as a monitor reads it, written from the Nagios plugin development guidelines
// (https://nagios-plugins.org/doc/guidelines.html, "Threshold and ranges" and "Performance data"), so that the
// check's perfdata is held to the grammar that graphing and threshold tools apply, not to our own reading.

/**
 * A threshold range: `[@]start:end`. `start` defaults to 0 and may be `~` (negative infinity); `end` after a
 * `:` may be left out (positive infinity); with no `:`, the number is `end` and `start` is 0. The range alerts
 * when the value is outside [start, end] (both ends inclusive), or, with a leading `@`, inside it.
 */
export interface NagiosRange {
  start: number;
  end: number;
  /** `@`: alert when inside. */
  inside: boolean;
}

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)`;
const RANGE = new RegExp(`^(@)?(?:(~|${NUMBER})?(:))?(${NUMBER})?$`);

export function parseRange(text: string): NagiosRange {
  const m = RANGE.exec(text);
  if (!m || text === '' || text === '@') throw new Error(`not a Nagios range: ${JSON.stringify(text)}`);
  const [, at, startText, colon, endText] = m;
  if (!colon && endText === undefined) throw new Error(`not a Nagios range: ${JSON.stringify(text)}`);
  const start = startText === '~' ? -Infinity : startText === undefined ? 0 : Number(startText);
  const end = endText === undefined ? Infinity : Number(endText);
  if (start > end) throw new Error(`range ${text}: start ${start} is above end ${end}`);
  return { start, end, inside: at === '@' };
}

/** True when `value` raises an alert against the range. */
export function alerts(range: NagiosRange, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}

/** One `'label'=value[UOM];[warn];[crit];[min];[max]` item. */
export interface PerfItem {
  label: string;
  /** null for `U` (the value could not be determined). */
  value: number | null;
  uom: string;
  warn: NagiosRange | null;
  crit: NagiosRange | null;
  min: number | null;
  max: number | null;
}

const UOMS = ['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'TB', 'c'];

/** The perfdata after the first `|` of a plugin's first line, every item held to the grammar. */
export function parsePerfdata(line: string): PerfItem[] {
  const bar = line.indexOf('|');
  if (bar < 0) throw new Error(`no perfdata in ${line}`);
  if (line.indexOf('|', bar + 1) >= 0) throw new Error(`a second | in ${line}`);
  const items: PerfItem[] = [];
  for (const raw of line
    .slice(bar + 1)
    .trim()
    .split(/\s+/)) {
    const m = new RegExp(
      `^('[^'=]+'|[^'= ]+)=(U|${NUMBER})([a-zA-Z%]*)(?:;([^;]*))?(?:;([^;]*))?(?:;(${NUMBER})?)?(?:;(${NUMBER})?)?$`,
    ).exec(raw);
    if (!m) throw new Error(`perfdata item ${raw} does not follow the grammar`);
    const [, label, value, uom, warn, crit, min, max] = m;
    if (!UOMS.includes(uom!))
      throw new Error(`perfdata item ${raw}: unit ${uom} is not one of the guidelines'`);
    items.push({
      label: label!.replace(/^'|'$/g, ''),
      value: value === 'U' ? null : Number(value),
      uom: uom!,
      warn: warn ? parseRange(warn) : null,
      crit: crit ? parseRange(crit) : null,
      min: min === undefined ? null : Number(min),
      max: max === undefined ? null : Number(max),
    });
  }
  return items;
}

/**
 * The exit code the perfdata implies, as a threshold tool reads it: 2 when a value is outside its critical
 * range, else 1 when one is outside its warning range, else 0.
 */
export function perfState(items: readonly PerfItem[]): 0 | 1 | 2 {
  let state: 0 | 1 | 2 = 0;
  for (const i of items) {
    if (i.value === null) continue;
    if (i.crit && alerts(i.crit, i.value)) return 2;
    if (i.warn && alerts(i.warn, i.value)) state = 1;
  }
  return state;
}

/** The labels the check writes, in every state. */
export const CHECK_LABELS = [
  'billing_alerts',
  'vra_disconnected',
  'days_left',
  'seconds_left',
  'unknown_alert_ids',
] as const;

/**
 * A check's line held to the guidelines: one line; for OK, WARNING and CRITICAL, the same labels and values
 * inside or outside their ranges as its exit code says. The values by label.
 */
export function holdsToExit(line: string, code: number | null): Map<string, number | null> {
  if (line.trim().split('\n').length !== 1) throw new Error(`more than one line: ${line}`);
  const items = parsePerfdata(line);
  const labels = items.map((i) => i.label).join(',');
  if (labels !== CHECK_LABELS.join(','))
    throw new Error(`labels ${labels}, not ${CHECK_LABELS.join(',')}: ${line}`);
  const implied = perfState(items);
  if (implied !== code) throw new Error(`the perfdata says ${implied}, the exit code ${code}: ${line}`);
  return new Map(items.map((i) => [i.label, i.value]));
}
