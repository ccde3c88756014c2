import { reasonText, type FailureReason, type Policy } from '../../src/core/index.ts';
import type { SiteSecrets } from '../../src/world/probes/index.ts';
import { discoverSite } from '../../src/world/probes/zvm.ts';
import { obtainZvmSecrets } from '../../src/world/zvm-credentials.ts';
import { siteConfig, type SiteCredentials, type SiteEntry } from '../shared/settings.ts';

/**
 * The site a ZVM serves, read when the admin saves a zvm site without its identifier: GET /v1/localsite
 * (`SiteIdentifier`, or Zerto 10's `link.identifier`), signed in as the site will be (its login's token or
 * session, obtained here for this one request, or its static token or session). Run by the options page,
 * which already holds what the admin typed, once the browser allowed it to reach the ZVM.
 */
export async function discoverSiteId(
  entry: SiteEntry,
  secrets: SiteCredentials,
  policy: Policy,
): Promise<{ ok: true; id: string; name: string } | { ok: false; reason: string }> {
  const config = siteConfig({ ...entry, siteId: 'discovering', retries: 0 }, policy);
  if (!config.ok) return { ok: false, reason: config.error };
  const zvmUrl = config.value.zvmUrl;
  if (!zvmUrl) return { ok: false, reason: 'no ZVM address' };
  let signed: SiteSecrets = {
    ...(secrets.token ? { token: secrets.token } : {}),
    ...(secrets.session ? { session: secrets.session } : {}),
  };
  if (secrets.login) {
    const o = await obtainZvmSecrets(zvmUrl, secrets.login, { timeoutMs: entry.timeoutMs });
    if (!o.ok) return { ok: false, reason: said(o.reason) };
    signed = o.secrets;
  }
  const r = await discoverSite({ config: config.value, secrets: signed, now: Date.now });
  return r.ok ? r : { ok: false, reason: said(r.reason) };
}

function said(r: FailureReason): string {
  // The probe's own words for a refusal address an element's developer; here the admin typed the credentials.
  if (r.kind === 'auth' && !/token endpoint|session login/.test(r.detail ?? ''))
    return `the ZVM refused the credentials given here (HTTP ${r.status ?? 401})`;
  return reasonText(r);
}
