import type { AlertKind } from '../kinds.ts';

/** Who says so: the ZVM's own alerts (zvm mode), or this console's observations and the vendor's rule. */
export type Source = 'zvm' | 'console';

/**
 * The line stored with an alert when it turns on (its history). Short and apart from `messageText`, so that
 * the page-load code that lets time pass does not carry every text; an active alert is shown with the live
 * words of `messageText`.
 */
export function alertSummary(kind: AlertKind, siteName: string, source: Source): string {
  const site = siteName ? ` (site ${siteName})` : '';
  if (kind === 'usage-not-sent')
    return source === 'zvm'
      ? `The ZVM${site} did not send site usage information for billing purposes to Zerto servers.`
      : `This console saw no usage information for billing reach Zerto servers${site}.`;
  return source === 'zvm'
    ? `The ZVM${site} stopped communicating with its VRAs until usage is sent.`
    : `By the vendor's rule, the ZVM${site} stops communicating with its VRAs until usage is sent.`;
}
