import type { FailureReason } from '../schemas.ts';

/**
 * The words of a transmission test and of a failure: the steps, the cause (once, in words) and what to check,
 * fitted to the address that failed (an IP literal has no DNS to blame; a port the browser refuses is named).
 * Shown by `<zerto-usage-test>`, the extension's popup and, for the cause, every surface through `reasonText`.
 */

/** The steps of a transmission, in order. */
export type StepName = 'collect' | 'reach' | 'ack';
export type StepStatus = 'running' | 'done' | 'failed' | 'skipped';
export const STEP_ORDER: readonly StepName[] = ['collect', 'reach', 'ack'];

export const STEP_LABELS: Readonly<Record<StepName, string>> = {
  collect: 'Usage collected',
  reach: 'Billing server reached',
  ack: 'Usage acknowledged',
};

/** A step's status as a screen reader says it (the mark beside it is hidden from assistive technology). */
export const STEP_STATUS_WORDS: Readonly<Record<StepStatus, string>> = {
  running: 'in progress',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
};

/** What a step found, in words: the usage counted, the report acknowledged, else what the step said. */
export function stepDetailText(s: {
  id: StepName;
  status: StepStatus;
  detail?: string;
  usage?: { protectedVms: number; licenseType?: string | null };
  reportId?: string;
  reason?: FailureReason;
}): string {
  if (s.id === 'collect' && s.usage)
    return `${s.usage.protectedVms} protected VMs${s.usage.licenseType ? `, ${s.usage.licenseType} license` : ''}`;
  if (s.id === 'ack' && s.reportId) return `report ${s.reportId}`;
  // A failed step's cause is said once, in the failure below it; not again beside the step.
  if (s.status === 'failed' && s.reason && s.detail === s.reason.detail) return '';
  return durationsInWords(s.detail ?? '');
}

export const TEST_TITLE = 'Test usage transmission to Zerto';
export const FAILED_AT = 'Failed at';
export const THE_TRANSMISSION = 'the transmission';
export const CAUSE = 'Cause';
export const CHECK_THAT = 'Check that:';
export const CLOCK_CHECK = 'the clock of this computer and of the ZVM are correct';
export const TECHNICAL_DETAIL = 'Technical detail';
export const closeLabel = (running: boolean): string => (running ? 'Close (the test goes on)' : 'Close');

/**
 * A length of time in the unit it was most likely given in: `3s` is "3 s" (not "3000 ms"), `2m` is "2 min",
 * `1.5s` is "1.5 s", `250ms` is "250 ms".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  const a = Math.abs(ms);
  if (a >= 60_000 && a % 60_000 === 0) return `${ms / 60_000} min`;
  if (a >= 1000 && a % 100 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** Every "3000 ms" in a text written as the operator set it ("3 s"). */
export const durationsInWords = (text: string): string =>
  text.replace(/\b(\d+) ms\b/g, (_, n: string) => formatDuration(Number(n)));

/**
 * What is technical in a failure's detail: exception names, browser error codes, schema paths and the
 * validator's messages. Shown apart (a secondary detail, the console), never as the cause.
 */
const TECHNICAL =
  /\b\w*Error\b|DOMException|net::|\bERR_[A-Z_]+|Failed to fetch|Load failed|Invalid input|Unexpected token|^[\w ]*\w\.\w[\w.[\]]*$/;

/** A failure's detail split at the first technical part: the words before it, and the technical rest. */
export function splitDetail(detail: string | undefined): { words: string; technical: string } {
  if (!detail) return { words: '', technical: '' };
  const parts = detail.split(': ');
  const i = parts.findIndex((p) => TECHNICAL.test(p));
  if (i < 0) return { words: durationsInWords(detail), technical: '' };
  return { words: durationsInWords(parts.slice(0, i).join(': ')), technical: parts.slice(i).join(': ') };
}

const REASON_WORDS: Readonly<Record<FailureReason['kind'], (r: FailureReason) => string>> = {
  auth: (r) => `the credentials were refused (HTTP ${r.status ?? 401})`,
  cors: () => "the browser refused the answer: the server does not allow this page's origin (CORS)",
  timeout: () => 'no answer in time',
  network: () => 'the server could not be reached',
  proxy: () => 'the proxy server failed',
  http: (r) => `the server answered HTTP ${r.status ?? '?'}`,
  'bad-answer': () => 'the answer was not what the API returns',
  rejected: () => 'the usage was not accepted',
  misconfigured: () => 'the settings cannot work',
  unobservable: () => 'this mode cannot observe usage transmissions',
};

const wordsOf = (s: string): string[] => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/**
 * What went wrong, once, in the operator's words: the kind of failure, then the detail's words when they add
 * something (no exception names, no schema paths, no repeat of the same words).
 */
export function reasonText(r: FailureReason): string {
  const { words } = splitDetail(r.detail);
  if (r.kind === 'unobservable' && words) return words;
  const base = REASON_WORDS[r.kind](r);
  const known = new Set(wordsOf(base));
  const adds = words && !wordsOf(words).every((w) => known.has(w));
  return adds ? `${base}: ${words}` : base;
}

/** The cause as a sentence's start (the test's failure, the popup's last attempt). */
export const causeText = (r: FailureReason): string => {
  const t = reasonText(r);
  return t.charAt(0).toUpperCase() + t.slice(1);
};

/** The technical part of a failure, for a secondary detail or the console; empty when there is none. */
export const technicalText = (r: FailureReason): string => splitDetail(r.detail).technical;

/**
 * Ports browsers refuse to connect to (the Fetch standard's "bad ports"; Chromium's ERR_UNSAFE_PORT).
 * https://fetch.spec.whatwg.org/#bad-port
 */
