import { phaseLabel, titleText, type GraceView, type Phase } from '../../src/core/index.ts';
import { formatDeadline } from '../../components/shared/format.ts';

/**
 * What a site's state is, as every surface of the extension names it: the badge, the popup, the
 * notifications, and the banner in the consoles, which reads the very same view (`viewOf`). Derived from the
 * view's message, which already ranks what matters: an alert first (the ZVM's last known word, shown with a
 * note when it cannot be read now), then a state that cannot be seen, then a recovery, then an unconfirmed
 * one. So a site whose ZVM refuses the credentials is never "Usage sent", whatever it last knew: the phase
 * is the last known one, the status is what can be said now.
 */
export type StatusKey = 'disconnected' | 'warning' | 'blind' | 'unconfirmed' | 'ok' | 'unknown';

export interface SiteStatus {
  key: StatusKey;
  /** A word or two, for the popup's row and the notifications (the phase's own word where it applies). */
  label: string;
}

export function statusOf(v: GraceView | null): SiteStatus {
  if (!v) return { key: 'unknown', label: phaseLabel('unknown', 'console') };
  const key = keyOf(v);
  if (key === 'blind')
    return {
      key,
      label: v.message
        ? titleText(v.message, at(v), (t) => formatDeadline(t))
        : phaseLabel('unknown', v.source),
    };
  return { key, label: labelOf(key, v) };
}

function keyOf(v: GraceView): StatusKey {
  switch (v.message?.key) {
    case 'vra-disconnected':
      return 'disconnected';
    case 'usage-not-sent':
    case 'overdue':
      return 'warning';
    case 'blind':
      return 'blind';
    case 'unconfirmed':
      return 'unconfirmed';
    case 'recovered':
      return 'ok';
    default:
      return v.phase;
  }
}

function labelOf(key: Exclude<StatusKey, 'blind'>, v: GraceView): string {
  const phase: Phase = key === 'unconfirmed' ? 'unknown' : key;
  return phaseLabel(phase, v.source);
}

const at = (v: GraceView) => ({ deadline: v.deadline, since: v.disconnectedAt });
