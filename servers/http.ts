/**
 * Shared plumbing for the reference servers (node:http only): body reading with a byte limit, JSON answers,
 * CORS for an allow list of origins, listening and closing.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The demo page's origins: what the CLIs and the programmatic defaults let through CORS. */
export const DEFAULT_ALLOW_ORIGINS: readonly string[] = Object.freeze([
  'http://localhost:5170',
  'http://127.0.0.1:5170',
]);

export const CORS_ALLOW_METHODS = 'GET, POST, HEAD, OPTIONS';
export const CORS_ALLOW_HEADERS = 'Content-Type, Idempotency-Key, Authorization, x-zerto-session';

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
