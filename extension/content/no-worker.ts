/**
 * Replaces src/world/poller/worker-url.ts in the extension build. Banners in the extension are fed by the
 * service worker (`external`) and never start the page's shared poller worker, so there is no worker file
 * to point at (and `import.meta.url` has no meaning in a content script).
 */
export function workerUrl(): string {
  throw new Error('zerto-billing: the extension does not poll from the page');
}
