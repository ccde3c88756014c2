// Attribute strings to a site config, at page load. Written without zod (the banner's page-load code carries
// no schema library) but with the very rules the zod `SiteConfigSchema` applies (`policyFieldError`,
// `CONFIG_LIMITS`, `isHttpUrl`); the poller checks what it is handed against that schema again.
import { parsePolicy, type Policy } from '../../src/core/policy.ts';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/core/time.ts';
import type { Parsed } from '../../src/core/validation.ts';
import {
  CONFIG_LIMITS,
  DEFAULT_BILLING_URL,
  isHttpUrl,
  isProbeMode,
  PROBE_MODES,
} from '../../src/world/probes/config.ts';
import type { SiteConfig } from '../../src/world/probes/types.ts';

const UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** Reads "90s", "15m", "1h", "2d", "1.5h" or a bare number of milliseconds. */
export function parseDuration(name: string, text: string): Parsed<number> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!m)
    return { ok: false, error: `${name}: "${text}" is not a duration (write it like 90s, 15m, 1h or 2d)` };
  return { ok: true, value: Number(m[1]) * UNITS[(m[2] ?? 'ms').toLowerCase()]! };
}

/** The attributes every site-bound element shares. */
export interface SiteAttributes {
  siteId: string | null;
  siteName: string | null;
  mode: string | null;
  billingUrl: string | null;
  zvmUrl: string | null;
  serviceUrl?: string | null;
  protectedVms: string | null;
  interval: string | null;
  alertAfter: string | null;
  graceDays: string | null;
  timeout: string | null;
  /** zvm mode: the billing alerts' help identifiers, spaces or commas between them. */
  usageAlertIds?: string | null;
  disconnectionAlertIds?: string | null;
}

/** Policy fields as the page author wrote them. */
const POLICY_ATTRIBUTE: Record<keyof Policy, string> = {
  interval: 'interval',
  alertAfter: 'alert-after',
  graceDays: 'grace-days',
};

const listOf = (text?: string | null): string[] | undefined => (text ? [text] : undefined);

/**
 * Turns attribute strings into a validated site config, or one message naming each bad attribute. A value that is
 * absent is `null` (an attribute) or `undefined` (a property a framework unset: React sets a removed prop to
 * undefined): both mean "not given".
 */
export function configFromAttributes(a: SiteAttributes): Parsed<SiteConfig> {
  const errors: string[] = [];
  const duration = (name: string, text: string | null): number | undefined => {
    if (text == null) return undefined;
    const d = parseDuration(name, text);
    if (!d.ok) errors.push(d.error);
    return d.ok ? d.value : undefined;
  };
  const policyInput: Partial<Policy> = {};
  const interval = duration('interval', a.interval);
  if (interval !== undefined) policyInput.interval = interval;
  const alertAfter = duration('alert-after', a.alertAfter);
  if (alertAfter !== undefined) policyInput.alertAfter = alertAfter;
  if (a.graceDays != null) {
    const n = Number(a.graceDays);
    if (a.graceDays.trim() === '' || !Number.isFinite(n))
      errors.push(`grace-days: "${a.graceDays}" is not a number of days`);
    else policyInput.graceDays = n;
  }
  const policy = parsePolicy(policyInput);
  if (!policy.ok)
    errors.push(
      policy.error.replace(/policy\.(\w+): \1 /g, (_m, f: keyof Policy) => `${POLICY_ATTRIBUTE[f] ?? f}: `),
    );

  const timeoutMs = duration('timeout', a.timeout);
  const { min: tMin, max: tMax } = CONFIG_LIMITS.timeoutMs;
  if (timeoutMs !== undefined && !(timeoutMs >= tMin && timeoutMs <= tMax))
    errors.push(`timeout: must be between ${tMin} ms and ${tMax / SECOND} s (got "${a.timeout}")`);

  let protectedVms: number | undefined;
  if (a.protectedVms != null) {
    protectedVms = Number(a.protectedVms);
    const { min, max } = CONFIG_LIMITS.protectedVms;
    if (!Number.isInteger(protectedVms) || protectedVms < min || protectedVms > max)
      errors.push(`protected-vms: "${a.protectedVms}" is not a whole number between ${min} and ${max}`);
  }

  // `service`: the state comes from the fleet service at `service-url`, which watches the ZVM (zvm's rule).
  const service = a.mode === 'service' || (a.mode == null && !!a.serviceUrl);
  const mode = service ? 'zvm' : (a.mode ?? (a.zvmUrl ? 'zvm' : 'direct'));
  if (!isProbeMode(mode)) errors.push(`mode: "${mode}" is not one of ${PROBE_MODES.join(', ')}, service`);
  if (service && !a.serviceUrl) errors.push('service-url: service mode needs the fleet service base URL');
  if (service && a.siteId == null) errors.push("site-id: service mode needs the site's id in the service");
  const siteId = a.siteId ?? (a.zvmUrl ? `zvm:${a.zvmUrl}` : null);
  if (!siteId) errors.push('site-id: required (the ZVM site identifier), unless zvm-url is given');
  else if (siteId.length > CONFIG_LIMITS.idLength)
    errors.push(`site-id: longer than ${CONFIG_LIMITS.idLength} characters`);
  if (a.siteName != null && a.siteName.length > CONFIG_LIMITS.nameLength)
    errors.push(`site-name: longer than ${CONFIG_LIMITS.nameLength} characters`);
  for (const [name, url] of [
    ['billing-url', a.billingUrl],
    ['zvm-url', a.zvmUrl],
    ['service-url', a.serviceUrl ?? null],
  ] as const)
    if (url != null && !isHttpUrl(url)) errors.push(`${name}: must be an absolute http(s) URL`);
  if (mode === 'zvm' && !service && a.zvmUrl == null) errors.push('zvm-url: zvm mode needs the ZVM base URL');

  if (errors.length || !policy.ok || !siteId || !isProbeMode(mode))
    return { ok: false, error: errors.join('; ') };
  return {
    ok: true,
    value: {
      siteId,
      siteName: a.siteName ?? '',
      mode,
      billingUrl: a.billingUrl ?? DEFAULT_BILLING_URL,
      ...(a.zvmUrl != null ? { zvmUrl: a.zvmUrl } : {}),
      ...(protectedVms !== undefined ? { protectedVms } : {}),
      policy: policy.value,
      timeoutMs: timeoutMs ?? CONFIG_LIMITS.timeoutMs.default,
      // As written: the poller's schema splits and checks them (the page-load code carries no identifier rules).
      usageAlertIds: listOf(a.usageAlertIds),
      disconnectionAlertIds: listOf(a.disconnectionAlertIds),
      retries: CONFIG_LIMITS.retries.default,
    },
  };
}
