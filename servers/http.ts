/**
 * Shared plumbing for the reference servers (node:http only): a server with request, header and idle timeouts
 * and a connection cap that answers malformed HTTP in JSON, body reading with a byte limit, JSON answers
 * (whole or streamed), CORS for an allow list of origins, listening and closing.
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** The demo page's origins: what the CLIs and the programmatic defaults let through CORS. */
export const DEFAULT_ALLOW_ORIGINS: readonly string[] = Object.freeze([
  'http://localhost:5170',
  'http://127.0.0.1:5170',
]);

export const CORS_ALLOW_METHODS = 'GET, POST, HEAD, OPTIONS';
export const CORS_ALLOW_HEADERS =
  'Content-Type, Idempotency-Key, Authorization, x-zerto-session, X-Control-Token';

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: 'too-large'; limit: number }
  | { ok: false; reason: 'aborted' };

/**
 * Reads a request body, refusing it as soon as it passes `limit` bytes: a declared Content-Length over the
 * limit is refused before a byte is read, and a chunked body is refused at the first chunk past it, so an
 * oversized upload is never buffered.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ ok: false, reason: 'too-large', limit });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop taking data in; the answer goes out with `Connection: close` (see refuseTooLarge).
        req.pause();
        finish({ ok: false, reason: 'too-large', limit });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onAbort = () => finish({ ok: false, reason: 'aborted' });
    const onClose = () => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

/**
 * After refusing a body we did not read, the connection cannot be reused (the rest of the body is still in
 * flight). Closing at once would make the kernel send a reset that can destroy our answer before the
 * client reads it, so: half-close after the answer, discard what still arrives, and cut after a short linger.
 */
export function lingerAndClose(req: IncomingMessage, res: ServerResponse, lingerMs = 2000): void {
  const socket = req.socket;
  res.once('finish', () => {
    const cut = setTimeout(() => socket.destroy(), lingerMs);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
    socket.on('data', () => undefined);
    socket.resume();
    req.resume();
    socket.end();
  });
}

/** Headers every JSON answer carries: never cached (these are live states and acknowledgements). */
const NO_STORE = { 'Cache-Control': 'no-store' };

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...NO_STORE,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...NO_STORE, ...headers });
  res.end();
}

/** The billing protocol's error shape: `{ error: { code, field?, message } }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  field?: string,
  headers: Record<string, string> = {},
): void {
  const error: Record<string, string> = { code };
  if (field !== undefined) error.field = field;
  error.message = message;
  sendJson(res, status, { error }, headers);
}

/**
 * Sets CORS headers when the request's origin is allowed (echoing it, never `*`, so that the allow list
 * means something). Other origins get no CORS headers at all, and the browser refuses them.
 */
export function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  allowOrigins: readonly string[],
  exposeHeaders: readonly string[] = [],
): boolean {
  // Caches must keep answers for different origins apart, allowed or not.
  res.setHeader('Vary', 'Origin');
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !allowOrigins.includes(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  if (exposeHeaders.length > 0) res.setHeader('Access-Control-Expose-Headers', exposeHeaders.join(', '));
  return true;
}

/** Answers a CORS preflight: 204, with the allow headers only for an allowed origin. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, allowed: boolean): void {
  const headers: Record<string, string> = { Allow: CORS_ALLOW_METHODS };
  if (allowed) {
    headers['Access-Control-Allow-Methods'] = CORS_ALLOW_METHODS;
    headers['Access-Control-Allow-Headers'] = CORS_ALLOW_HEADERS;
    headers['Access-Control-Max-Age'] = '600';
    // Chrome's Private Network Access asks before a page reaches a loopback server.
    if (req.headers['access-control-request-private-network'] === 'true') {
      headers['Access-Control-Allow-Private-Network'] = 'true';
    }
  }
  sendEmpty(res, 204, headers);
}

/** The path and query of a request; null when the request target is not a usable path. */
export function requestUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) return null;
  try {
    // Prefixing keeps `//x` a path instead of a host.
    return new URL(`http://localhost${target}`);
  } catch {
    return null;
  }
}

