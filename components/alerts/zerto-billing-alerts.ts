import { define } from '../shared/define.ts';
import { ZertoBillingAlerts } from './alerts.component.ts';

export { ZertoBillingAlerts };

define('zerto-billing-alerts', ZertoBillingAlerts);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-billing-alerts': ZertoBillingAlerts;
  }
}
