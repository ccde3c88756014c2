// The extension's words about signing in to a ZVM: the choices the options page offers, and what a refusal
// means with what to do. Plain data and functions, no DOM and no chrome.*. (They belong beside the other
// admin words in src/core/texts/extension.ts; kept here until they move.)
import { ZERTO_PUBLIC_CLIENT } from '../../src/protocol/zvm.ts';
import type { ZvmAuthChoice } from './settings.ts';

export const AUTH_FIELD_LABEL = 'How the extension signs in to the ZVM';

export const AUTH_CHOICES: Record<ZvmAuthChoice, { label: string; hint: string }> = {
  'client-credentials': {
    label: 'Zerto 10: a Keycloak client (recommended)',
    hint:
      'A client created for this extension in the ZVM’s Keycloak (realm zerto) with client authentication on ' +
      'and service accounts enabled. The extension asks the ZVM for a token with it and renews the token ' +
      'before it expires.',
  },
  password: {
    label: 'Zerto 10: a ZVM user name and password',
    hint:
      `The extension asks the ZVM for a token as this user (through the client ${ZERTO_PUBLIC_CLIENT} unless ` +
      'you name another) and renews it before it expires. Prefer a user that may only read.',
  },
  session: {
    label: 'Windows ZVM: a user name and password',
    hint:
      'The extension opens a session with them (the x-zerto-session of older ZVMs) and opens a new one when ' +
      'the ZVM ends it.',
  },
  token: {
    label: 'A token I paste (stops working when it expires)',
    hint:
      'Zerto 10 tokens expire within minutes of being issued: once this one has, every check is refused ' +
      'until you paste a new one. A Keycloak client or a user name and password do not expire that way.',
  },
  'session-key': {
    label: 'A session key I paste (Windows ZVM; ends when unused)',
    hint:
      'A Windows ZVM ends a session after about 30 minutes unused: checks are then refused until you paste ' +
      'a new one. A user name and password do not end that way.',
  },
  none: {
    label: 'No sign-in',
    hint: 'Only for a ZVM, or a proxy in front of it, that asks for no credentials.',
  },
};

/** Where the secrets go and that they are never shown back: under the secret fields. */
export const SECRET_KEPT =
  'Kept in this browser only (the extension’s local storage, closed to web pages and content scripts), ' +
  'sent only to this site’s ZVM, and never shown again.';

export const STORED_SECRET = 'Stored';
export const REPLACE_SECRET = 'Replace';
export const CLEAR_SECRET = 'Clear';
export const KEEP_SECRET = 'Keep the stored one';
export const UNDO_CLEAR = 'Undo';
export const clearedSecretText = (label: string): string => `${label}: cleared when you save.`;

export const HELP_IDS_HINT =
  'Zerto does not publish the help identifiers of its billing alerts, so they are settings. Leave empty ' +
  'for the defaults shown, the best public evidence; an alert of the ZVM that looks like a billing alert ' +
  'but that no identifier names is never ignored, and the banner says which identifier to add.';

export const SITE_ID_HINT_ZVM =
  'Leave empty: the extension reads it from the ZVM (its local site) when you save. Or type the ZVM’s ' +
  'SiteIdentifier.';

/** While Save reads the site identifier from the ZVM. */
export const DISCOVERING = 'Reading the site identifier from the ZVM…';
export const discoveryFailedText = (reason: string): string =>
  `the site identifier could not be read from the ZVM (${reason}). Check the ZVM address and how the ` +
  'extension signs in, or type the site identifier.';

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** What a ZVM's refusal of the extension's credentials means, and what to do, by how the site signs in. */
export type Refusal =
  /** A static bearer token was refused; `expiredAt` when the token itself says when it expired. */
  | { kind: 'token'; expiredAt: number | null }
  /** A static session was refused. */
  | { kind: 'session-key' }
  /** No credential is given at all. */
  | { kind: 'none' }
  /** The login itself was refused (the token endpoint or the session login): `detail` says what it said. */
  | { kind: 'login-refused'; login: 'client-credentials' | 'password' | 'session'; detail: string }
  /** A token or session obtained a moment ago was refused too. */
  | { kind: 'fresh-refused'; login: 'client-credentials' | 'password' | 'session' };

const OPTIONS = 'in this extension’s options';
const RENEWING =
  'give this site a Keycloak client (client ID and secret) or a ZVM user name and password ' +
  `${OPTIONS}, so that the extension obtains its tokens itself and renews them before they expire`;

/**
 * The detail of a refusal, in words (the banner, the popup and the badge's tooltip show it after "the
 * credentials were refused (HTTP 401)"). Written without ": " inside a sentence, which would split it.
 */
export function refusalText(
  zvmUrl: string,
  status: number | undefined,
  r: Refusal,
  date: (t: number) => string,
): string {
  const host = hostOf(zvmUrl);
  const http = `HTTP ${status ?? 401}`;
  switch (r.kind) {
    case 'token':
      return (
        `the ZVM at ${host} refused its token (${http}). ` +
        (r.expiredAt !== null
          ? `The token expired on ${date(r.expiredAt)}; a Zerto 10 token lasts minutes. `
          : 'A Zerto 10 token expires minutes after it is issued, so this one has most likely expired. ') +
        `To renew it, paste a new token ${OPTIONS}, or ${RENEWING}.`
      );
    case 'session-key':
      return (
        `the ZVM at ${host} refused its session (${http}); a Windows ZVM ends a session after about 30 minutes ` +
        `unused. Give this site’s ZVM user name and password ${OPTIONS} (Windows ZVM), so that the extension ` +
        'opens its sessions itself.'
      );
    case 'none':
      return `the ZVM at ${host} asks for credentials (${http}) and this site has none. To sign in, ${RENEWING}.`;
    case 'login-refused':
      return `${r.detail.replace(/:/g, ' -')}. Check the ${
        r.login === 'client-credentials' ? 'client ID and secret' : 'user name and password'
      } of this site ${OPTIONS}.`;
    case 'fresh-refused':
      return (
        `the ZVM at ${host} refused a ${r.login === 'session' ? 'session' : 'token'} it had just issued (${http}). ` +
        `Check that the ${r.login === 'client-credentials' ? 'Keycloak client' : 'ZVM user'} may read the ZVM’s ` +
        'licence and alerts.'
      );
  }
}
