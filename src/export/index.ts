/** The manual-billing export: pure (arrays in, bytes out), so it runs in a page, a worker or the extension. */
export * from './daily.ts';
export * from './csv.ts';
export * from './export.ts';
