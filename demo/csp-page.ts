// The strict-CSP story's page: the banner over a stored warning, with no inline script or style anywhere.
import '../components/index.ts';
import { DAY, DEFAULT_POLICY } from '../src/core/index.ts';
import { openBillingDb, storageConfig } from '../src/world/storage/db.ts';
import { applyEvent } from '../src/world/storage/repo.ts';
import { postFrameHeight } from './frame-height.ts';

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) =>
  violations.push(`${e.violatedDirective} ${e.blockedURI}`),
);
storageConfig.dbName = `zbb-demo-csp-${Date.now()}`;
const now = Date.now();
const site = { id: 'csp-site', name: 'Strict console' };
const db = await openBillingDb();
await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, now - 6 * DAY);
await applyEvent(db, site, DEFAULT_POLICY, { type: 'tick' }, now);
const el = document.createElement('zerto-billing-banner');
for (const [k, v] of Object.entries({ 'site-id': site.id, 'site-name': site.name, mode: 'custom' }))
  el.setAttribute(k, v);
Object.assign(el, { probe: () => ({ ok: false, reason: { kind: 'network' } }) });
document.body.prepend(el);
Object.assign(window, { violations });
postFrameHeight();
