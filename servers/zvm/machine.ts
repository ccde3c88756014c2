/**
 * The ZVM simulator's state machine, apart from HTTP: its own clock, the grace engine's state, the
 * transmissions to the billing receiver (one at a time, a report not acknowledged resent as it is), and the
 * schedule of automatic ones. The server (server.ts) shapes what it answers from this.
 *
 * The clock reads whole milliseconds, as the reports' times are written, and a new report waits until the
 * clock has passed the end of the last one: a period is never empty (the receiver would refuse it, and a
 * refused report is resent as it is, for ever), and every send reaches the billing link, even two in the
 * same millisecond.
 */
import { randomUUID } from 'node:crypto';
import {
  createState,
  DAY,
  graceMs,
  MAX_TIME,
  reduce,
  viewOf,
  type FailureReason,
  type GraceState,
  type Policy,
  type GraceView,
} from '../../src/core/index.ts';
import { readLimited } from '../../src/world/probes/http.ts';
import { PROTOCOL_VERSION, type UsageReport } from '../billing/protocol.ts';
import { isPlainObject } from '../http.ts';

export const MAX_ADVANCE_MS = 400 * DAY;
export const CLIENT_VERSION = '10.0.30';
const ANSWER_LIMIT = 64 * 1024;

export interface Attempt {
  at: string;
  result: 'Passed' | 'Failed';
  /** Null only when no report could be built (a clock that does not move). */
  reportId: string | null;
  reason: FailureReason | null;
}

export interface MachineOptions {
  /** Where reports are posted (the receiver's `/v1/usage`). */
  usageUrl: string;
  siteId: string;
  siteName: string;
  protectedVms: number;
  policy: Policy;
  /** Transmit on its own every policy.interval of its clock (first one at start). */
  autoSend: boolean;
  /** The clock's start, epoch ms. */
  startAt: number;
  /** How long a transmission may take; an answer after it counts as failed. */
  sendTimeoutMs: number;
  /** The licence type the reports carry (the ZVM's, as GET /v1/license gives it). */
  licenseType: string;
  log: (line: string) => void;
  /**
   * Real time elapsed, in ms, from any origin: what the clock runs on besides its advances. Default
   * `performance.now()`, which never goes back when the machine's wall clock is set back. Tests hold it.
   */
  elapsed?: () => number;
}

export interface Machine {
  /** The clock: startAt + real time elapsed + time advanced, in whole ms, never outside the Date range. */
  now(): number;
  /** The latest reading the clock may be moved to (see clockLimit). */
  readonly latest: number;
  /** Moves the clock forward (0 < ms ≤ 400 days, not past `latest`), runs one due transmission, ticks. */
  advance(ms: number): Promise<void>;
  /** One transmission, in turn with the others; it always reaches (or tries) the billing link. */
  sendUsage(): Promise<'Passed' | 'Failed'>;
  /** The engine's state, ticked to now(). */
  state(): GraceState;
  /** The engine's view at now(). */
  view(): GraceView;
  lastAttempt(): Attempt | null;
  /** When the next automatic transmission is due (epoch ms), or null without autoSend. */
  nextSendAt(): number | null;
  /** Arms the schedule; with autoSend the first transmission happens at once, as a ZVM does when it comes up. */
  start(): void;
  /** Stops the schedule, cuts a transmission under way, and waits for it to settle. */
  stop(): Promise<void>;
}

/**
 * The latest reading the clock may take: the engine counts a deadline and the scheduler a next transmission
 * from the current reading, and the clock runs on in real time, so the limit leaves room for the grace
 * period, an interval and a year of running before the end of the Date range (±8.64e15 ms).
 */
export function clockLimit(policy: Policy): number {
  return MAX_TIME - graceMs(policy) - policy.alertAfter - policy.interval - 365 * DAY;
}

