import { ZertoBillingSites } from './sites.component.ts';

export { ZertoBillingSites };

if (!customElements.get('zerto-billing-sites'))
  customElements.define('zerto-billing-sites', ZertoBillingSites);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-billing-sites': ZertoBillingSites;
  }
}
