// The CORS story's page, framed from another host name of the demo server (another origin than the story
// page's, which the reference servers' CORS allow-lists do not name): the banner in zvm mode reads the real
// ZVM simulator from here, and the browser refuses its answers, as it would for a console whose origin a
// ZVM does not allow.
import '../components/index.ts';
import { storageConfig } from '../src/world/storage/db.ts';
import type { DemoServers } from './stories.ts';
import { postFrameHeight } from './frame-height.ts';

storageConfig.dbName = `zbb-demo-other-origin-${Date.now()}`;
const servers = await fetch('/__demo/servers')
  .then((r) => (r.ok ? (r.json() as Promise<DemoServers>) : null))
  .catch(() => null);
const p = document.createElement('p');
document.body.append(p);
if (!servers) {
  p.textContent = 'This story needs the real ZVM simulator: run `npm start` and open the URL it prints.';
} else {
  p.textContent = `A console served from ${location.origin}, which the ZVM simulator at ${new URL(servers.zvmUrl).host} does not allow (CORS).`;
  const el = document.createElement('zerto-billing-banner');
  const attrs = {
    'site-id': 'sim-site-01',
    'site-name': 'Lisbon DR (simulated ZVM)',
    mode: 'zvm',
    'zvm-url': servers.zvmUrl,
    timeout: '3s',
  };
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  Object.assign(el, { token: servers.token });
  document.body.append(el);
}
postFrameHeight();
