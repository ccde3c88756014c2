// When work that the first paint must not wait for may start: after the frame that paints, when the main
// thread is idle. A module of its own, free of the client's imports, so that formats and the like can use it
// anywhere (the extension's service worker bundles them too, where there are no frames).

/**
 * Resolves once the main thread is idle after the next frame (an idle period can come before that frame, while
 * a renderer loads), at the latest 300 ms on (a hidden tab has no frames); at once-ish where there are no frames
 * at all (a worker).
 */
export const afterPaint = (): Promise<void> =>
  new Promise((resolve) => {
    let go = (): void => {
      go = () => undefined;
      if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 200 });
      else resolve();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => go());
    setTimeout(() => go(), 100);
  });
