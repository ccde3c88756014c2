import { originPattern } from '../shared/match.ts';
import type { SiteEntry } from '../shared/settings.ts';

/** The address a site is checked at, as the lists of sites show it. */
export function addressOf(entry: SiteEntry): string | undefined {
  if (entry.mode === 'service') return entry.serviceUrl;
  return entry.mode === 'zvm' ? entry.zvmUrl : entry.billingUrl;
}

/** The hosts one site makes the extension talk to, and the consoles where its banner appears. */
export function originsFor(entry: SiteEntry): string[] {
  const urls =
    entry.mode === 'service'
      ? [entry.serviceUrl]
      : entry.mode === 'zvm'
        ? [entry.zvmUrl]
        : [entry.billingUrl, entry.zvmUrl];
  const out = new Set<string>();
  for (const u of urls) {
    const o = u ? originPattern(u) : null;
    if (o) out.add(o);
  }
  for (const c of entry.consoles) out.add(consoleOrigin(c));
  return [...out];
}

/** A console pattern as a host permission (paths do not apply to permissions). */
export function consoleOrigin(pattern: string): string {
  const m = /^(\*|https?):\/\/([^/]+)\//.exec(pattern);
  return m ? `${m[1]}://${m[2]}/*` : pattern;
}

/**
 * Asks the browser for access to `origins`. Call it inside the click that asks: Chrome shows its prompt only
 * on a user gesture. A request the browser refuses to show counts as declined.
 */
export function requestOrigins(origins: readonly string[]): Promise<boolean> {
  if (!origins.length) return Promise.resolve(true);
  return chrome.permissions.request({ origins: [...origins] }).catch(() => false);
}

/** The origins of `origins` this extension may not reach yet. */
export async function notGranted(origins: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const o of origins)
    if (!(await chrome.permissions.contains({ origins: [o] }).catch(() => false))) out.push(o);
  return out;
}

/** Gives back host permissions no watched site (the admin's or the organisation's) needs any more. */
export async function releaseUnused(sites: readonly SiteEntry[]): Promise<void> {
  const needed = new Set(sites.flatMap(originsFor));
  const all = await chrome.permissions.getAll();
  const unused = (all.origins ?? []).filter((o) => !needed.has(o));
  for (const o of unused) {
    // Permissions declared in the manifest cannot be removed; that is not an error here.
    await chrome.permissions.remove({ origins: [o] }).catch(() => false);
  }
}
