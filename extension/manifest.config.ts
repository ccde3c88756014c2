import { defineManifest } from '@crxjs/vite-plugin';
import pkg from '../package.json' with { type: 'json' };

/**
 * Least privilege: no host permission at install. The hosts of each site (its ZVM, its billing endpoint)
 * and the consoles that get the banner are optional host permissions, asked for when the admin saves that
 * site; the proxy and webRequest permissions are asked for when the admin turns the billing proxy on.
 * README.md ("The browser extension") says why each permission is needed.
 */
export default defineManifest({
  manifest_version: 3,
  name: 'Zerto billing banner',
  short_name: 'Zerto billing',
  version: pkg.version,
  description:
    'Watches Zerto sites for billing usage that does not reach Zerto: days left on the toolbar, notifications, and the banner in your consoles.',
  minimum_chrome_version: '121',
  icons: {
    16: 'icons/icon-16.png',
    32: 'icons/icon-32.png',
    48: 'icons/icon-48.png',
    128: 'icons/icon-128.png',
  },
  background: { service_worker: 'background/index.ts', type: 'module' },
  action: {
    default_popup: 'popup/index.html',
    default_title: 'Zerto billing',
    default_icon: { 16: 'icons/icon-16.png', 32: 'icons/icon-32.png' },
  },
  options_ui: { page: 'options/index.html', open_in_tab: true },
  // An organisation deploys its site list by policy (chrome.storage.managed): no permission is needed to
  // read it, and the browser checks the policy against this schema.
  storage: { managed_schema: 'managed-schema.json' },
  // unlimitedStorage: the outbox of usage reports not yet acknowledged must never be evicted.
  permissions: ['storage', 'unlimitedStorage', 'alarms', 'notifications', 'scripting'],
  optional_permissions: ['proxy', 'webRequest', 'webRequestAuthProvider'],
  optional_host_permissions: ['https://*/*', 'http://*/*'],
});
