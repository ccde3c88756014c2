// Opens same-origin pages in iframes: several "tabs" of one origin inside one test.
import type { SiteHandle } from '../../src/world/client.ts';
import type { ProbeResult } from '../../src/world/probes/index.ts';

export interface Frame {
  el: HTMLIFrameElement;
  zbb: { handle: SiteHandle; test: () => Promise<ProbeResult>; leading: () => boolean };
  remove(): void;
}

export async function openFrame(path: string, params: Record<string, string>): Promise<Frame> {
  const el = document.createElement('iframe');
  el.src = `${path}?${new URLSearchParams(params)}`;
  document.body.append(el);
  await new Promise((resolve) => el.addEventListener('load', resolve, { once: true }));
  const win = el.contentWindow as Window & { zbb?: Frame['zbb'] };
  await until(() => win.zbb !== undefined, 5000, 'the page never started its client');
  return { el, zbb: win.zbb!, remove: () => el.remove() };
}

export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
