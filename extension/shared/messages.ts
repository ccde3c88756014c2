import type { FailureReason, GraceView } from '../../src/core/index.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';
import type { ExtensionMode } from './settings.ts';

/**
 * What crosses between the service worker and the popup, the options page and the content-script relay.
 * Each surface holds a runtime port; the worker pushes every state change down it as it happens.
 */
export const PORTS = { popup: 'zbb-popup', relay: 'zbb-relay' } as const;

/** One watched site as the popup shows it. */
export interface SiteSummary {
  siteId: string;
  siteName: string;
  mode: ExtensionMode;
  billingHost: string;
  /** Null until the site was checked once. */
  view: GraceView | null;
  lastAttemptAt: number | null;
  lastFailure: FailureReason | null;
  /** The outbox: usage reports waiting to be delivered (and the oldest), and reports set aside. */
  backlog: { waiting: number; oldest: number | null; setAside: number; setAsideReason: string | null };
  /** A `service` site whose state could not be read from the fleet service last time: why, in words. */
  problem: string | null;
}

export type ToPopup =
  | {
      type: 'sites';
      at: number;
      sites: SiteSummary[];
      problems: string[];
      /** The browser cleared the extension's stored state: when, and what was lost. */
      storage: string | null;
    }
  | { type: 'step'; siteId: string; step: TestStep }
  | { type: 'result'; siteId: string; result: ProbeResult }
  | { type: 'busy'; siteId: string; message: string };

export type FromPopup = { type: 'test'; siteId: string } | { type: 'refresh' };

/** The attributes of one injected banner: nothing secret, nothing the page could misuse. */
export interface BannerSite {
  siteId: string;
  siteName: string;
  mode: ExtensionMode;
  billingUrl: string;
  zvmUrl?: string;
  /** `service` mode: the fleet service's address (the banner takes its state from the extension all the same). */
  serviceUrl?: string;
}

export type ToRelay =
  | { type: 'sites'; sites: BannerSite[] }
  /** `json` is the `zerto-billing-external-state` event detail: the text `{"state": …}`. */
  | { type: 'state'; siteId: string; json: string }
  /** The steps and outcome of a test the relay asked for, run by the worker (see `FromRelay`). */
  | { type: 'step'; siteId: string; step: TestStep }
  | { type: 'result'; siteId: string; result: ProbeResult }
  | { type: 'busy'; siteId: string; message: string };

/**
 * The relay's request: "Test usage transmission" of a banner on its page. The worker runs it (the ZVM's
 * sendUsage or the billing host's report, from the extension's own origin, with the site's credentials),
 * so neither the console's Content-Security-Policy nor its origin's CORS stands in the way; the new state
 * reaches the banner as every state does. Only the sites shown on that relay's page can be tested.
 */
export type FromRelay = { type: 'test'; siteId: string };

/** Dispatched on the document by the MAIN-world script once `<zerto-billing-banner>` is defined. */
export const READY_EVENT = 'zerto-billing-extension-ready';
/** Marks the elements this extension placed, so that it only ever removes its own. */
export const OWN_ATTRIBUTE = 'data-zerto-billing-extension';

/** chrome.storage.session key of what the options page shows: which consoles are live, what the proxy does. */
export const STATUS_KEY = 'status';

/** What the worker last applied, for the options page. */
export interface WorkerStatus {
  proxy:
    | { status: 'off' }
    | { status: 'on'; pac: string; others: string; exact: boolean }
    | { status: 'blocked'; reason: string };
  consoles: { registered: string[]; notGranted: string[] };
  problems: string[];
}
