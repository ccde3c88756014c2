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
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export const PHASES = ['unknown', 'ok', 'warning', 'disconnected'] as const;
export type Phase = (typeof PHASES)[number];

export const ALERT_KINDS = ['usage-not-sent', 'vra-disconnected'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const GRACE_STATE_VERSION = 1;
