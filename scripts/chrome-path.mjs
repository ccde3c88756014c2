import { existsSync } from 'node:fs';

/** What `npm test` and every test helper say when there is no Chromium to run (one wording, everywhere). */
export const CHROMIUM_MISSING = 'Chromium not found: install it with `apt-get install -y chromium`';

/**
 * Debian's Chromium: the real binary skips the wrapper script (and its harmless shell warning). CHROME_PATH
 * names another binary; one that names no file is refused here, before anything starts, rather than by a
 * launch that fails after servers are up.
 */
export function chromePath() {
  const given = process.env.CHROME_PATH;
  if (given) {
    if (existsSync(given)) return given;
    throw new Error(`${CHROMIUM_MISSING} (CHROME_PATH=${given} names no file).`);
  }
  for (const p of ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(p)) return p;
  }
  throw new Error(`${CHROMIUM_MISSING} or set CHROME_PATH.`);
}

/** Flags verified on these machines; without the background-networking ones Chromium floods a closed network. */
export const CHROME_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-quic',
];

/**
 * Debian's Firefox ESR (the real binary, not the /usr/bin/firefox wrapper), or FIREFOX_PATH; null when there is
 * none: the browser tests then run in Chromium only, and `npm test` says so. A FIREFOX_PATH that names no file
 * is an error, not a quiet fallback.
 */
export function firefoxPath() {
  const given = process.env.FIREFOX_PATH;
  if (given) {
    if (existsSync(given)) return given;
    throw new Error(`Firefox not found: FIREFOX_PATH=${given} names no file.`);
  }
  for (const p of ['/usr/lib/firefox-esr/firefox-esr', '/usr/lib/firefox/firefox', '/usr/bin/firefox-esr']) {
    if (existsSync(p)) return p;
  }
  return null;
}

export const FIREFOX_MISSING = 'Firefox not found: install it with `apt-get install -y firefox-esr`';

/**
 * Preferences on top of puppeteer's own for Firefox (which already turn off updates, telemetry and most
 * background requests): no captive-portal or connectivity checks, no remote settings, on a closed network.
 */
export const FIREFOX_PREFS = {
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'browser.safebrowsing.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
};
