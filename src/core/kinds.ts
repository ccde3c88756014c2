// The engine's vocabularies, apart from the zod schemas that check them: code that only names them (the
// banner in a page, the engine itself) does not carry zod.

/** Why a transmission failed, classified so that the operator is told what to check. */
export const FAILURE_KINDS = [
  'timeout', // no answer within the attempt window
  'network', // connection refused, reset, name not resolved, CORS: the browser cannot tell which
  'proxy', // the proxy itself failed (only where the browser names it, i.e. the extension)
  'http', // an HTTP status outside 2xx; see `status`
  'auth', // 401 or 403: wrong or expired credentials
  'bad-answer', // an answer of the wrong shape: HTML, malformed JSON, missing fields, oversized
  'rejected', // the server answered properly that it did not accept the usage (ZVM `Failed`)
  'misconfigured', // the component's own settings cannot work (no endpoint, bad URL)
  'cors', // the browser refused to read the answer: the server does not allow this page's origin (CORS)
  'unobservable', // the mode cannot observe usage at all (reachability: only the browser's path is checked)
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export const PHASES = ['unknown', 'ok', 'warning', 'disconnected'] as const;
export type Phase = (typeof PHASES)[number];

export const ALERT_KINDS = ['usage-not-sent', 'vra-disconnected'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** How an alert ended: usage got through; the disconnection replaced it; the ZVM stopped listing it. */
export const RESOLUTIONS = ['usage-sent', 'superseded', 'cleared'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/**
 * Version 2: one time frame per site (clock jumps move every stored time), the grace recorded with the alert,
 * the ZVM's word kept apart from this console's own observations, and "cannot see" as its own condition.
 */
export const GRACE_STATE_VERSION = 2;

/** The JavaScript Date range: a time outside it cannot be shown, exported or compared safely. */
export const MAX_TIME = 8.64e15;
export const isTime = (x: unknown): x is number =>
  typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= MAX_TIME;
