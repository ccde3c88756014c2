import { define } from '../shared/define.ts';
import { ZertoBillingBanner } from './banner.component.ts';

export { ZertoBillingBanner };

define('zerto-billing-banner', ZertoBillingBanner);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-billing-banner': ZertoBillingBanner;
  }
}