/** True when the Content-Type names JSON (`application/json` or `application/*+json`), in UTF-8 if named. */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type = '', ...params] = value.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return false;
  const charset = params.find((p) => p.startsWith('charset='));
  return charset === undefined || charset.replace(/"/g, '') === 'charset=utf-8';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a body as UTF-8 JSON; the message says what is wrong with it. */
export function parseJsonBody(body: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, message: 'body: is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, message: 'body: is empty; expected a JSON object' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `body: is not valid JSON (${(e as Error).message})` };
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An error for a port that is taken, with a message a person can act on; `code` stays `EADDRINUSE`. */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(`port ${port} is already in use on ${host}`);
    this.name = 'PortInUseError';
  }
}

/** Listens and resolves with the port actually bound (useful with port 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host) : err);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The URL a client on this machine uses to reach a server bound to `host`. */
export function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Stops listening and ends every connection, including requests deliberately left hanging, so that
 * `close()` never waits on a client.
 */
export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      for (const s of sockets) s.destroy();
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
    for (const s of sockets) s.destroy();
  });
}

/** Tracks open sockets so that `closeServer` can end them (closeAllConnections misses upgraded ones). */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Validates a TCP port given on a command line or in options. */
export function parsePort(
  value: unknown,
  label = 'port',
): { ok: true; port: number } | { ok: false; error: string } {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    return {
      ok: false,
      error: `${label} must be a whole number from 0 to 65535 (got ${JSON.stringify(value)})`,
    };
  }
  return { ok: true, port: n };
}

/** A one-line log entry for a request, unless quiet. */
export function logger(quiet: boolean | undefined, name: string): (line: string) => void {
  if (quiet) return () => undefined;
  return (line) => console.log(`[${name}] ${new Date().toISOString()} ${line}`);
}

/** True for an http(s) origin as a browser sends it: scheme, host and port only, no path or slash. */
export function isOrigin(value: string): boolean {
  // A browser extension's pages and service worker send `Origin: chrome-extension://<its 32-letter id>`.
  if (/^chrome-extension:\/\/[a-p]{32}$/.test(value)) return true;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === value;
  } catch {
    return false;
  }
}

/** True for an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * How long a client may take and how many may be connected at once. Loopback does not keep a client out, so
 * a socket that never sends a byte, or trickles one every few seconds, must not hold the server.
 */
export interface ServerLimits {
  /** The headers of a request must arrive within this (a silent new connection is closed after it). Default 10000. */
  headersTimeoutMs?: number;
  /** The whole request, body included, must arrive within this. Default 30000; not less than headersTimeoutMs. */
  requestTimeoutMs?: number;
  /** A kept-alive connection with no new request is closed after this. Default 5000. */
  keepAliveTimeoutMs?: number;
  /** A connection with no traffic either way is closed after this. Default 60000. */
  idleTimeoutMs?: number;
  /** Connections at once; more are closed as they arrive. Default 256. */
  maxConnections?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<ServerLimits>> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 256,
});

/** Fills the defaults and checks the limits; throws a RangeError naming the bad one. */
export function resolveLimits(given: ServerLimits = {}, who = 'server'): Required<ServerLimits> {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof ServerLimits>) {
    const value = given[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
      throw new RangeError(
        `${who}: limits.${key} must be a whole number from 1 to 2147483647 (got ${value})`,
      );
    }
    limits[key] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new RangeError(
      `${who}: limits.headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed limits.requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  }
  return limits;
}

/**
 * An HTTP server with the limits applied. A request without a Host header reaches the handler (so that the
 * host check answers it in JSON, rather than Node with a bare 400), and HTTP that Node cannot parse is
 * answered with a JSON error (see answerClientError). `extraHeaders` go on those raw answers (the simulator
 * dates them by its own clock).
 */
export function createLimitedServer(
  handler: RequestListener,
  limits: Required<ServerLimits>,
  extraHeaders: () => Record<string, string> = () => ({}),
): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this beat (30 s by default): a quarter of the shorter keeps a
      // silent connection from outliving its timeout by much.
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      requireHostHeader: false,
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  // With no 'timeout' listener, Node destroys a socket idle this long.
  server.timeout = limits.idleTimeoutMs;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(err, socket, extraHeaders()),
  );
  return server;
}

/** What Node's parser (or its request timeout) reported, as a status and the protocol's error code. */
function clientErrorAnswer(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headers-too-large', 'the request headers are larger than this server accepts'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request-timeout', 'the request did not arrive in time; the connection is closed'];
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return [
        400,
        'bad-request',
        'Content-Length is not valid (not a number, repeated, or with Transfer-Encoding)',
      ];
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_CONSTANT':
      return [400, 'bad-request', 'the request line is not HTTP/1.x (METHOD /path HTTP/1.1)'];
    default:
      return [400, 'bad-request', `the request is not valid HTTP/1.x (${code ?? 'unknown parse error'})`];
  }
}

/**
 * Answers a request Node could not parse with the protocol's JSON error and closes the connection. Nothing
 * is written where it could be mistaken for another answer: a connection already answering a request, or one
 * that cannot be written to, is only closed.
 */
export function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  extraHeaders: Record<string, string> = {},
): void {
  const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || (answering && !answering.writableEnded)) {
    socket.destroy();
    return;
  }
  const [status, code, message] = clientErrorAnswer(err.code);
  const body = JSON.stringify({ error: { code, message } });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    Connection: 'close',
    ...extraHeaders,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`);
  // A client that never reads or closes does not keep the socket.
  setTimeout(() => socket.destroy(), 2000).unref();
}

