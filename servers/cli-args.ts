/**
 * What the two server command lines share: flag parsing with a usage text, the flags both take (port, host,
 * CORS origins, extra host names, control token, quiet, help) checked the same way, the start-up failure
 * messages, and stopping on SIGINT or SIGTERM. Exit codes: 2 for a bad flag, 1 for a failure to start.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CONTROL_TOKEN_HEADER } from './guard.ts';
import { DEFAULT_ALLOW_ORIGINS, isOrigin, parsePort, PortInUseError } from './http.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>
>['values'];

/** The usage lines of the shared flags (but --quiet and --help, which createCli adds at the end). */
export function commonUsage(defaultPort: number): string {
  return `  --port N              port to listen on (default ${defaultPort}; 0 = any free port)
  --host H              address to bind (default 127.0.0.1)
  --allow-origin URL    an origin allowed by CORS and on the control routes; repeatable
                        (default ${DEFAULT_ALLOW_ORIGINS.join(' and ')})
  --host-name NAME      another name this server answers to (a proxy's name for it); repeatable.
                        Loopback names with the server's port always work; other Host headers are refused
  --control-token T     the token the /control routes need in ${CONTROL_TOKEN_HEADER}
                        (default: a random one, printed at start)`;
}

const CLOSING_USAGE = `
  --quiet               no request log
  --help                this text`;

export function commonOptions(defaultPort: number) {
  return {
    port: { type: 'string', default: String(defaultPort) },
    host: { type: 'string', default: '127.0.0.1' },
    'allow-origin': { type: 'string', multiple: true },
    'host-name': { type: 'string', multiple: true },
    'control-token': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  } as const satisfies Options;
}

export interface CommonFlags {
  port: number;
  host: string;
  allowOrigins: string[];
  hosts: string[];
  controlToken: string | undefined;
  quiet: boolean;
}

export interface Cli {
  /** Prints the message (and the usage, for a bad flag) and exits. */
  fail(message: string, code?: 1 | 2): never;
  /** Parses the flags, printing the usage for --help; exits 2 on an unknown or malformed flag. */
  parse<T extends Options>(options: T): Values<T>;
  /** Checks the shared flags. */
  common(values: {
    port?: string;
    host?: string;
    'allow-origin'?: string[];
    'host-name'?: string[];
    'control-token'?: string;
    quiet?: boolean;
  }): CommonFlags;
  /** A flag's whole number ≥ min, or undefined when the flag was not given; exits 2 otherwise. */
  whole(value: string | undefined, flag: string, min?: number): number | undefined;
  /** Starts the server, or exits 1 saying why it could not (a taken port said plainly). */
  start<S>(start: () => Promise<S>): Promise<S>;
  /** Prints how to reach the control routes. */
  printControl(url: string, token: string): void;
  /** Stops the server on SIGINT or SIGTERM and exits 0; a second signal exits at once. */
  stopOnSignal(what: string, close: () => Promise<void>): void;
}

/** `usageStart` is the usage text before the shared closing flags (--quiet, --help), which are added. */
export function createCli(name: string, usageStart: string): Cli {
  const usage = usageStart + CLOSING_USAGE;
  const fail = (message: string, code: 1 | 2 = 2): never => {
    console.error(`${name}: ${message}`);
    if (code === 2) console.error(usage);
    process.exit(code);
  };
  return {
    fail,
    parse<T extends Options>(options: T): Values<T> {
      let values: Values<T>;
      try {
        values = parseArgs({ options, strict: true, allowPositionals: false }).values as Values<T>;
      } catch (e) {
        return fail((e as Error).message);
      }
      if ((values as { help?: boolean }).help) {
        console.log(usage);
        process.exit(0);
      }
      return values;
    },
    common(v) {
      const port = parsePort(v.port, '--port');
      if (!port.ok) return fail(port.error);
      const allowOrigins = v['allow-origin'] ?? [...DEFAULT_ALLOW_ORIGINS];
      const badOrigin = allowOrigins.find((o) => !isOrigin(o));
      if (badOrigin !== undefined) {
        fail(
          `--allow-origin must be an origin such as http://localhost:5170, without a path (got ${badOrigin})`,
        );
      }
      const token = v['control-token'];
      if (token !== undefined && !/^[\x21-\x7e]{16,256}$/.test(token)) {
        fail('--control-token must be 16 to 256 printable ASCII characters without spaces');
      }
      return {
        port: port.port,
        host: v.host ?? '127.0.0.1',
        allowOrigins,
        hosts: v['host-name'] ?? [],
        controlToken: token,
        quiet: v.quiet ?? false,
      };
    },
    whole(value, flag, min = 0) {
      if (value === undefined) return undefined;
      const n = value.trim() === '' ? NaN : Number(value);
      if (!Number.isInteger(n) || n < min)
        fail(`${flag} must be a whole number ≥ ${min} (got ${JSON.stringify(value)})`);
      return n;
    },
    async start(start) {
      try {
        return await start();
      } catch (e) {
        if (e instanceof PortInUseError) {
          return fail(
            `port ${e.port} is already in use (on ${e.host}); stop what uses it or pass --port N`,
            1,
          );
        }
        // A bad --host-name or similar is found when the server checks its options: still a bad flag.
        if (e instanceof RangeError || e instanceof TypeError) return fail(e.message);
        return fail(`could not start: ${(e as Error).message}`, 1);
      }
    },
    printControl(url, token) {
      console.log(`control token: ${token}`);
      console.log(`  e.g. curl -H '${CONTROL_TOKEN_HEADER}: ${token}' ${url}/control/...`);
    },
    stopOnSignal(what, close) {
      let stopping = false;
      const stop = (signal: string) => {
        // A second signal means "now".
        if (stopping) process.exit(1);
        stopping = true;
        console.log(`${what}: ${signal}, stopping`);
        close().then(
          () => process.exit(0),
          (e: unknown) => fail(`could not stop cleanly: ${(e as Error).message}`, 1),
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    },
  };
}
