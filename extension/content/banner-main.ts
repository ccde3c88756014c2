/**
 * Runs in the console page's own (MAIN) world, where `customElements` exists: defines
 * `<zerto-billing-banner>` and nothing else. It reads no page data and holds no extension API: states come
 * through the relay's `zerto-billing-external-state` events, as text.
 */
import { ZertoBillingBanner } from '../../components/banner/zerto-billing-banner.ts';
import { READY_EVENT } from '../shared/messages.ts';
import { define } from '../../components/shared/define.ts';

// Defined here, not by importing the element's module for its side effect: the package's `sideEffects`
// list lets the bundler drop such an import. A console that embeds the banner itself keeps its own, and
// this copy says so once (with both versions) in the console.
define('zerto-billing-banner', ZertoBillingBanner);

// Banners placed before this ran were upgraded by define(); they take states after their first render.
setTimeout(() => document.dispatchEvent(new CustomEvent(READY_EVENT)), 0);
