// A small HTTP client for the server tests: node:http with no connection pooling, so that hangs, resets
// and early answers are seen exactly as they happen, with a hard timeout so that no test can wait forever.
import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body parsed as JSON (throws if it is not). */
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The whole exchange must finish within this; default 4000 ms. */
  timeoutMs?: number;
}

/** Rejects with an error whose `code` is `TEST_TIMEOUT` on timeout, or the socket's code (ECONNRESET …). */
export function request(url: string, opts: RequestOptions = {}): Promise<Answer> {
  const { method = 'GET', headers = {}, body, timeoutMs = 4000 } = opts;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
    });
    const timer = setTimeout(() => {
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TEST_TIMEOUT' }));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export const json = (value: unknown): string => JSON.stringify(value);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 4000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Every report of a listing, following `next` page by page; also how many pages it took. */
export async function listAll<T = { reportId: string }>(
  url: string,
  limit?: number,
): Promise<{ reports: T[]; pages: number }> {
  const reports: T[] = [];
  let pages = 0;
  let next: string | null = '';
  const sep = url.includes('?') ? '&' : '?';
  while (next !== null) {
    const query = `cursor=${encodeURIComponent(next)}${limit === undefined ? '' : `&limit=${limit}`}`;
    const answer = await request(`${url}${sep}${query}`);
    if (answer.status !== 200) throw new Error(`listing answered ${answer.status}: ${answer.text}`);
    const page = answer.json<{ reports: T[]; count: number; next: string | null }>();
    if (page.count !== page.reports.length) throw new Error('count is not the number of reports of the page');
    reports.push(...page.reports);
    next = page.next;
    if (++pages > 10_000) throw new Error('the listing never ends');
  }
  return { reports, pages };
}

export interface RawExchange {
  /** Everything the server sent. */
  text: string;
  /** Milliseconds from connecting until the server closed the connection (or the test gave up). */
  closedAfterMs: number;
  /** False when the server still had the connection open after `timeoutMs`. */
  closedByServer: boolean;
  /** The answer's status and JSON body, when the text is one HTTP answer. */
  status: number | null;
  json<T = { error: { code: string; message: string } }>(): T;
}

/**
 * Sends raw bytes (a malformed request, or nothing at all) on a new connection and collects what comes back
 * until the server closes it; gives up after `timeoutMs`. `trickle` sends one more byte every so often.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  opts: { timeoutMs?: number; trickleEveryMs?: number } = {},
): Promise<RawExchange> {
  const { timeoutMs = 4000, trickleEveryMs } = opts;
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let trickle: NodeJS.Timeout | undefined;
    const finish = (byServer: boolean) => {
      clearTimeout(timer);
      clearInterval(trickle);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({
        text,
        closedAfterMs: Date.now() - started,
        closedByServer: byServer,
        status: m ? Number(m[1]) : null,
        json: <T>() => JSON.parse(body) as T,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => {
      if (bytes.length > 0) socket.write(bytes);
      if (trickleEveryMs !== undefined) {
        trickle = setInterval(() => socket.writable && socket.write('x'), trickleEveryMs);
      }
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  /** Resolves with the first stdout text that matches, or rejects if the process ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code (killing the process after `timeoutMs`). */
  exit(timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs a CLI of this repo under tsx, from the repository root. */
export function runCli(script: string, args: string[]): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const m = pattern.exec(stdout);
        if (m) return m[0];
        if (child.exitCode !== null) break;
        await sleep(50);
      }
      throw new Error(`output ${pattern} not seen; stdout: ${stdout}; stderr: ${stderr}`);
    },
    signal: (sig) => void child.kill(sig),
    async exit(timeoutMs = 10_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return { code, stdout, stderr };
    },
  };
}
