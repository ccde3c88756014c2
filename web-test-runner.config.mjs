import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter, summaryReporter } from '@web/test-runner';
import * as puppeteerCore from 'puppeteer-core';
import { chromePath, CHROME_ARGS, firefoxPath, FIREFOX_PREFS } from './scripts/chrome-path.mjs';
import { countReporter } from './scripts/wtr-count-reporter.mjs';
import { serversPlugin } from './test/support/servers-plugin.ts';
import { cspPlugin } from './test/support/csp-plugin.mjs';
import { builtLibraryPlugin } from './test/support/built-plugin.ts';

// The origin the reference servers' CORS lists allow follows this port: 8731, or WTR_PORT (npm test gives each
// run a free one, so that runs on one machine do not collide).
const port = Number(process.env.WTR_PORT ?? 8731);
const origins = () => [`http://localhost:${port}`, `http://127.0.0.1:${port}`];

/**
 * The engines to run in: WTR_BROWSERS=chromium,firefox (scripts/test.mjs runs one engine at a time, so that two
 * browsers never share the machine's two cores); by default Chromium, and Firefox beside it when installed.
 */
const engines = (process.env.WTR_BROWSERS ?? (firefoxPath() ? 'chromium,firefox' : 'chromium'))
  .split(',')
  .map((e) => e.trim())
  .filter(Boolean);

const launchers = {
  chromium: () =>
    chromeLauncher({
      launchOptions: { executablePath: chromePath(), headless: true, args: CHROME_ARGS },
    }),
  // Firefox through puppeteer-core over WebDriver BiDi (what @web/test-runner-puppeteer does, without the
  // full puppeteer package and its browser download); the launcher's name is then "Firefox".
  firefox: () => {
    const executablePath = firefoxPath();
    if (!executablePath)
      throw new Error('Firefox not found: install it with `apt-get install -y firefox-esr`');
    return chromeLauncher({
      puppeteer: puppeteerCore,
      launchOptions: { browser: 'firefox', executablePath, headless: true, extraPrefsFirefox: FIREFOX_PREFS },
    });
  },
};

export default {
  files: ['test/**/*.test.ts', '!test/node/**'],
  port,
  nodeResolve: { exportConditions: ['production'] },
  plugins: [
    esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' }),
    serversPlugin(origins),
    cspPlugin(),
    builtLibraryPlugin(),
  ],
  // One page at a time: a page in the background gets no animation frames and throttled timers.
  concurrency: 1,
  testFramework: { config: { timeout: 10000 } },
  browsers: engines.map((e) => {
    if (!(e in launchers)) throw new Error(`WTR_BROWSERS: unknown engine ${e} (chromium, firefox)`);
    return launchers[e]();
  }),
  reporters: [
    defaultReporter({ reportTestResults: true, reportTestProgress: false }),
    summaryReporter({ flatten: false }),
    countReporter(process.env.WTR_RESULTS ?? '.wtr-results.json'),
  ],
};
