import { ZertoBillingAlerts } from './alerts.component.ts';

export { ZertoBillingAlerts };

if (!customElements.get('zerto-billing-alerts'))
  customElements.define('zerto-billing-alerts', ZertoBillingAlerts);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-billing-alerts': ZertoBillingAlerts;
  }
}
