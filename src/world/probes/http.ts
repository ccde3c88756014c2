import type { FailureReason } from '../../core/index.ts';

/** Answers larger than this are refused as the wrong shape: no billing answer is that big. */
export const MAX_ANSWER_BYTES = 256 * 1024;

export type HttpResult =
  | {
      ok: true;
      status: number;
      text: string;
      contentType: string;
      /** The server's clock from its `Date` header (where CORS exposes it), else null. */
      date: number | null;
    }
  | { ok: false; reason: FailureReason };

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  maxBytes?: number;
}

/**
 * One HTTP request with a timeout, its answer read up to a byte limit, and every way it can fail classified.
 * An HTTP error status is returned as a result (ok: true with the status): callers decide what it means.
 */
export async function request(url: string, init: RequestInit, opts: RequestOptions): Promise<HttpResult> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('timeout', 'TimeoutError'));
  }, opts.timeoutMs);
  try {
    const res = await fetch(url, {
      ...init,
      signal: controller.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
    const body = await readLimited(res, opts.maxBytes ?? MAX_ANSWER_BYTES);
    if (body === null) {
      return {
        ok: false,
        reason: { kind: 'bad-answer', status: res.status, detail: 'answer larger than expected' },
      };
    }
    const date = Date.parse(res.headers.get('date') ?? '');
    return {
      ok: true,
      status: res.status,
      text: body,
      contentType: res.headers.get('content-type') ?? '',
      date: Number.isFinite(date) ? date : null,
    };
  } catch {
    if (timedOut)
      return { ok: false, reason: { kind: 'timeout', detail: `no answer within ${opts.timeoutMs} ms` } };
    if (opts.signal?.aborted) return { ok: false, reason: { kind: 'timeout', detail: 'cancelled' } };
    // The browser deliberately does not say whether it was refused, reset, unresolvable or blocked by CORS;
    // a request that needs no CORS permission tells the two apart: if it gets through, the server is there
    // and it is this page's origin that is not allowed.
    if (init.mode !== 'no-cors' && (await reachableWithoutCors(url, opts.timeoutMs))) {
      return {
        ok: false,
        reason: {
          kind: 'cors',
          detail: `${hostOf(url)} answered, but does not allow this page's origin (${originOf()}) to read it: add the origin to its CORS allow-list`,
        },
      };
    }
    return {
      ok: false,
      reason: {
        kind: 'network',
        detail: `could not connect to ${hostOf(url)} (refused, reset, or the name did not resolve)`,
      },
    };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Reads an answer up to `max` bytes; null when it is larger (the rest is not downloaded). */
export async function readLimited(res: Response, max: number): Promise<string | null> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** True when a no-cors GET of the same URL gets an answer (any answer) within the timeout. */
async function reachableWithoutCors(url: string, timeoutMs: number): Promise<boolean> {
  // Outside a browser there is no CORS: a failed fetch there is a network failure.
  if (typeof location === 'undefined' || location.protocol === 'chrome-extension:') return false;
  try {
    await fetch(url, {
      mode: 'no-cors',
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(Math.min(timeoutMs, 5000)),
    });
    return true;
  } catch {
    return false;
  }
}

const originOf = () => (typeof location === 'undefined' ? 'this origin' : location.origin);

/** Classifies a status outside 2xx. */
export function statusReason(status: number, detail?: string): FailureReason {
  if (status === 401 || status === 403)
    return { kind: 'auth', status, detail: detail ?? 'credentials refused' };
  return { kind: 'http', status, detail: detail ?? `HTTP ${status}` };
}

/** Parses JSON text; returns undefined (never throws) when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRetryable(reason: FailureReason): boolean {
  return (
    reason.kind === 'timeout' ||
    reason.kind === 'network' ||
    (reason.kind === 'http' && reason.status !== undefined && (reason.status >= 500 || reason.status === 429))
  );
}

export interface RetryOptions {
  retries: number;
  /** The whole attempt window: no retry starts after it. */
  windowMs: number;
  baseMs?: number;
  capMs?: number;
  signal?: AbortSignal;
  random?: () => number;
}

/** Delay before retry `n` (0-based): exponential, capped, with full jitter so that many tabs never align. */
export function backoff(n: number, baseMs = 500, capMs = 30_000, random = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** n));
}

/**
 * Runs `attempt` until it succeeds, fails for a reason not worth retrying, runs out of retries, or the window
 * closes. Never spins: every retry waits a backoff.
 */
export async function withRetries<T extends { ok: boolean; reason?: FailureReason }>(
  attempt: () => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const start = Date.now();
  let result = await attempt();
  for (let n = 0; n < opts.retries && !result.ok; n++) {
    if (!result.reason || !isRetryable(result.reason) || opts.signal?.aborted) break;
    const wait = backoff(n, opts.baseMs, opts.capMs, opts.random);
    if (Date.now() - start + wait >= opts.windowMs) break;
    await sleep(wait, opts.signal);
    result = await attempt();
  }
  return result;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
