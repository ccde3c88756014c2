import { messageText, phaseLabel, titleText, viewOf, type GraceState } from '../../src/core/index.ts';
import { formatDeadline } from '../../components/shared/format.ts';
import { omit, STORAGE_KEYS } from '../shared/settings.ts';
import { statusOf } from '../shared/status.ts';

export type NoticeKind = 'alert' | 'disconnected' | 'recovered' | 'refused';

export interface Notice {
  /** Unique per transition (`site:kind:time`): the same transition seen twice is the same notice. */
  id: string;
  siteId: string;
  kind: NoticeKind;
  title: string;
  message: string;
}

const LOG_LIMIT = 20;

/**
 * The notice a stored state calls for. Derived from the state itself (the alert's date, the deadline, the
 * recovery time), so that a worker stopped and started again, or a state published twice, asks for the very
 * same notice and nothing is announced twice.
 */
export function noticeFor(state: GraceState, now: number): Notice | null {
  const v = viewOf(state, now);
  const id = state.site.id;
  const name = state.site.name || state.site.id;
  const text = v.message ? messageText(v.message) : '';
  // The banner's own heading (what the mode can know, the time left or since when), with the site's name.
  // Without a message (never expected), the phase's name, as every list and the popup write it.
  const heading = (fallback: string) =>
    `${v.message ? titleText(v.message, { deadline: v.deadline, since: v.disconnectedAt }, (t) => formatDeadline(t)) : fallback}: ${name}`;
  if (state.phase === 'warning' && state.firstAlertAt !== null)
    return {
      id: `${id}:alert:${state.firstAlertAt}`,
      siteId: id,
      kind: 'alert',
      title: heading(phaseLabel('warning', v.source)),
      message: text,
    };
  if (state.phase === 'disconnected' && state.deadline !== null)
    return {
      id: `${id}:disconnected:${state.deadline}`,
      siteId: id,
      kind: 'disconnected',
      title: heading(phaseLabel('disconnected', v.source)),
      message: text,
    };
  // The ZVM refuses this browser's credentials (an expired token, a changed password): nothing is checked
  // until the admin acts, which the badge alone would leave unsaid. Once per stretch; other reasons a site
  // cannot be seen (the network, a ZVM down) are said by the badge and the banner, not announced.
  if (v.message?.key === 'blind' && v.blind?.reason.kind === 'auth')
    return {
      id: `${id}:refused:${v.blind.since}`,
      siteId: id,
      kind: 'refused',
      title: heading(statusOf(v).label),
      message: text,
    };
  // Only a fresh recovery: an old one found after storage was cleared is not news.
  if (state.phase === 'ok' && state.recoveredAt !== null && v.recovered)
    return {
      id: `${id}:recovered:${state.recoveredAt}`,
      siteId: id,
      kind: 'recovered',
      title: heading(phaseLabel('ok', v.source)),
      message: text,
    };
  return null;
}

let queue: Promise<unknown> = Promise.resolve();

const isRefusal = (id: string | undefined): id is string => !!id && /:refused:[^:]*$/.test(id);

/**
 * Shows the notice a state calls for, once; one site's notice replaces its earlier one. A refusal's notice is
 * taken back once the site can be read again, and the notice before it counts as shown again (so that a
 * recovery announced before the refusal is not announced twice).
 */
export function notifyTransition(state: GraceState, now: number): Promise<void> {
  const run = async () => {
    const notice = noticeFor(state, now);
    const siteId = state.site.id;
    const keys = [STORAGE_KEYS.notified, STORAGE_KEYS.notifiedBefore, STORAGE_KEYS.noticeLog];
    const got = await chrome.storage.local.get(keys);
    let notified = { ...((got[STORAGE_KEYS.notified] as Record<string, string> | undefined) ?? {}) };
    let before = omit((got[STORAGE_KEYS.notifiedBefore] as Record<string, string> | undefined) ?? {}, siteId);
    let previous = notified[siteId];
    if (isRefusal(previous) && state.blind === null) {
      await chrome.notifications.clear(previous);
      const restored = (got[STORAGE_KEYS.notifiedBefore] as Record<string, string> | undefined)?.[siteId];
      notified = restored ? { ...notified, [siteId]: restored } : omit(notified, siteId);
      previous = restored;
      await chrome.storage.local.set({
        [STORAGE_KEYS.notified]: notified,
        [STORAGE_KEYS.notifiedBefore]: before,
      });
    }
    if (!notice || previous === notice.id) return;
    notified = { ...notified, [siteId]: notice.id };
    // Over a refusal, what was shown before it is kept, to count as shown again once the site is read.
    const kept = (got[STORAGE_KEYS.notifiedBefore] as Record<string, string> | undefined)?.[siteId];
    if (notice.kind === 'refused') {
      const prior = isRefusal(previous) ? kept : previous;
      if (prior) before = { ...before, [siteId]: prior };
    }
    const log = Array.isArray(got[STORAGE_KEYS.noticeLog]) ? (got[STORAGE_KEYS.noticeLog] as unknown[]) : [];
    // Written before it is shown: a worker stopped in between loses one notice rather than repeating it.
    await chrome.storage.local.set({
      [STORAGE_KEYS.notified]: notified,
      [STORAGE_KEYS.notifiedBefore]: before,
      [STORAGE_KEYS.noticeLog]: [...log, { id: notice.id, kind: notice.kind, at: now }].slice(-LOG_LIMIT),
    });
    if (previous) await chrome.notifications.clear(previous);
    await chrome.notifications.create(notice.id, {
      type: 'basic',
      iconUrl: chrome.runtime.getURL('icons/icon-128.png'),
      title: notice.title,
      message: notice.message,
      priority: notice.kind === 'recovered' ? 0 : 2,
      requireInteraction: notice.kind === 'disconnected',
    });
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

/** Forgets a removed site's notices. */
export async function forgetNotices(keep: ReadonlySet<string>): Promise<void> {
  const got = await chrome.storage.local.get([STORAGE_KEYS.notified, STORAGE_KEYS.notifiedBefore]);
  const notified = (got[STORAGE_KEYS.notified] as Record<string, string> | undefined) ?? {};
  const before = (got[STORAGE_KEYS.notifiedBefore] as Record<string, string> | undefined) ?? {};
  const gone = Object.keys(notified).filter((id) => !keep.has(id));
  const goneBefore = Object.keys(before).filter((id) => !keep.has(id));
  if (!gone.length && !goneBefore.length) return;
  for (const id of gone) await chrome.notifications.clear(notified[id]!);
  const kept = (r: Record<string, string>) =>
    Object.fromEntries(Object.entries(r).filter(([id]) => keep.has(id)));
  await chrome.storage.local.set({
    [STORAGE_KEYS.notified]: kept(notified),
    [STORAGE_KEYS.notifiedBefore]: kept(before),
  });
}
