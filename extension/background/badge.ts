import { byUrgency, titleText, TOOLTIP_WORDS as W, type GraceView } from '../../src/core/index.ts';
import { formatDeadline } from '../../components/shared/format.ts';
import { statusOf } from '../shared/status.ts';

/** The toolbar badge for a set of sites: what the most urgent one needs, and its name in the tooltip. */
export interface Badge {
  text: string;
  color: string;
  title: string;
}

/** The banner's own accents (components/shared/tokens.ts), dark enough for white badge text. */
export const BADGE_COLORS = {
  warning: '#9a4f00',
  disconnected: '#b10e1c',
  ok: '#1e7b34',
  unknown: '#4a4a4a',
};

const label = (v: GraceView) => v.site.name || v.site.id;

export function badgeFor(views: readonly GraceView[], unchecked: readonly string[]): Badge {
  const title = W.product;
  if (views.length === 0 && unchecked.length === 0)
    return {
      text: '',
      color: BADGE_COLORS.ok,
      title: `${title}: ${W.noSite}`,
    };
  const sorted = [...views].sort(byUrgency);
  // Each site's status as the popup, the notifications and the banner name it (shared/status.ts).
  const keyed = sorted.map((v) => ({ v, key: statusOf(v).key }));
  const top = keyed[0];
  const others = keyed.slice(1).filter((x) => x.key === 'warning' || x.key === 'disconnected').length;
  const more = others ? ` (${W.moreSites(others)})` : '';
  // The banner's own heading: what the mode can know, the time left or since when.
  const heading = (v: GraceView) =>
    v.message
      ? titleText(v.message, { deadline: v.deadline, since: v.disconnectedAt }, (t) => formatDeadline(t))
      : '';
  if (top?.key === 'disconnected') {
    return {
      text: '!',
      color: BADGE_COLORS.disconnected,
      title: `${title}: ${label(top.v)} — ${heading(top.v)}${more}`,
    };
  }
  if (top?.key === 'warning') {
    const r = top.v.remaining;
    return {
      // Past the ZVM's deadline, before it reports its disconnection: no time is left to count.
      text: r ? (r.unit === 'days' ? String(r.value) : `${r.value}h`) : '!',
      color: BADGE_COLORS.warning,
      title: `${title}: ${label(top.v)} — ${heading(top.v)}${more}`,
    };
  }
  // A site that cannot be seen or checked is never counted as "usage sent", whatever it last knew.
  const blind = keyed.filter((x) => x.key === 'blind').map((x) => label(x.v));
  const waiting = [
    ...keyed.filter((x) => x.key === 'unconfirmed' || x.key === 'unknown').map((x) => label(x.v)),
    ...unchecked,
  ];
  if (blind.length || waiting.length)
    return {
      text: '',
      color: BADGE_COLORS.unknown,
      title:
        `${title}: ` +
        [
          ...(blind.length ? [W.cannotCheck(blind.join(', '))] : []),
          ...(waiting.length ? [W.notConfirmed(waiting.join(', '))] : []),
        ].join('; '),
    };
  return {
    text: '',
    color: BADGE_COLORS.ok,
    title: `${title}: ${W.sent(sorted.length === 1 ? label(sorted[0]!) : W.allSites(sorted.length))}`,
  };
}

export async function showBadge(b: Badge): Promise<void> {
  await Promise.all([
    chrome.action.setBadgeText({ text: b.text }),
    chrome.action.setBadgeBackgroundColor({ color: b.color }),
    chrome.action.setBadgeTextColor({ color: '#ffffff' }),
    chrome.action.setTitle({ title: b.title }),
  ]);
}
