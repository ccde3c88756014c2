import { ZertoUsageExport } from './export.component.ts';

export { ZertoUsageExport };

if (!customElements.get('zerto-usage-export')) customElements.define('zerto-usage-export', ZertoUsageExport);

declare global {
  interface HTMLElementTagNameMap {
    'zerto-usage-export': ZertoUsageExport;
  }
}
