// The browser extension's words for the admin who sets it up: how each site is checked, what Save is doing
// while the browser asks for access, and what an organisation's policy set. Plain data and functions, no DOM
// and no chrome.*: the options page renders them, tests pin them.

/** The ways the extension can check a site, as the admin reads them in the options page. */
export type AdminMode = 'zvm' | 'direct' | 'reachability' | 'service';

export interface ModeText {
  /** The choice in the list. */
  label: string;
  /** One or two sentences under the list: what happens, what it proves, when to pick it. */
  description: string;
}

export const MODE_TEXTS: Record<AdminMode, ModeText> = {
  zvm: {
    label: 'Ask the ZVM (recommended)',
    description:
      'The extension asks this site’s Zerto Virtual Manager to send its usage to Zerto, the same action as ' +
      '“Test usage transmission to Zerto” in the ZVM, and shows the billing alert the ZVM itself reports. ' +
      'Pick this when the ZVM can be reached from this browser: it is what Zerto bills from.',
  },
  direct: {
    label: 'Send usage from this browser',
    description:
      'The extension itself sends the site’s usage (its protected VM count) to a billing endpoint and counts ' +
      'the days left from the last report that endpoint accepted. Pick this when your own billing service ' +
      'collects usage, not the ZVM.',
  },
  reachability: {
    label: 'Only check that Zerto can be reached',
    description:
      'The extension only checks that this browser can reach the billing host. It sends no usage and cannot ' +
      'tell whether the ZVM’s usage arrived, so it never says “usage sent”. Pick this when neither of the ' +
      'others is possible.',
  },
  service: {
    label: 'Read from your fleet service',
    description:
      'The extension shows what your organisation’s fleet service reports for this site. The service asks ' +
      'the ZVM for every console and every operator, so everyone reads the same deadline, the one the ZVM ' +
      'enforces, and no ZVM credential is kept in this browser. Pick this when your organisation runs the ' +
      'fleet service: you need its address and a key it gave you.',
  },
};

// ---- `service` mode: the fleet service's state, read by the extension's worker ----

/** The options form's fields of a `service` site. */
export const SERVICE_FIELDS = {
  siteId: {
    label: 'Site id in the fleet service',
    hint: 'The id the service’s configuration gives this ZVM (its zvms list), e.g. ams-1.',
  },
  serviceUrl: {
    label: 'Fleet service address',
    hint: 'e.g. https://fleet.example.com:5180. Saving asks to allow the extension to reach it.',
  },
  apiKey: {
    label: 'Fleet service key',
    hint:
      'A key from the service’s apiKeys. A read key shows the state; “Test usage transmission” needs an ' +
      'operator key. Kept in this browser only, sent to the service only.',
  },
} as const;

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/**
 * Why the fleet service's state could not be read, for the popup: the service's host, what it answered and
 * what to do. `message` is the service's own error message, when it gave one.
 */
export function serviceProblemText(
  url: string,
  siteId: string,
  answer: { status: number; code?: string; message?: string } | { error: string },
): string {
  const host = hostOf(url);
  if ('error' in answer)
    return `The fleet service at ${host} could not be reached (${answer.error}). The last state it gave is shown.`;
  const said = answer.message ? ` (it said: ${answer.message})` : '';
  switch (answer.status) {
    case 401:
      return `The fleet service at ${host} refused this site’s key${said}. Check the key in the options.`;
    case 403:
      return answer.code === 'forbidden-origin'
        ? `The fleet service at ${host} refuses requests from this browser extension${said}.`
        : `The fleet service at ${host} refused this site’s key${said}.`;
    case 404:
      return `The fleet service at ${host} has no site ${siteId}${said}. The site id must be the id the service’s configuration gives this ZVM.`;
    default:
      return `The fleet service at ${host} answered HTTP ${answer.status}${said}. The last state it gave is shown.`;
  }
}

/** The service answered, but not with a state this extension can show. */
export const serviceInvalidText = (url: string, why: string): string =>
  `The fleet service at ${hostOf(url)} sent a state that is not valid (${why}); it is not shown.`;

/** "Test usage transmission" of a `service` site with a key that may only read. */
export const serviceReadOnlyKeyText = (url: string): string =>
  `This site’s key may only read the fleet service at ${hostOf(url)}: sending usage needs an operator key. ` +
  'Ask for one and enter it in the options, or send usage from the fleet service itself.';

/** "Test usage transmission" of a `service` site without a key stored. */
export const SERVICE_NO_KEY =
  'This site has no fleet service key in this browser: enter it in the options (sites set by your ' +
  'organisation carry no credentials).';

/** What a passed test through the service did. */
export const servicePassedDetail = (url: string): string =>
  `the fleet service at ${hostOf(url)} asked the ZVM, which sent its usage`;

export const MODE_FIELD_LABEL = 'How this site is checked';

/** Where the admin gives the extension access later, in the browser's own words. */
export const GRANT_LATER =
  'To allow it later, save this site again and choose Allow, or open this extension’s details in ' +
  'chrome://extensions and add the site under “Site access”.';

/** What Save says, step by step: never silent while the browser's permission prompt is open. */
export type SaveStatus =
  | { kind: 'waiting'; origins: string[] }
  | { kind: 'saved'; siteName: string }
  | { kind: 'declined'; siteName: string; origins: string[] }
  | { kind: 'failed'; siteName: string; reason: string };

export function saveStatusText(s: SaveStatus): string {
  switch (s.kind) {
    case 'waiting':
      return (
        'Waiting for your permission… The browser asks whether this extension may reach ' +
        `${s.origins.join(', ')}. Nothing is saved until you answer.`
      );
    case 'saved':
      return `Saved ${s.siteName}. It is checked now.`;
    case 'declined':
      return (
        `Declined: ${s.siteName} is saved, but without access to ${s.origins.join(', ')}. Until it is allowed, ` +
        'checks of those hosts can fail and the banner does not appear on those consoles. ' +
        GRANT_LATER
      );
    case 'failed':
      return `${s.siteName} was not saved: ${s.reason}`;
  }
}

/** The label of the Save button, by what it is doing. */
export const saveButtonLabel = (waiting: boolean): string =>
  waiting ? 'Waiting for your permission…' : 'Save site';

// ---- Sites deployed by the organisation (chrome.storage.managed) ----

export const MANAGED_TITLE = 'Sites set by your organisation';
export const MANAGED_MARK = 'Set by your organisation';
export const MANAGED_INTRO =
  'Your organisation deploys these sites by policy. They are watched like the others, but can only be ' +
  'changed in the policy.';
export const managedErrorText = (problems: readonly string[]): string =>
  `Your organisation’s policy lists ${problems.length === 1 ? 'an entry' : `${problems.length} entries`} ` +
  `this extension cannot use, so ${problems.length === 1 ? 'it is' : 'they are'} not watched: ` +
  `${problems.join('; ')}. Ask whoever manages this browser’s policies to correct it.`;
export const managedUnreadableText = (reason: string): string =>
  `Your organisation’s policy for this extension could not be read (${reason}). Sites set by policy are not ` +
  'watched until it can be.';
export const managedNotAllowedText = (origins: readonly string[]): string =>
  `This browser has not allowed the extension to reach ${origins.join(', ')} yet: checks of those hosts can ` +
  'fail and the banner does not appear on those consoles until it is allowed.';
export const ALLOW_ACCESS = 'Allow access';
