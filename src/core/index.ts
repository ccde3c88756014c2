/** The grace engine: pure, with no DOM, storage, network or timers, so it runs in a page, a worker, the
 * extension's service worker and Node alike. */
export * from './time.ts';
export * from './validation.ts';
export * from './policy.ts';
export * from './kinds.ts';
export * from './schemas.ts';
export * from './texts.ts';
export * from './engine.ts';
export { READING_LIMIT, settle } from './evaluate.ts';
export * from './view.ts';
export * from './state.ts';
export * from './guard.ts';
export * from './coherence.ts';
