import { ZertoUsageTest } from './usage-test.component.ts';

export { ZertoUsageTest };

if (!customElements.get('zerto-usage-test')) customElements.define('zerto-usage-test', ZertoUsageTest);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-usage-test': ZertoUsageTest;
  }
}
