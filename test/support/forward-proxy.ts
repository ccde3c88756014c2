/**
 * A tiny HTTP forward proxy for the extension's end-to-end tests: plain HTTP in absolute form
 * (`POST http://billing.test:8080/v1/usage`) and CONNECT tunnels, optional Basic proxy authentication, and a
 * record of every request it saw. `hosts` maps names only the proxy can resolve to real addresses, so that
 * a request which reached its server provably went through the proxy.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listenOnLoopback } from './free-port.ts';

export interface ProxiedRequest {
  method: string;
  /** The absolute URL (HTTP) or `host:port` (CONNECT). */
  target: string;
  host: string;
  /** Whether the request carried the expected Proxy-Authorization (always true without auth). */
  authorized: boolean;
  at: number;
}

export interface ForwardProxy {
  port: number;
  /** `127.0.0.1:PORT` */
  address: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  hosts?: Record<string, string>;
  auth?: { username: string; password: string };
}

export async function startForwardProxy(opts: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const expected = opts.auth
    ? `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`
    : null;
  const resolveHost = (h: string) => opts.hosts?.[h.toLowerCase()] ?? h;
  const authorized = (req: IncomingMessage) =>
    expected === null || req.headers['proxy-authorization'] === expected;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('a forward proxy takes absolute URLs');
      return;
    }
    const ok = authorized(req);
    requests.push({
      method: req.method ?? 'GET',
      target: target.href,
      host: target.hostname,
      authorized: ok,
      at: Date.now(),
    });
    if (!ok) {
      req.resume();
      res
        .writeHead(407, {
          'proxy-authenticate': 'Basic realm="zbb-test-proxy"',
          'content-type': 'text/plain',
        })
        .end('proxy authentication required');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      {
        host: resolveHost(target.hostname),
        port: Number(target.port || 80),
        method: req.method,
        path: target.pathname + target.search,
        headers,
        agent: false,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`upstream failed: ${err.message}`);
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    const ok = authorized(req);
    requests.push({ method: 'CONNECT', target: req.url ?? '', host, authorized: ok, at: Date.now() });
    if (!ok) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="zbb-test-proxy"\r\n\r\n',
      );
      return;
    }
    const upstream = connect(Number(port), resolveHost(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const port = await listenOnLoopback(server);
  return {
    port,
    address: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
