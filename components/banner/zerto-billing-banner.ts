import { ZertoBillingBanner } from './banner.component.ts';

export { ZertoBillingBanner };

if (!customElements.get('zerto-billing-banner'))
  customElements.define('zerto-billing-banner', ZertoBillingBanner);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-billing-banner': ZertoBillingBanner;
  }
}
