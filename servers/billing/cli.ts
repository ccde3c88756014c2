/**
 * `npm run billing-server -- --port 5171 --data .data/billing --allow-origin http://localhost:5170`
 * Starts the reference billing receiver until SIGINT or SIGTERM, and prints its URL and control token.
 */
import { commonOptions, commonUsage, createCli } from '../cli-args.ts';
import { startBillingServer } from './server.ts';

const USAGE = `usage: npm run billing-server -- [options]
${commonUsage(5171)}
  --data DIR            folder of the report file (default .data/billing)
  --max-body-bytes N    largest request body accepted (default 65536)`;

const cli = createCli('billing-server', USAGE);
const args = cli.parse({
  ...commonOptions(5171),
  data: { type: 'string', default: '.data/billing' },
  'max-body-bytes': { type: 'string', default: '65536' },
});
const common = cli.common(args);
const maxBodyBytes = cli.whole(args['max-body-bytes'], '--max-body-bytes', 1);

const server = await cli.start(() => startBillingServer({ ...common, dataDir: args.data, maxBodyBytes }));
console.log(`billing receiver listening on ${server.url} (reports in ${args.data})`);
console.log(`CORS allowed for: ${common.allowOrigins.join(', ') || 'no origin'}`);
cli.printControl(server.url, server.controlToken);
cli.stopOnSignal('billing receiver', () => server.close());