const BAD_PORTS = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** An address as advice needs it: the host and its real port, whether it is an IP literal, a refused port. */
export interface Address {
  /** `host:port` as written in the URL (no port when it is the scheme's default). */
  host: string;
  /** The name or IP literal (`[::1]` for IPv6). */
  hostname: string;
  port: number;
  /** `HTTPS` or `HTTP`. */
  protocol: string;
  ipLiteral: boolean;
  /** A port the browser refuses to connect to (ERR_UNSAFE_PORT). */
  unsafePort: boolean;
}

/** Reads a URL, or a bare `host[:port]` (taken as HTTPS). */
export function addressOf(target: string): Address {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `https://${target}`);
  } catch {
    return {
      host: target,
      hostname: target,
      port: 443,
      protocol: 'HTTPS',
      ipLiteral: false,
      unsafePort: false,
    };
  }
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const hostname = url.hostname;
  return {
    host: url.host,
    hostname,
    port,
    protocol: secure ? 'HTTPS' : 'HTTP',
    ipLiteral: hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname),
    unsafePort: BAD_PORTS.has(port),
  };
}

/**
 * What an operator should check for a failure, fitted to the address that failed (`target`: the billing URL,
 * or its host): its real port, no DNS for an IP literal, and a port the browser refuses named as such.
 */
export function whatToCheck(reason: FailureReason, target: string): string[] {
  const a = addressOf(target);
  const firewall = `the firewall allows ${a.protocol} to ${a.hostname} on port ${a.port}`;
  switch (reason.kind) {
    case 'timeout':
      return [
        `${firewall} (a silent drop looks like this)`,
        'the proxy server, if one is used, answers',
        'the billing server status',
      ];
    case 'network':
      return [
        ...(a.unsafePort
          ? [
              `the port: browsers refuse to connect to ports such as 9, 25 and 6000 (Chromium: ERR_UNSAFE_PORT), and ${a.host} uses port ${a.port}; use another port`,
            ]
          : []),
        a.ipLiteral ? `a server listens at ${a.hostname} on port ${a.port}` : `${a.hostname} resolves in DNS`,
        firewall,
        'the proxy settings of this browser or the ZVM',
      ];
    case 'proxy':
      return [
        'the proxy address and port',
        'the proxy credentials',
        `the proxy allows ${a.hostname}:${a.port}`,
      ];
    case 'auth':
      return ['the credentials (token or session) given to the console', 'that the session has not expired'];
    case 'bad-answer':
      return [
        'a proxy or captive portal answering instead of the billing server (a login page, say)',
        'the billing URL points at the billing server',
      ];
    case 'rejected':
      return [
        `the ZVM's own connection to ${a.hostname} on port ${a.port}`,
        'the proxy configured on the ZVM',
        "the ZVM's clock (a wrong date can make the billing server refuse the usage)",
      ];
    case 'http':
      return reason.status !== undefined && reason.status >= 500
        ? [
            'the billing server status: it is failing, try again later',
            'contact Zerto support if it persists',
          ]
        : ['the billing URL', 'the usage report the server refused (see the detail)'];
    case 'misconfigured':
      return ["the element's attributes (site-id, mode, billing-url, zvm-url)"];
    case 'cors':
      return [
        `add this page's origin to the CORS allow-list (Access-Control-Allow-Origin) of ${a.host}`,
        'or serve the console from the same origin as the API (a reverse proxy)',
      ];
    case 'unobservable':
      return ['use zvm mode (the ZVM reports its own billing alerts) or direct mode to observe usage'];
  }
}

/** The manual-billing export, in the same words wherever usage exists. */
export const EXPORT_ACTION = 'Export usage for manual billing';
export const exportActionLabel = (running: boolean, allSites = false): string =>
  running ? 'Exporting usage…' : `${EXPORT_ACTION}${allSites ? ' (all sites)' : ''}`;
export const exportFailedText = (err: unknown): string =>
  `The export failed: ${err instanceof Error ? err.message : String(err)}`;
/** What an exported file holds. */
export const exportedText = (f: { rows: number; unsentDays: number }): string =>
  `${f.rows} site-days${f.unsentDays ? `, ${f.unsentDays} with usage the billing server never acknowledged` : ''}`;
export const CHECKSUM_ACTION = 'Download the checksum file';

/**
 * A day of the seven-day strip. Reachability is never a usage signal: a day where only the billing host's
 * reachability was checked is "reachable" or "not reachable", never "usage sent" nor a usage failure.
 */
export type DayResult = 'ok' | 'fail' | 'reached' | 'unreachable' | 'none';

export const DAY_WORDS: Readonly<Record<DayResult, string>> = {
  ok: 'usage sent',
  fail: 'usage not sent',
  reached: 'billing host reachable',
  unreachable: 'billing host not reachable',
  none: 'no check',
};

/** The strip's legend, in the order the strip can show them. */
export const DAY_LEGEND: readonly DayResult[] = ['ok', 'fail', 'reached', 'unreachable', 'none'];

/** One day of the strip, for its accessible name and tooltip: "Mon 2 Nov: usage sent". */
export const dayText = (day: string, d: DayResult): string => `${day}: ${DAY_WORDS[d]}`;

/** The whole strip in a sentence: how many days of each. */
export function describeStrip(strip: readonly DayResult[]): string {
  const counts = DAY_LEGEND.map((k) => [k, strip.filter((d) => d === k).length] as const).filter(
    ([, n]) => n > 0,
  );
  return `Last ${strip.length} days: ${counts.map(([k, n]) => `${n} ${DAY_WORDS[k]}`).join(', ')}`;
}
