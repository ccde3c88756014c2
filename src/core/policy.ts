import { DAY, HOUR, MINUTE, SECOND } from './time.ts';
import { preview, type Parsed } from './validation.ts';

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

const UNITS: Record<keyof Policy, string> = {
  interval: 'milliseconds',
  alertAfter: 'milliseconds',
  graceDays: 'days',
};
const FIELDS = ['interval', 'alertAfter', 'graceDays'] as const;

/**
 * The one rule for a policy field, shared by `parsePolicy` and the zod `PolicySchema` (which checks stored
 * states): null when the value is good, else the message.
 */
export function policyFieldError(field: keyof Policy, value: unknown): string | null {
  const { min, max } = POLICY_LIMITS[field];
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return null;
  return `${field} must be a finite number of ${UNITS[field]} between ${min} and ${max}`;
}

/**
 * Fills defaults for missing fields, then validates; unknown fields are ignored. Written without zod so that
 * the banner's page-load code can check its attributes without carrying a schema library; `PolicySchema`
 * applies the same rule to stored states.
 */
export function parsePolicy(input: unknown): Parsed<Policy> {
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) {
    return { ok: false, error: 'policy: must be an object with interval, alertAfter and graceDays' };
  }
  const given = (input ?? {}) as Partial<Record<keyof Policy, unknown>>;
  const merged = {} as Policy;
  const errors: string[] = [];
  for (const field of FIELDS) {
    const value = given[field] === undefined ? DEFAULT_POLICY[field] : given[field];
    const error = policyFieldError(field, value);
    if (error) errors.push(`policy.${field}: ${error} (got ${preview(value)})`);
    else merged[field] = value as number;
  }
  if (!errors.length) {
    const cross = policyError(merged);
    if (cross) errors.push(`policy.interval: ${cross} (got ${preview(merged.interval)})`);
  }
  return errors.length ? { ok: false, error: errors.join('; ') } : { ok: true, value: merged };
}

/**
 * The rule across fields: attempts must come more often than the alert, or a healthy link would be alerted
 * (and, where the ZVM enforces, disconnected) between two attempts.
 */
export function policyError(p: Policy): string | null {
  return p.interval < p.alertAfter
    ? null
    : `interval (${p.interval} ms) must be shorter than alertAfter (${p.alertAfter} ms)`;
}

/** The grace period in milliseconds. */
export const graceMs = (policy: Policy): number => policy.graceDays * DAY;
