// The rules of a site's configuration, without zod: the banner's attribute parser (page-load code) and the
// zod `SiteConfigSchema` (which checks what the poller is handed) both apply these, so they cannot disagree.

export const PROBE_MODES = ['zvm', 'direct', 'reachability', 'custom'] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];

/** The vendor's billing host. */
export const DEFAULT_BILLING_URL = 'https://autologs.zerto.com';

export const CONFIG_LIMITS = {
  idLength: 200,
  nameLength: 200,
  protectedVms: { min: 0, max: 1_000_000 },
  timeoutMs: { min: 100, max: 120_000, default: 10_000 },
  retries: { min: 0, max: 5, default: 2 },
  alertsDelayMs: { max: 60_000, default: 2_000 },
} as const;

export const isProbeMode = (s: unknown): s is ProbeMode => PROBE_MODES.includes(s as ProbeMode);

/** An absolute http: or https: URL (anything else, `javascript:` included, is refused). */
export function isHttpUrl(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

export const httpUrlMessage = (field: string) => `${field} must be an absolute http(s) URL`;
