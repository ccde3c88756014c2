import { z } from 'zod/mini';
import { DAY, HOUR, MINUTE, SECOND } from './time.ts';
import { parseWith, type Parsed } from './validation.ts';

/**
 * How often a transmission is attempted, how long without success before the alert, and how many days of
 * grace follow the alert. The vendor does not publish its reporting interval: these defaults are ours.
 */
export interface Policy {
  /** Milliseconds between transmission attempts. */
  interval: number;
  /** Milliseconds without a successful transmission before the alert appears. */
  alertAfter: number;
  /** Days from the first appearance of the alert until the manager stops talking to its VRAs. */
  graceDays: number;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  interval: HOUR,
  alertAfter: 24 * HOUR,
  graceDays: 15,
});

/** Bounds outside which a value is a mistake, not a choice (a 0.1 ms interval would hammer the server). */
export const POLICY_LIMITS = {
  interval: { min: SECOND, max: 7 * DAY },
  alertAfter: { min: MINUTE, max: 90 * DAY },
  graceDays: { min: 1 / 24, max: 365 },
} as const;

function bounded(field: string, unit: string, min: number, max: number) {
  const message = `${field} must be a finite number of ${unit} between ${min} and ${max}`;
  return z
    .number({ error: message })
    .check(z.refine((n) => Number.isFinite(n) && n >= min && n <= max, { error: message, abort: true }));
}

export const PolicySchema = z.object({
  interval: bounded('interval', 'milliseconds', POLICY_LIMITS.interval.min, POLICY_LIMITS.interval.max),
  alertAfter: bounded(
    'alertAfter',
    'milliseconds',
    POLICY_LIMITS.alertAfter.min,
    POLICY_LIMITS.alertAfter.max,
  ),
  graceDays: bounded('graceDays', 'days', POLICY_LIMITS.graceDays.min, POLICY_LIMITS.graceDays.max),
});

/** Fills defaults for missing fields, then validates. Unknown fields are ignored. */
export function parsePolicy(input: unknown): Parsed<Policy> {
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) {
    return { ok: false, error: 'policy: must be an object with interval, alertAfter and graceDays' };
  }
  const given = (input ?? {}) as Partial<Record<keyof Policy, unknown>>;
  const merged = {
    interval: given.interval === undefined ? DEFAULT_POLICY.interval : given.interval,
    alertAfter: given.alertAfter === undefined ? DEFAULT_POLICY.alertAfter : given.alertAfter,
    graceDays: given.graceDays === undefined ? DEFAULT_POLICY.graceDays : given.graceDays,
  };
  return parseWith(PolicySchema, 'policy', merged);
}

/** The grace period in milliseconds. */
export const graceMs = (policy: Policy): number => policy.graceDays * DAY;
