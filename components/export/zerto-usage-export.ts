import { define } from '../shared/define.ts';
import { ZertoUsageExport } from './export.component.ts';

export { ZertoUsageExport };

define('zerto-usage-export', ZertoUsageExport);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-usage-export': ZertoUsageExport;
  }
}
