import { z } from 'zod/mini';
import {
  CONFIG_LIMITS,
  DEFAULT_BILLING_URL,
  httpUrlMessage,
  isHttpUrl,
  PROBE_MODES,
  type ProbeMode,
} from './config.ts';

import { DEFAULT_BILLING_ALERT_IDS, parseHelpIds, type BillingAlertIds } from '../../protocol/zvm.ts';
import {
  parseWith,
  PolicySchema,
  type FailureReason,
  type Outcome,
  type Parsed,
  type Policy,
  type Site,
  type ZvmAlertNote,
} from '../../core/index.ts';

export * from './config.ts';

/** A list of help identifiers (an array, or the text of a setting: spaces or commas between them). */
const helpIds = (field: string) =>
  z.pipe(
    z.union([z.string(), z.array(z.string())]).check(
      z.refine((v) => parseHelpIds(joinIds(v)).ok, {
        error: (issue) => {
          const r = parseHelpIds(joinIds(issue.input as string | string[]));
          return `${field}: ${r.ok ? 'not a list of help identifiers' : r.error}`;
        },
      }),
    ),
    z.transform((v) => {
      const r = parseHelpIds(joinIds(v));
      return r.ok ? r.ids : [];
    }),
  );
const joinIds = (v: string | string[]) => (typeof v === 'string' ? v : v.join(' '));

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
  /**
   * zvm mode: the help identifiers of the ZVM's usage alert and of its disconnection alert. Zerto does not
   * publish them: settings, with defaults from the best evidence (DEFAULT_BILLING_ALERT_IDS).
   */
  usageAlertIds: z.optional(helpIds('usageAlertIds')),
  disconnectionAlertIds: z.optional(helpIds('disconnectionAlertIds')),
  /**
   * zvm mode: how long after a sendUsage that said only "taken" (Zerto 10's empty 200) the ZVM's billing
   * alerts are read again, when they were still listed: the ZVM needs a moment to clear them.
   */
  alertsDelayMs: z.optional(z.number().check(z.gte(0), z.lte(CONFIG_LIMITS.alertsDelayMs.max))),
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

/** The billing help identifiers in force for a site, and whether the operator set them (not the defaults). */
export function billingIdsOf(
  c: SiteConfig,
): BillingAlertIds & { explicit: { usage: boolean; disconnection: boolean } } {
  // A config handed over unchecked (the page's own poller) may carry the attribute's text: read it here too.
  const read = (v: readonly string[] | undefined) => {
    const r = parseHelpIds(joinIds(v ? [...v] : []));
    return r.ok ? r.ids : [];
  };
  const usage = read(c.usageAlertIds);
  const disconnection = read(c.disconnectionAlertIds);
  return {
    usage: usage.length ? usage : DEFAULT_BILLING_ALERT_IDS.usage,
    disconnection: disconnection.length ? disconnection : DEFAULT_BILLING_ALERT_IDS.disconnection,
    explicit: { usage: usage.length > 0, disconnection: disconnection.length > 0 },
  };
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
  /** When the ZVM's licence expires (epoch ms), where it says. */
  licenseExpiry?: number;
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
  /** The TurnedOn of its (earliest) usage alert, in this clock's frame; null when none is listed. */
  usageAlertAt: number | null;
  /** The TurnedOn of its disconnection alert, in this clock's frame. */
  disconnectedAt: number | null;
  /**
   * True when it answered Passed, or took the request and lists no billing alert after it; false when it
   * answered Failed; null when sendUsage gave no usable answer.
   */
  passed: boolean | null;
  skew: number;
  /** Its billing alerts as it words them, each with its identity. */
  alerts?: ZvmAlertNote[];
  /** Help identifiers set for the site that the ZVM says it does not know. */
  unknownIds?: string[];
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
