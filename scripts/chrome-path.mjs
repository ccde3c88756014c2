import { existsSync } from 'node:fs';

/** Debian's Chromium: the real binary skips the wrapper script (and its harmless shell warning). */
export function chromePath() {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  for (const p of ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(p)) return p;
  }
  throw new Error('Chromium not found: install it with `apt-get install -y chromium` or set CHROME_PATH.');
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
