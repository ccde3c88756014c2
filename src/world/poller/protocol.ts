import type { GraceState } from '../../core/schemas.ts';
import type { HandleStatus } from '../client.ts';
import type { SiteConfig, SiteSecrets } from '../probes/index.ts';

/** Messages between a page and the shared poller worker. */
export type ToWorker =
  | { type: 'watch'; config: SiteConfig; secrets: SiteSecrets }
  | { type: 'unwatch'; siteId: string }
  /** New credentials for a watched site (a refreshed token), from its next check; `recheck` makes it now. */
  | { type: 'secrets'; siteId: string; secrets: SiteSecrets; recheck?: boolean }
  | { type: 'wake'; siteId?: string };

export type FromWorker =
  | { type: 'hello' }
  /** The site's config was refused. */
  | { type: 'error'; siteId: string; message: string }
  /**
   * A site's state, validated by the worker. `initial` answers a watch with what storage holds (null when
   * nothing: unknown until the first check), with `status` and `problem` saying whether it was damaged.
   */
  | { type: 'state'; siteId: string; state: GraceState; initial?: false }
  | {
      type: 'state';
      siteId: string;
      state: GraceState | null;
      initial: true;
      status: Exclude<HandleStatus, 'loading'>;
      problem: string | null;
    };
