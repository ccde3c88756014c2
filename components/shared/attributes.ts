import { DAY, HOUR, MINUTE, parsePolicy, SECOND, type Parsed, type Policy } from '../../src/core/index.ts';
import { parseSiteConfig, type SiteConfig } from '../../src/world/probes/index.ts';

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
  protectedVms: string | null;
  interval: string | null;
  alertAfter: string | null;
  graceDays: string | null;
  timeout: string | null;
}

/** Turns attribute strings into a validated site config, or one message naming each bad attribute. */
export function configFromAttributes(a: SiteAttributes): Parsed<SiteConfig> {
  const errors: string[] = [];
  const policyInput: Partial<Policy> = {};
  if (a.interval !== null) {
    const d = parseDuration('interval', a.interval);
    if (d.ok) policyInput.interval = d.value;
    else errors.push(d.error);
  }
  if (a.alertAfter !== null) {
    const d = parseDuration('alert-after', a.alertAfter);
    if (d.ok) policyInput.alertAfter = d.value;
    else errors.push(d.error);
  }
  if (a.graceDays !== null) {
    const n = Number(a.graceDays);
    if (a.graceDays.trim() === '' || !Number.isFinite(n))
      errors.push(`grace-days: "${a.graceDays}" is not a number of days`);
    else policyInput.graceDays = n;
  }
  const policy = parsePolicy(policyInput);
  if (!policy.ok) errors.push(attributeNames(policy.error));
  let timeoutMs: number | undefined;
  if (a.timeout !== null) {
    const d = parseDuration('timeout', a.timeout);
    if (d.ok) timeoutMs = d.value;
    else errors.push(d.error);
  }
  let protectedVms: number | undefined;
  if (a.protectedVms !== null) {
    protectedVms = Number(a.protectedVms);
    if (!Number.isInteger(protectedVms) || protectedVms < 0)
      errors.push(`protected-vms: "${a.protectedVms}" is not a whole number`);
  }
  const mode = a.mode ?? (a.zvmUrl ? 'zvm' : 'direct');
  const siteId = a.siteId ?? (a.zvmUrl ? `zvm:${a.zvmUrl}` : null);
  if (!siteId) errors.push('site-id: required (the ZVM site identifier), unless zvm-url is given');
  if (errors.length) return { ok: false, error: errors.join('; ') };
  const parsed = parseSiteConfig({
    siteId,
    siteName: a.siteName ?? '',
    mode,
    ...(a.billingUrl !== null ? { billingUrl: a.billingUrl } : {}),
    ...(a.zvmUrl !== null ? { zvmUrl: a.zvmUrl } : {}),
    ...(protectedVms !== undefined ? { protectedVms } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    policy: policy.ok ? policy.value : undefined,
  });
  return parsed.ok ? parsed : { ok: false, error: attributeNames(parsed.error) };
}

/** Speaks of attributes the way the page author wrote them (grace-days, not policy.graceDays). */
function attributeNames(message: string): string {
  return message
    .replace(/policy\.interval/g, 'interval')
    .replace(/policy\.alertAfter/g, 'alert-after')
    .replace(/policy\.graceDays/g, 'grace-days')
    .replace(/config\.siteId/g, 'site-id')
    .replace(/config\.mode/g, 'mode')
    .replace(/config\.billingUrl/g, 'billing-url')
    .replace(/config\.zvmUrl/g, 'zvm-url')
    .replace(/config\.timeoutMs/g, 'timeout')
    .replace(/\b(graceDays|alertAfter|interval|billingUrl|zvmUrl) must/g, 'must');
}