export function createMachine(o: MachineOptions): Machine {
  const latest = clockLimit(o.policy);
  if (!Number.isFinite(o.startAt) || o.startAt < -MAX_TIME || o.startAt > latest) {
    throw new RangeError(
      `startZvmSim: startAt must be epoch ms from ${-MAX_TIME} to ${latest} (the Date range, less the room the engine needs); got ${String(o.startAt)}`,
    );
  }
  const elapsed = o.elapsed ?? (() => performance.now());
  const startAt = Math.floor(o.startAt);
  const realStart = elapsed();
  let advanced = 0;
  // Whole milliseconds, as every time it writes (ISO 8601 keeps no less). Clamped, so that even a simulator
  // left running past its limit never reads a time a Date cannot hold.
  const now = () => Math.min(MAX_TIME, Math.floor(startAt + (elapsed() - realStart) + advanced));

  let state = createState({ id: o.siteId, name: o.siteName }, o.policy, startAt);
  const tick = () => {
    state = reduce(state, { type: 'tick' }, now());
    return state;
  };

  /** A report not yet acknowledged is resent as it is, so the receiver can de-duplicate it. */
  let pending: UsageReport | null = null;
  // The period rule (src/protocol/usage.ts): each report starts where the last acknowledged one ended; the
  // first covers the interval before the start.
  let lastPeriodEnd = startAt - o.policy.interval;
  let lastAttempt: Attempt | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let nextSendAt = startAt;
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;
  const stop = new AbortController();

  function buildReport(at: number): UsageReport {
    return {
      protocol: PROTOCOL_VERSION,
      reportId: `zvmsim-${randomUUID()}`,
      site: { id: o.siteId, name: o.siteName },
      period: { from: new Date(lastPeriodEnd).toISOString(), to: new Date(at).toISOString() },
      generatedAt: new Date(at).toISOString(),
      usage: {
        protectedVms: o.protectedVms,
        licenseType: o.licenseType,
        sites: [{ id: o.siteId, name: o.siteName, protectedVms: o.protectedVms }],
      },
      client: { name: 'zvm-simulator', version: CLIENT_VERSION },
    };
  }

  function sendUsage(): Promise<'Passed' | 'Failed'> {
    const run = queue.then(async () => {
      // A new report starts where the last acknowledged one ended: it waits for the clock to pass that end
      // (a millisecond at most), so that its period is never empty.
      if (pending === null && !(await clockPast(lastPeriodEnd))) {
        return settle(null, {
          kind: 'misconfigured',
          detail: 'the clock does not move past the end of the last report',
        });
      }
      const report = pending ?? buildReport(now());
      pending = report;
      return settle(report, await transmit(report));
    });
    queue = run.catch(() => undefined);
    return run;
  }

  /** Takes an attempt's outcome into the engine and the record; a report acknowledged is done with. */
  function settle(report: UsageReport | null, reason: FailureReason | null): 'Passed' | 'Failed' {
    const at = now();
    if (report !== null && reason === null) {
      pending = null;
      lastPeriodEnd = Date.parse(report.period.to);
      state = reduce(state, { type: 'succeeded', reportId: report.reportId }, at);
    } else {
      state = reduce(state, { type: 'failed', reason: reason ?? { kind: 'misconfigured' } }, at);
    }
    const result = reason === null ? 'Passed' : 'Failed';
    lastAttempt = { at: new Date(at).toISOString(), result, reportId: report?.reportId ?? null, reason };
    o.log(
      `sendUsage ${result}${reason ? ` (${reason.kind}${reason.detail ? `: ${reason.detail}` : ''})` : ''}`,
    );
    return result;
  }

  /**
   * True once the clock reads later than `t`; false if it does not within a second (a clock stopped at the
   * end of the Date range, or held by a test).
   */
  async function clockPast(t: number): Promise<boolean> {
    for (let i = 0; i < 1000 && now() <= t; i++) {
      if (stopping) return false;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return now() > t;
  }

  /**
   * Posts a report; null when acknowledged in time, otherwise why not. The timeout is a plain timer that
   * always fires (an `AbortSignal.timeout` can be collected with its timer on Node 20 and never fire), and
   * whatever arrives after it counts as a timeout, even an acknowledgement: the ZVM already said Failed.
   */
  async function transmit(report: UsageReport): Promise<FailureReason | null> {
    const cut = new AbortController();
    const onStop = () => cut.abort();
    stop.signal.addEventListener('abort', onStop, { once: true });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<FailureReason>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        cut.abort();
        resolve({ kind: 'timeout', detail: `no answer within ${o.sendTimeoutMs} ms` });
      }, o.sendTimeoutMs);
    });
    try {
      const outcome = await Promise.race([post(report, cut.signal), timeout]);
      return timedOut ? { kind: 'timeout', detail: `no answer within ${o.sendTimeoutMs} ms` } : outcome;
    } finally {
      clearTimeout(timer);
      stop.signal.removeEventListener('abort', onStop);
    }
  }

  async function post(report: UsageReport, signal: AbortSignal): Promise<FailureReason | null> {
    try {
      const res = await fetch(o.usageUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': report.reportId,
          'User-Agent': `zvm-simulator/${CLIENT_VERSION}`,
        },
        body: JSON.stringify(report),
        signal,
        redirect: 'manual',
      });
      const text = await readLimited(res, ANSWER_LIMIT);
      if (res.status === 401 || res.status === 403) return { kind: 'auth', status: res.status };
      if (res.status !== 200 && res.status !== 201) {
        return { kind: 'http', status: res.status, detail: errorDetail(text) };
      }
      if (text === null) return { kind: 'bad-answer', detail: `answer larger than ${ANSWER_LIMIT} bytes` };
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        const type = res.headers.get('content-type') ?? 'no content type';
        return { kind: 'bad-answer', detail: `answer is not JSON (${type.slice(0, 100)})` };
      }
      const ack = isPlainObject(body) ? body : {};
      if ((ack.status !== 'accepted' && ack.status !== 'duplicate') || ack.reportId !== report.reportId) {
        return { kind: 'bad-answer', detail: 'answer is not an acknowledgement of this report' };
      }
      return null;
    } catch (e) {
      if (signal.aborted) return { kind: 'timeout', detail: `no answer within ${o.sendTimeoutMs} ms` };
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      return {
        kind: 'network',
        detail: (cause?.code ?? cause?.message ?? (e as Error).message).slice(0, 500),
      };
    }
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!o.autoSend || stopping) return;
    // setTimeout overflows past 2^31-1 ms; a long wait is simply re-armed.
    const wait = Math.min(Math.max(0, nextSendAt - now()), 2 ** 31 - 1);
    timer = setTimeout(() => void onTimer(), wait);
    // A sim waiting for its next transmission must not keep the process alive.
    timer.unref();
  }

  async function onTimer(): Promise<void> {
    timer = null;
    if (stopping) return;
    if (now() >= nextSendAt) {
      nextSendAt = now() + o.policy.interval;
      await sendUsage();
    }
    schedule();
  }

  async function advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > MAX_ADVANCE_MS) {
      throw new RangeError(
        `advanceMs must be a number of milliseconds above 0 and at most ${MAX_ADVANCE_MS} (400 days); got ${String(ms)}`,
      );
    }
    if (now() + ms > latest) {
      throw new RangeError(
        `advanceMs: ${ms} ms would take the clock past ${new Date(latest).toISOString()}, the latest time it can ` +
          'show with a deadline still inside the Date range (±8.64e15 ms)',
      );
    }
    advanced += ms;
    // One catch-up transmission, not one per missed interval: the skipped time is when nothing was watched.
    if (o.autoSend && now() >= nextSendAt) {
      nextSendAt = now() + o.policy.interval;
      await sendUsage();
    }
    tick();
    schedule();
  }

  return {
    now,
    latest,
    advance,
    sendUsage,
    state: tick,
    view: () => viewOf(tick(), now()),
    lastAttempt: () => lastAttempt,
    nextSendAt: () => (o.autoSend ? nextSendAt : null),
    start: schedule,
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = null;
      stop.abort();
      await queue.catch(() => undefined);
    },
  };
}

/** The message of a protocol error answer, if it is one. */
function errorDetail(text: string | null): string | undefined {
  if (text === null) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (isPlainObject(body) && isPlainObject(body.error) && typeof body.error.message === 'string') {
      return body.error.message.slice(0, 500);
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return undefined;
}