/**
 * Streams a JSON document made of `prefix`, the items (each JSON.stringify'd, comma-separated) and `suffix`,
 * without building it whole: it waits for the socket to drain and yields to other requests every ~64 KB, so
 * a long listing neither fills memory nor holds up a health check. Stops when the client goes away.
 *
 * Whether to wait is asked of the answer itself (`writableNeedDrain`) each time, never remembered from the last
 * `write()`: Node corks an answer's socket until the next tick, so a burst of writes returns false and the
 * `drain` comes while this yields; a wait decided before the yield would then wait for a drain already gone
 * (a page cut at 65 KB until the idle timeout).
 */
export async function sendJsonStream(
  res: ServerResponse,
  status: number,
  prefix: string,
  items: Iterable<unknown>,
  suffix: string,
  headers: Record<string, string> = {},
): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...NO_STORE, 'Content-Type': 'application/json; charset=utf-8', ...headers });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  const gone = () => res.destroyed || res.writableEnded;
  /** Resolves at once unless the answer's buffer is full, else at its `drain` (or when the client goes). */
  const room = () =>
    res.writableNeedDrain
      ? new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.once('drain', done);
          res.once('close', done);
        })
      : undefined;
  let sinceYield = 0;
  let first = true;
  res.write(prefix);
  for (const item of items) {
    await room();
    if (gone()) return;
    const text = (first ? '' : ',') + JSON.stringify(item);
    first = false;
    res.write(text);
    sinceYield += text.length;
    if (sinceYield >= 64 * 1024) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
      if (gone()) return;
    }
  }
  await room();
  if (!gone()) res.end(suffix);
}

/**
 * Keeps a connection open past the idle timeout while this server itself holds the answer back (the `hang`
 * and `slow` faults, which exist to be waited on); the timeout applies again once the answer is sent.
 */
export function holdOpen(res: ServerResponse, idleTimeoutMs: number): void {
  const socket = res.req.socket;
  socket.setTimeout(0);
  res.once('finish', () => {
    if (!socket.destroyed) socket.setTimeout(idleTimeoutMs);
  });
}

/** The most a control request's body may hold: control bodies are a few fields. */
export const CONTROL_BODY_LIMIT = 16 * 1024;

/**
 * Reads a small JSON object body of a control request (`/control/*`); answers the error itself (413, 400)
 * and returns undefined when it is bad. With `allowEmpty`, an empty body reads as `{}`.
 */
export async function readControlBody(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { allowEmpty?: boolean } = {},
): Promise<Record<string, unknown> | undefined> {
  const read = await readBody(req, CONTROL_BODY_LIMIT);
  if (!read.ok) {
    if (read.reason === 'too-large') {
      lingerAndClose(req, res);
      sendError(res, 413, 'too-large', `body: larger than ${CONTROL_BODY_LIMIT} bytes`, 'body');
    }
    return undefined;
  }
  if (opts.allowEmpty && read.body.length === 0) return {};
  const json = parseJsonBody(read.body);
  if (!json.ok) {
    sendError(res, 400, 'invalid', json.message, 'body');
    return undefined;
  }
  if (!isPlainObject(json.value)) {
    sendError(
      res,
      400,
      'invalid',
      `body: must be ${opts.allowEmpty ? 'empty or ' : ''}a JSON object`,
      'body',
    );
    return undefined;
  }
  return json.value;
}
