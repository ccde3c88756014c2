import type { SiteConfig, SiteSecrets } from '../probes/index.ts';

/** Messages between a page and the shared poller worker. */
export type ToWorker =
  | { type: 'watch'; config: SiteConfig; secrets: SiteSecrets }
  | { type: 'unwatch'; siteId: string }
  | { type: 'wake'; siteId?: string };

export type FromWorker = { type: 'hello' } | { type: 'error'; message: string };
