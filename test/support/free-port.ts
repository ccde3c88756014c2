import { createServer } from 'node:net';

/** A port free on loopback right now (for servers that must know each other's ports before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server on a free loopback port and resolves its port (rejects if it cannot listen). */
export async function listenOnLoopback(server: {
  once(event: 'error', fn: (err: Error) => void): unknown;
  listen(port: number, host: string, cb: () => void): unknown;
  address(): unknown;
}): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as { port?: number } | string | null;
  return typeof addr === 'object' && addr?.port ? addr.port : 0;
}
