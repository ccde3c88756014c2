/** Every element of zerto-billing-banner, registered. */
export * from './banner/zerto-billing-banner.ts';
export * from './alerts/zerto-billing-alerts.ts';
export * from './usage-test/zerto-usage-test.ts';
export * from './sites/zerto-billing-sites.ts';
export * from './export/zerto-usage-export.ts';
export type * from './shared/events.ts';
