import { z } from 'zod/mini';
import {
  CONFIG_LIMITS,
  DEFAULT_BILLING_URL,
  httpUrlMessage,
  isHttpUrl,
  PROBE_MODES,
  type ProbeMode,
} from './config.ts';

import {
  parseWith,
  PolicySchema,
  type FailureReason,
  type Outcome,
  type Parsed,
  type Policy,
  type Site,
} from '../../core/index.ts';

export * from './config.ts';

const httpUrl = (field: string) => z.string().check(z.refine(isHttpUrl, httpUrlMessage(field)));

/** Everything about one watched site that can be written down (no secrets, no functions). */
export const SiteConfigSchema = z.object({
  siteId: z.string().check(z.minLength(1, 'site id must not be empty'), z.maxLength(CONFIG_LIMITS.idLength)),
  siteName: z._default(z.string().check(z.maxLength(CONFIG_LIMITS.nameLength)), ''),
  mode: z.enum(PROBE_MODES),
  /** ZVM REST API base, e.g. https://zvm.example:9669 (zvm mode; in direct mode the source of usage counts). */
  zvmUrl: z.optional(httpUrl('zvmUrl')),
  /** Billing endpoint base (direct mode) or the host to reach (reachability). */
  billingUrl: z._default(httpUrl('billingUrl'), DEFAULT_BILLING_URL),
  /** Protected VM count to report in direct mode when no ZVM or provider gives one. */
  protectedVms: z.optional(
    z.number().check(z.int(), z.gte(CONFIG_LIMITS.protectedVms.min), z.lte(CONFIG_LIMITS.protectedVms.max)),
  ),
  policy: PolicySchema,
  /** Milliseconds before one request is abandoned. */
  timeoutMs: z._default(
    z.number().check(z.gte(CONFIG_LIMITS.timeoutMs.min), z.lte(CONFIG_LIMITS.timeoutMs.max)),
    CONFIG_LIMITS.timeoutMs.default,
  ),
  /** Extra tries inside one attempt window, with exponential backoff and jitter. */
  retries: z._default(
    z.number().check(z.int(), z.gte(CONFIG_LIMITS.retries.min), z.lte(CONFIG_LIMITS.retries.max)),
    CONFIG_LIMITS.retries.default,
  ),
});
export type SiteConfig = z.infer<typeof SiteConfigSchema>;
export type SiteConfigInput = z.input<typeof SiteConfigSchema>;

export function parseSiteConfig(input: unknown): Parsed<SiteConfig> {
  const parsed = parseWith(SiteConfigSchema, 'config', input);
  if (!parsed.ok) return parsed;
  const c = parsed.value;
  if (c.mode === 'zvm' && !c.zvmUrl)
    return { ok: false, error: 'config.zvmUrl: zvm mode needs the ZVM base URL' };
  return parsed;
}

/** What the host page supplies that cannot be written down: credentials and functions. */
export interface SiteSecrets {
  /** Bearer token (Zerto 10 appliance). */
  token?: string;
  /** `x-zerto-session` value (older Windows ZVMs). */
  session?: string;
}

export interface UsageSnapshot {
  protectedVms: number;
  licenseType?: string;
  sites?: Array<{ id: string; name: string; protectedVms: number }>;
}

export type StepId = 'collect' | 'reach' | 'ack';
export interface TestStep {
  id: StepId;
  status: 'running' | 'done' | 'failed' | 'skipped';
  detail?: string;
  usage?: UsageSnapshot;
  reportId?: string;
  reason?: FailureReason;
}

export interface ProbeResult {
  outcome: Outcome;
  usage?: UsageSnapshot;
  /** The site as the ZVM names it, when it said. */
  site?: Site;
  /**
   * The ZVM's own word (zvm mode), its times already in this clock's frame: the TurnedOn of its active
   * billing alerts, its answer to sendUsage, and its clock's skew.
   */
  zvm?: ZvmReport;
  /**
   * The attempt could not see the state at all (the ZVM API unreadable, a probe that cannot run): not a
   * billing signal, never "usage not sent".
   */
  blind?: boolean;
  /** The usage report this attempt produced, acknowledged or still queued in the outbox. */
  reportId?: string;
  steps: TestStep[];
}

export interface ZvmReport {
  usageAlertAt: number | null;
  disconnectedAt: number | null;
  passed: boolean | null;
  skew: number;
}

export interface ProbeContext {
  config: SiteConfig;
  secrets: SiteSecrets;
  now: () => number;
  signal?: AbortSignal;
  onStep?: (step: TestStep) => void;
  /**
   * Where the probe runs, so that its reasons name the right thing to check: an element in an operator's
   * browser (`browser`, the default) or the fleet service (`service`, its config file and its network).
   */
  where?: 'browser' | 'service';
}

export interface Probe {
  readonly mode: ProbeMode;
  transmit(ctx: ProbeContext): Promise<ProbeResult>;
}

/** What a host's own probe function answers. */
export const CustomAnswerSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    reportId: z.optional(z.string().check(z.maxLength(200))),
    protectedVms: z.optional(z.number().check(z.int(), z.gte(0))),
  }),
  z.object({
    ok: z.literal(false),
    reason: z.object({
      kind: z.enum([
        'timeout',
        'network',
        'proxy',
        'http',
        'auth',
        'bad-answer',
        'rejected',
        'misconfigured',
      ]),
      status: z.optional(z.number()),
      detail: z.optional(z.string().check(z.maxLength(500))),
    }),
  }),
]);
export type CustomAnswer = z.infer<typeof CustomAnswerSchema>;
export type CustomProbeFn = (ctx: {
  signal: AbortSignal;
  now: number;
}) => Promise<CustomAnswer> | CustomAnswer;

export type { Policy };
