import { define } from '../shared/define.ts';
import { ZertoBillingSites } from './sites.component.ts';

export { ZertoBillingSites };

define('zerto-billing-sites', ZertoBillingSites);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-billing-sites': ZertoBillingSites;
  }
}
