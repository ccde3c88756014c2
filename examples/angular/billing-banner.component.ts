// The banner in an Angular app: CUSTOM_ELEMENTS_SCHEMA lets the template use the tag, `[getToken]` sets the
// element's property, `(zerto-billing-state-change)` listens for its event. The package's own types declare the
// element (`HTMLElementTagNameMap`) and its events' details (`ZertoBillingEventMap`), used below.
import { Component, CUSTOM_ELEMENTS_SCHEMA, signal } from '@angular/core';
import 'zerto-billing-banner/banner'; // defines <zerto-billing-banner> before Angular renders one
import type { StateChangeDetail, ZertoBillingBanner, ZertoBillingEventMap } from 'zerto-billing-banner';

@Component({
  selector: 'app-billing-banner',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `
    <zerto-billing-banner
      mode="zvm"
      zvm-url="https://zvm.example"
      show-ok
      [getToken]="getZvmToken"
      (zerto-billing-state-change)="onStateChange($event)"
    ></zerto-billing-banner>
    <p>Billing: {{ phase() }}</p>
  `,
})
export class BillingBannerComponent {
  readonly phase = signal<StateChangeDetail['phase'] | 'checking'>('checking');

  /** Asked whenever a token is needed: the console's current ZVM token (a Zerto 10 token expires). */
  readonly getZvmToken: ZertoBillingBanner['getToken'] = async () => 'demo-token';

  onStateChange(event: ZertoBillingEventMap['zerto-billing-state-change']): void {
    this.phase.set(event.detail.phase);
  }
}
