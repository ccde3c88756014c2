import { define } from '../shared/define.ts';
import { ZertoUsageTest } from './usage-test.component.ts';

export { ZertoUsageTest };

define('zerto-usage-test', ZertoUsageTest);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-usage-test': ZertoUsageTest;
  }
}
