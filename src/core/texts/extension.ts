// The browser extension's words for the admin who sets it up: how each site is checked, what Save is doing
// while the browser asks for access, and what an organisation's policy set. Plain data and functions, no DOM
// and no chrome.*: the options page renders them, tests pin them.

/** The ways the extension can check a site, as the admin reads them in the options page. */
export type AdminMode = 'zvm' | 'direct' | 'reachability';

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
};

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
