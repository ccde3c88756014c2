import { byUrgency, titleText, TOOLTIP_WORDS as W, type GraceView } from '../../src/core/index.ts';
import { formatDeadline } from '../../components/shared/format.ts';

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
  const top = sorted[0];
  const others = sorted.slice(1).filter((v) => v.phase === 'warning' || v.phase === 'disconnected').length;
  const more = others ? ` (${W.moreSites(others)})` : '';
  // The banner's own heading: what the mode can know, the time left or since when.
  const heading = (v: GraceView) =>
    v.message
      ? titleText(v.message, { deadline: v.deadline, since: v.disconnectedAt }, (t) => formatDeadline(t))
      : '';
  if (top?.phase === 'disconnected') {
    return {
      text: '!',
      color: BADGE_COLORS.disconnected,
      title: `${title}: ${label(top)} — ${heading(top)}${more}`,
    };
  }
  if (top?.phase === 'warning' && top.remaining) {
    const r = top.remaining;
    return {
      text: r.unit === 'days' ? String(r.value) : `${r.value}h`,
      color: BADGE_COLORS.warning,
      title: `${title}: ${label(top)} — ${heading(top)}${more}`,
    };
  }
  // A site that cannot be seen or checked is never counted as "usage sent", whatever it last knew.
  const blind = sorted.filter((v) => v.blind !== null).map(label);
  const waiting = [
    ...sorted.filter((v) => v.phase === 'unknown' && v.blind === null).map(label),
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
