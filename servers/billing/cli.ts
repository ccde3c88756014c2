/**
 * `npm run billing-server -- --port 5171 --data .data/billing --allow-origin http://localhost:5170`
 * Starts the reference billing receiver until SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_ALLOW_ORIGINS, isOrigin, parsePort, PortInUseError } from '../http.ts';
import { startBillingServer } from './server.ts';

const USAGE = `usage: npm run billing-server -- [options]
  --port N            port to listen on (default 5171; 0 = any free port)
  --host H            address to bind (default 127.0.0.1)
  --data DIR          folder of the report file (default .data/billing)
  --allow-origin URL  an origin allowed by CORS; repeatable
                      (default ${DEFAULT_ALLOW_ORIGINS.join(' and ')})
  --max-body-bytes N  largest request body accepted (default 65536)
  --quiet             no request log
  --help              this text`;

function fail(message: string, code = 2): never {
  console.error(`billing-server: ${message}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string', default: '5171' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string', default: '.data/billing' },
      'allow-origin': { type: 'string', multiple: true },
      'max-body-bytes': { type: 'string', default: '65536' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = parsePort(args.port, '--port');
if (!port.ok) fail(port.error);
const maxBodyBytes = Number(args['max-body-bytes']);
if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
  fail(`--max-body-bytes must be a whole number ≥ 1 (got ${JSON.stringify(args['max-body-bytes'])})`);
}
const allowOrigins = args['allow-origin'] ?? [...DEFAULT_ALLOW_ORIGINS];
const badOrigin = allowOrigins.find((o) => !isOrigin(o));
if (badOrigin !== undefined) {
  fail(`--allow-origin must be an origin such as http://localhost:5170, without a path (got ${badOrigin})`);
}

try {
  const server = await startBillingServer({
    port: port.port,
    host: args.host,
    dataDir: args.data,
    allowOrigins,
    maxBodyBytes,
    quiet: args.quiet,
  });
  console.log(`billing receiver listening on ${server.url} (reports in ${args.data})`);
  console.log(`CORS allowed for: ${allowOrigins.join(', ') || 'no origin'}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal means "now".
      process.exit(1);
    }
    stopping = true;
    console.log(`billing receiver: ${signal}, stopping`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => fail(`could not stop cleanly: ${(e as Error).message}`, 1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  if (e instanceof PortInUseError) {
    fail(`port ${e.port} is already in use (on ${e.host}); stop what uses it or pass --port N`, 1);
  }
  fail(`could not start: ${(e as Error).message}`, 1);
}
