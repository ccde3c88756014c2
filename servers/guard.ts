/**
 * What keeps a web page away from the reference servers. Loopback is no wall: any page the browser shows can
 * post to 127.0.0.1, and a name of the attacker's that resolves to 127.0.0.1 (DNS rebinding) can even read
 * the answers. So every route refuses a `Host` that is not the server's own, and the control routes (faults,
 * clock, clear) also need the token printed at start, refuse a foreign `Origin`, and take only JSON bodies
 * (a cross-site `text/plain` post needs no preflight; a JSON one, or one with the token header, does).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isJsonContentType } from './http.ts';

/** The header a control request carries its token in (not a cookie: a browser never sends it on its own). */
export const CONTROL_TOKEN_HEADER = 'X-Control-Token';

const TOKEN_PATTERN = /^[\x21-\x7e]{16,256}$/;

/** A fresh control token: 24 random bytes, base64url (32 characters). */
export function newControlToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token given in options, checked, or a fresh one; throws a RangeError for a token too weak to keep. */
export function controlTokenOption(given: unknown, who: string): string {
  if (given === undefined) return newControlToken();
  if (typeof given !== 'string' || !TOKEN_PATTERN.test(given)) {
    throw new RangeError(
      `${who}: controlToken must be 16 to 256 printable ASCII characters without spaces (or left out for a random one)`,
    );
  }
  return given;
}

/** A refusal, answered by each server in its own error shape. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  field?: string;
}

const HOST_NAME =
  /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)$/;

/** Checks names given as `hosts`: host names or IP addresses (IPv6 in brackets), no port. */
export function hostsOption(given: unknown, who: string): string[] {
  if (given === undefined) return [];
  if (!Array.isArray(given)) throw new TypeError(`${who}: hosts must be an array of host names`);
  return given.map((h: unknown) => {
    const name = typeof h === 'string' ? h.toLowerCase() : '';
    if (!HOST_NAME.test(name)) {
      throw new RangeError(
        `${who}: hosts: ${JSON.stringify(h)} is not a host name or IP address (no scheme, no port: billing.test, 10.0.0.5, [fd00::5])`,
      );
    }
    return name;
  });
}

/**
 * The `Host` check (DNS rebinding): loopback names and the bound address must come with this server's port;
 * names configured with `hosts` (a proxy's name for it, say) are taken with any port. The port is read when
 * a request arrives, since it is known only once the server listens.
 */
export function hostGuard(
  bindHost: string,
  port: () => number,
  configured: readonly string[],
): (req: IncomingMessage) => Refusal | null {
  const own = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') {
    own.add(bindHost.includes(':') ? `[${bindHost.toLowerCase()}]` : bindHost.toLowerCase());
  }
  const named = new Set(configured);
  return (req) => {
    const header = req.headers.host;
    if (typeof header !== 'string' || header === '') {
      return {
        status: 400,
        code: 'bad-request',
        message: 'the Host header is required',
        field: 'Host',
      };
    }
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(header.toLowerCase());
    const name = m?.[1] ?? '';
    const given = m?.[2] === undefined ? null : Number(m[2]);
    const ok = HOST_NAME.test(name) && (named.has(name) || (own.has(name) && given === port()));
    if (ok) return null;
    return {
      status: 421,
      code: 'wrong-host',
      message:
        `Host ${JSON.stringify(header.slice(0, 200))} is not this server's: use 127.0.0.1:${port()} or localhost:${port()}` +
        (named.size ? ` or ${[...named].join(', ')}` : '') +
        ' (a page reaching loopback under another name is refused)',
      field: 'Host',
    };
  };
}

/**
 * The control check, after the host check: an allowed (or absent) Origin, the right token, and JSON for any
 * request with a body. An absent Origin is a command-line or server-side client; a browser always sends one
 * on a cross-origin request and on every POST.
 */
export function controlRefusal(
  req: IncomingMessage,
  token: string,
  allowOrigins: readonly string[],
): Refusal | null {
  const origin = req.headers.origin;
  if (origin !== undefined && !allowOrigins.includes(origin)) {
    return {
      status: 403,
      code: 'forbidden-origin',
      message: `Origin ${JSON.stringify(origin.slice(0, 200))} may not use the control routes (allowed: ${allowOrigins.join(', ') || 'none'})`,
      field: 'Origin',
    };
  }
  const given = req.headers[CONTROL_TOKEN_HEADER.toLowerCase()];
  if (typeof given !== 'string' || !sameText(given, token)) {
    return {
      status: 401,
      code: 'unauthorized',
      message: `the control routes need the ${CONTROL_TOKEN_HEADER} header with the token the server printed at start`,
      field: CONTROL_TOKEN_HEADER,
    };
  }
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD' && !isJsonContentType(req.headers['content-type'])) {
    return {
      status: 415,
      code: 'unsupported-media-type',
      message: `Content-Type must be application/json; got ${JSON.stringify(req.headers['content-type'] ?? null)}`,
      field: 'Content-Type',
    };
  }
  return null;
}

/** Compares in time that does not depend on where the two differ. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
