/**
 * A check for Nagios/Icinga-style monitors: reads one ZVM's billing alerts (no side effect: sendUsage is not
 * called), runs them through the engine on the ZVM's own clock, prints one line with perfdata and returns
 * the plugin exit code: 0 OK (no billing alert), 1 WARNING (usage alert), 2 CRITICAL (the last day, or the
 * VRAs disconnected), 3 UNKNOWN (the ZVM cannot be read: never a billing alarm).
 */
import {
  createState,
  DAY,
  leftText,
  parsePolicy,
  phaseLabel,
  reasonText,
  reduce,
  viewOf,
  type FailureReason,
} from '../src/core/index.ts';
import type { SiteConfig } from '../src/world/probes/index.ts';
import { billingAlerts } from '../src/world/probes/zvm.ts';
import {
  AlertsSchema,
  authHeaders,
  endpoint,
  fetchJson,
  LocalSiteSchema,
} from '../src/world/probes/usage.ts';
import type { ResolvedAuth } from './config.ts';
import { ZvmCredentials } from './credentials.ts';

export const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type CheckState = keyof typeof EXIT;

export interface CheckOptions {
  url: string;
  auth: ResolvedAuth;
  graceDays: number;
  /** A usage alert with this many days left or fewer is CRITICAL. */
  criticalDays: number;
  timeoutMs: number;
}

export interface CheckResult {
  state: CheckState;
  line: string;
}

const PREFIX = 'ZERTO BILLING';

export async function runCheck(o: CheckOptions): Promise<CheckResult> {
  const host = hostOf(o.url);
  const unknown = (r: FailureReason): CheckResult => ({
    state: 'UNKNOWN',
    line: `${PREFIX} UNKNOWN - cannot read the billing alerts of the ZVM at ${host}: ${reasonText(r)} (${r.kind}${
      r.status ? ` ${r.status}` : ''
    }); this is not a billing alarm`,
  });
  const policy = parsePolicy({ graceDays: o.graceDays });
  if (!policy.ok) return unknown({ kind: 'misconfigured', detail: policy.error });
  const creds = await new ZvmCredentials(o.url, o.auth, o.timeoutMs).get();
  if (!creds.ok) return unknown(creds.reason);
  const config = {
    siteId: 'check',
    siteName: '',
    mode: 'zvm',
    zvmUrl: o.url,
    billingUrl: 'https://autologs.zerto.com',
    policy: policy.value,
    timeoutMs: o.timeoutMs,
    retries: 0,
  } satisfies SiteConfig;
  const ctx = { config, secrets: creds.secrets, now: Date.now };
  const site = await fetchJson(
    ctx,
    endpoint(o.url, 'v1/localsite'),
    { headers: authHeaders(ctx) },
    LocalSiteSchema,
    'localsite',
  );
  if (!site.ok) return unknown(site.reason);
  const alerts = await fetchJson(
    ctx,
    endpoint(o.url, 'v1/alerts'),
    { headers: authHeaders(ctx) },
    AlertsSchema,
    'alerts',
  );
  if (!alerts.ok) return unknown(alerts.reason);
  // On the ZVM's own clock (its Date header, whole seconds), as it counts its days.
  const zvmNow = typeof alerts.date === 'number' ? alerts.date + 500 : Date.now();
  const times = billingAlerts(alerts.value, 0);
  if (!times.ok) return unknown(times.reason);
  const name = site.value.sitename || site.value.siteidentifier;
  const s0 = createState({ id: site.value.siteidentifier, name }, policy.value, zvmNow, true);
  const state = reduce(s0, { type: 'zvm', ...times.times, passed: null, skew: 0 }, zvmNow);
  const view = viewOf(state, zvmNow);
  const count = [times.times.usageAlertAt, times.times.disconnectedAt].filter((t) => t !== null).length;
  const perf = [
    `billing_alerts=${count};1;;0`,
    `vra_disconnected=${view.phase === 'disconnected' ? 1 : 0};;1;0;1`,
  ];
  if (view.phase === 'disconnected') {
    const since = new Date(view.disconnectedAt ?? zvmNow).toISOString();
    return {
      state: 'CRITICAL',
      line: `${PREFIX} CRITICAL - ${name}: ${phaseLabel('disconnected', 'zvm')} since ${since} (usage not sent to Zerto) | ${perf.join(' ')}`,
    };
  }
  if (view.phase === 'warning' && view.msLeft !== null) {
    const daysLeft = view.daysLeft ?? 0;
    const state: CheckState = view.msLeft <= o.criticalDays * DAY ? 'CRITICAL' : 'WARNING';
    const left = view.remaining ? leftText(view.remaining) : 'deadline passed';
    const deadline = new Date(view.deadline!).toISOString();
    perf.push(
      `days_left=${daysLeft};;${o.criticalDays};0;${Math.ceil(o.graceDays)}`,
      `seconds_left=${Math.floor(view.msLeft / 1000)}s;;${Math.round(o.criticalDays * 86_400)};0`,
    );
    return {
      state,
      line: `${PREFIX} ${state} - ${name}: ${phaseLabel('warning', 'zvm')}, ${left}; the ZVM stops communicating with its VRAs at ${deadline} | ${perf.join(' ')}`,
    };
  }
  return { state: 'OK', line: `${PREFIX} OK - ${name}: no billing alert on the ZVM | ${perf.join(' ')}` };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
