/**
 * Stand-in management consoles on loopback for the extension's banner tests: a page with its own script and
 * styles at /console/, the same page under a strict Content-Security-Policy, and a page elsewhere that no
 * console pattern matches. Script and styles are files (not inline), so the strict page runs them too.
 */
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './free-port.ts';

export const STRICT_CSP = "default-src 'self'";

const page = (title: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <link rel="stylesheet" href="/static/console.css" />
  </head>
  <body>
    <div id="app">${title}</div>
    <script src="/static/console.js"></script>
  </body>
</html>
`;

const files: Record<string, { type: string; body: string; csp?: string }> = {
  '/console/index.html': { type: 'text/html', body: page('Console') },
  '/console/strict.html': { type: 'text/html', body: page('Strict console'), csp: STRICT_CSP },
  '/elsewhere/index.html': { type: 'text/html', body: page('Elsewhere') },
  '/static/console.css': { type: 'text/css', body: '#app { color: rgb(1, 2, 3); font-size: 17px; }\n' },
  '/static/console.js': {
    type: 'text/javascript',
    body: "window.consoleApp = { started: true };\ndocument.getElementById('app').dataset.ready = 'yes';\n",
  },
};

export interface Consoles {
  origin: string;
  close(): Promise<void>;
}

export async function startConsoles(): Promise<Consoles> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const f = files[path];
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': `${f.type}; charset=utf-8`,
      'cache-control': 'no-store',
      ...(f.csp ? { 'content-security-policy': f.csp } : {}),
    });
    res.end(f.body);
  });
  const port = await listenOnLoopback(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
