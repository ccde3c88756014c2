import bannerMainFile from '../content/banner-main.ts?iife';
import relayFile from '../content/relay.ts?iife';
import { matchesUrl, originPattern } from '../shared/match.ts';
import type { BannerSite } from '../shared/messages.ts';
import type { Settings } from '../shared/settings.ts';

/**
 * The consoles that get the banner: two content scripts registered at run time for the patterns the admin
 * listed and granted. The MAIN-world one defines `<zerto-billing-banner>` in the page (an isolated world has
 * no `customElements`); the isolated one relays states from this worker.
 */
export const SCRIPT_IDS = { main: 'zbb-banner-main', relay: 'zbb-relay' } as const;

export interface ConsoleStatus {
  registered: string[];
  /** Patterns listed but not granted: the banner does not appear there until the admin allows it. */
  notGranted: string[];
}

export async function syncConsoles(settings: Settings): Promise<ConsoleStatus> {
  const patterns = [...new Set(settings.sites.flatMap((s) => s.consoles))].sort();
  const registered: string[] = [];
  const notGranted: string[] = [];
  for (const p of patterns) {
    const origin = originPattern(p.replace(/^\*:/, 'https:')) ?? p;
    const origins = p.startsWith('*:') ? [origin, origin.replace(/^https:/, 'http:')] : [origin];
    if (await chrome.permissions.contains({ origins })) registered.push(p);
    else notGranted.push(p);
  }
  const existing = await chrome.scripting.getRegisteredContentScripts({
    ids: [SCRIPT_IDS.main, SCRIPT_IDS.relay],
  });
  if (registered.length === 0) {
    if (existing.length) await chrome.scripting.unregisterContentScripts({ ids: existing.map((s) => s.id) });
    return { registered, notGranted };
  }
  const wanted: chrome.scripting.RegisteredContentScript[] = [
    {
      id: SCRIPT_IDS.main,
      js: [bannerMainFile],
      matches: registered,
      world: 'MAIN',
      runAt: 'document_idle',
      allFrames: false,
      persistAcrossSessions: true,
    },
    {
      id: SCRIPT_IDS.relay,
      js: [relayFile],
      matches: registered,
      runAt: 'document_idle',
      allFrames: false,
      persistAcrossSessions: true,
    },
  ];
  const same =
    existing.length === wanted.length &&
    wanted.every((w) => {
      const e = existing.find((x) => x.id === w.id);
      return (
        e &&
        JSON.stringify([...(e.matches ?? [])].sort()) === JSON.stringify(w.matches) &&
        e.js?.[0] === w.js?.[0]
      );
    });
  if (same) return { registered, notGranted };
  if (existing.length) await chrome.scripting.unregisterContentScripts({ ids: existing.map((s) => s.id) });
  await chrome.scripting.registerContentScripts(wanted);
  return { registered, notGranted };
}

/** The sites whose banner belongs on a page. */
export function sitesForUrl(settings: Settings, url: string | undefined): BannerSite[] {
  if (!url) return [];
  return settings.sites
    .filter((s) => s.consoles.some((p) => matchesUrl(p, url)))
    .map((s) => ({
      siteId: s.siteId,
      siteName: s.siteName,
      mode: s.mode,
      billingUrl: s.billingUrl,
      ...(s.zvmUrl ? { zvmUrl: s.zvmUrl } : {}),
      ...(s.serviceUrl ? { serviceUrl: s.serviceUrl } : {}),
    }));
}
