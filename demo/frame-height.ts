// Tells the story page that frames this page how tall it is, whenever that changes (a banner rendering, a
// wrapped line on a phone): the frame then shows it whole. A message, so that it works from another origin
// (the CORS story) and under a strict CSP (no inline script or style is needed).
export function postFrameHeight(): void {
  if (window.parent === window) return;
  // The root element's own height (its content and the body's margins), not its scroll height, which is never
  // less than the frame's: a frame taller than its page shrinks to it.
  const root = document.documentElement;
  const post = () => window.parent.postMessage({ zbbFrameHeight: root.getBoundingClientRect().height }, '*');
  new ResizeObserver(post).observe(root);
  post();
}
