import { parseGraceState, type GraceState } from '../../core/index.ts';

/** Every tab, worker and element of one origin hears state changes on this channel. */
export const CHANNEL_NAME = 'zerto-billing';

type Listener = (state: GraceState) => void;
const local = new Set<Listener>();
type ForgottenListener = (siteId: string) => void;
const forgotten = new Set<ForgottenListener>();
let channel: BroadcastChannel | null = null;

function open(): BroadcastChannel | null {
  if (channel || typeof BroadcastChannel === 'undefined') return channel;
  channel = new BroadcastChannel(CHANNEL_NAME);
  channel.onmessage = (e: MessageEvent) => {
    const msg = e.data as { type?: unknown; state?: unknown; siteId?: unknown } | null;
    // A site forgotten in another context (see forget.ts). Listeners of states never hear it.
    if (msg?.type === 'forgotten' && typeof msg.siteId === 'string') {
      for (const l of forgotten) l(msg.siteId);
      return;
    }
    if (!msg || msg.type !== 'state') return;
    // Messages cross a boundary like storage does: validated, and a bad one is dropped with a report.
    const parsed = parseGraceState(msg.state);
    if (!parsed.ok) {
      console.error(`zerto-billing: ignored a malformed state message: ${parsed.error}`);
      return;
    }
    for (const l of local) l(parsed.value);
  };
  return channel;
}

/** Tells this context and every other one of the origin that a site's state changed. */
export function publishState(state: GraceState): void {
  for (const l of local) l(state);
  open()?.postMessage({ type: 'state', state });
}

export function onState(listener: Listener): () => void {
  open();
  local.add(listener);
  return () => local.delete(listener);
}

/** Tells this context and every other one of the origin that a site was forgotten (its stored state removed). */
export function publishForgotten(siteId: string): void {
  for (const l of forgotten) l(siteId);
  open()?.postMessage({ type: 'forgotten', siteId });
}

export function onForgotten(listener: ForgottenListener): () => void {
  open();
  forgotten.add(listener);
  return () => forgotten.delete(listener);
}
