// Mounts elements over a seeded IndexedDB state with a controllable clock, and reads what a person sees.
import { fixture, html } from '@open-wc/testing';
import { DEFAULT_POLICY, type Policy } from '../../src/core/index.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import { applyEvent } from '../../src/world/storage/repo.ts';
import type { CustomAnswer } from '../../src/world/probes/index.ts';
import '../../components/index.ts';
import type { ZertoBillingBanner } from '../../components/index.ts';

export const T0 = Date.UTC(2026, 10, 2, 9, 30);

/**
 * Gives every test its own database: the origin remembers the latest time it has seen (a clock turned back
 * never extends grace), so tests that each set their own clock must not share one.
 */
export function useOwnDb(prefix: string): () => Promise<Db> {
  beforeEach(() => {
    storageConfig.dbName = `${prefix}-${Math.random().toString(36).slice(2)}`;
  });
  return () => openBillingDb();
}

/** A clock the test moves. */
export function testClock(start: number) {
  let now = start;
  const clock = () => now;
  return Object.assign(clock, {
    set: (t: number) => {
      now = t;
    },
    advance: (ms: number) => {
      now += ms;
    },
  });
}

let n = 0;
export const uniqueSite = (name = 'Amsterdam DR') => ({
  id: `site-${++n}-${Math.random().toString(36).slice(2, 7)}`,
  name,
});

/** Stores a site whose last success was at `lastSuccess`, evaluated at `at`. */
export async function seed(
  site: { id: string; name: string },
  lastSuccess: number,
  at: number,
  policy: Policy = DEFAULT_POLICY,
) {
  const db = await openBillingDb();
  await applyEvent(db, site, policy, { type: 'succeeded' }, lastSuccess);
  const { after } = await applyEvent(db, site, policy, { type: 'failed', reason: { kind: 'network' } }, at);
  return after;
}

/** Seeds a warning whose alert turned on at `alertAt` (so days left = 15 - days since). */
export const seedWarning = (site: { id: string; name: string }, alertAt: number, at: number) =>
  seed(site, alertAt - DEFAULT_POLICY.alertAfter, at);

/** Stores a zvm-mode site as the ZVM reported it at `at`: its usage alert and disconnection alert times. */
export async function seedZvm(
  site: { id: string; name: string },
  zvm: { usageAlertAt?: number; disconnectedAt?: number },
  at: number,
) {
  const db = await openBillingDb();
  const { after } = await applyEvent(
    db,
    site,
    { policy: DEFAULT_POLICY, authority: true },
    {
      type: 'zvm',
      usageAlertAt: zvm.usageAlertAt ?? null,
      disconnectedAt: zvm.disconnectedAt ?? null,
      passed: false,
      skew: 0,
    },
    at,
  );
  return after;
}

export interface MountOptions {
  site: { id: string; name: string };
  clock: () => number;
  answer?: CustomAnswer | (() => CustomAnswer | Promise<CustomAnswer>);
  attrs?: Record<string, string>;
}

/** A banner over the stored state, with a host probe that answers as told (failing by default). */
export async function mountBanner(o: MountOptions): Promise<ZertoBillingBanner> {
  const answer = o.answer ?? { ok: false, reason: { kind: 'network', detail: 'link cut by the test' } };
  const probe = typeof answer === 'function' ? answer : () => answer;
  const el = await fixture<ZertoBillingBanner>(
    html`<zerto-billing-banner
      site-id=${o.site.id}
      site-name=${o.site.name}
      mode="custom"
      .clock=${o.clock}
      .probe=${probe}
    ></zerto-billing-banner>`,
  );
  for (const [k, v] of Object.entries(o.attrs ?? {})) el.setAttribute(k, v);
  await settle(el);
  return el;
}

/** Waits until the element has read its stored state and rendered it. */
export async function settle(el: HTMLElement & { updateComplete: Promise<boolean> }): Promise<void> {
  const handle = (el as unknown as { handle: { ready: Promise<void> } | null }).handle;
  await handle?.ready;
  await el.updateComplete;
  await new Promise((r) => setTimeout(r, 0));
  await el.updateComplete;
}

/** The text a person sees in the element's shadow root (whitespace collapsed, screen-reader-only text left out). */
export function visibleText(el: Element): string {
  const root = el.shadowRoot!;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts: string[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent?.closest('.visually-hidden, style, dialog:not([open])')) continue;
    parts.push(node.textContent ?? '');
  }
  return parts.join('').replace(/\s+/g, ' ').trim();
}

export const part = (el: Element, name: string) => el.shadowRoot!.querySelector(`[part~="${name}"]`);
