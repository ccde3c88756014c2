import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter, summaryReporter } from '@web/test-runner';
import { chromePath, CHROME_ARGS } from './scripts/chrome-path.mjs';
import { countReporter } from './scripts/wtr-count-reporter.mjs';
import { serversPlugin } from './test/support/servers-plugin.ts';
import { cspPlugin } from './test/support/csp-plugin.mjs';
import { builtLibraryPlugin } from './test/support/built-plugin.ts';

// A fixed port keeps the origin known to the reference servers' CORS list; WTR_PORT moves it.
const port = Number(process.env.WTR_PORT ?? 8731);
const origins = () => [`http://localhost:${port}`, `http://127.0.0.1:${port}`];

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
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: chromePath(), headless: true, args: CHROME_ARGS },
    }),
  ],
  reporters: [
    defaultReporter({ reportTestResults: true, reportTestProgress: false }),
    summaryReporter({ flatten: false }),
    countReporter(process.env.WTR_RESULTS ?? '.wtr-results.json'),
  ],
};
