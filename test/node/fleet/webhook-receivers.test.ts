// Webhook receivers do not hold each other up: one that never answers (listed first) delays a healthy one by
// less than a second, where posts going out one at a time made the healthy one wait 10 s per pending post.
// And a webhook may not post to this service's own API, a link-local address or a database port on this
// machine unless its config says so: refused in the config for an address written in the URL, and at the
// connection for a name that resolves to one.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../../fleet/config.ts';
import { internalAddress } from '../../../fleet/webhooks.ts';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { sleep, waitFor } from '../http-client.ts';
import {
  billing,
  closedPort,
  READ_KEY,
  sim,
  startFleet,
  tempDir,
  writeConfig,
  type FleetProcess,
} from './harness.ts';

const TOKEN = 'static-token-for-webhook-receivers';

interface Arrival {
  at: number;
  body: { id: string; type: string; at: string; from: string | null; site: { id: string } };
}

async function receiver(
  answer: (res: ServerResponse) => void,
): Promise<{ server: Server; url: string; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      arrivals.push({ at: Date.now(), body: JSON.parse(text) as Arrival['body'] });
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, arrivals };
}

describe('fleet service: webhook receivers', () => {
  let dir: { path: string; remove(): Promise<void> };
  let bad: BillingServer;
  let zvm: ZvmSim;
  let silent: Awaited<ReturnType<typeof receiver>>;
  let healthy: Awaited<ReturnType<typeof receiver>>;
  const held: ServerResponse[] = [];
  let fleet: FleetProcess;
  /** This machine's name, when it resolves to this machine (it does through /etc/hosts on most). */
  let localName: string | null = null;

  before(async () => {
    dir = await tempDir('zbb-fleet-receivers-');
    bad = await billing(join(dir.path, 'billing-bad'));
    bad.setFault({ mode: 'error', status: 503 });
    zvm = await sim(bad.url, { token: TOKEN });
    await zvm.advance(DAY + HOUR);
    // Takes the post and never answers.
    silent = await receiver((res) => held.push(res));
    healthy = await receiver((res) => res.writeHead(204).end());
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    const api = { host: '127.0.0.1', port: 0, hosts: [] };
    if (addresses.length && addresses.every((a) => internalAddress(a.address, 6379, api))) localName = name;
    const configPath = join(dir.path, 'fleet.json');
    await writeConfig(configPath, {
      dataDir: 'data',
      http: { port: 0 },
      apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_HOOKS_READ_KEY' } }],
      webhooks: [
        // First in the config and in the outbox: posted one at a time, its 10 s timeout came first.
        { name: 'silent', url: silent.url, secret: { env: 'FLEET_HOOKS_SECRET' } },
        { name: 'healthy', url: healthy.url, secret: { env: 'FLEET_HOOKS_SECRET' } },
        ...(localName
          ? [{ name: 'cache', url: `http://${localName}:6379/`, secret: { env: 'FLEET_HOOKS_SECRET' } }]
          : []),
      ],
      defaults: {
        policy: { interval: 60_000, alertAfter: 600_000, graceDays: 15 },
        timeoutMs: 2000,
        startSpreadMs: 0,
      },
      zvms: [
        { id: 'alerting', url: zvm.url, auth: { type: 'token', token: { env: 'FLEET_HOOKS_TOKEN' } } },
        {
          id: 'unseen',
          url: `http://127.0.0.1:${await closedPort()}`,
          auth: { type: 'token', token: { env: 'FLEET_HOOKS_TOKEN' } },
        },
      ],
    });
    fleet = await startFleet(configPath, {
      FLEET_HOOKS_READ_KEY: READ_KEY,
      FLEET_HOOKS_SECRET: 'webhook-secret-for-tests',
      FLEET_HOOKS_TOKEN: TOKEN,
    });
  });

  after(async () => {
    fleet?.child.kill('SIGTERM');
    await fleet?.exited();
    for (const res of held) res.destroy();
    await Promise.all(
      [silent, healthy].map((r) => r && new Promise<void>((done) => r.server.close(() => done()))),
    );
    await zvm?.close();
    await bad?.close();
    await dir?.remove();
  });

  test('a receiver that never answers delays a healthy one by less than a second', async () => {
    await waitFor(
      async () => (healthy.arrivals.length >= 2 ? true : undefined),
      20_000,
      'both transitions at the healthy receiver',
    );
    assert.deepEqual(healthy.arrivals.map((a) => `${a.body.site.id}:${a.body.type}`).sort(), [
      'alerting:site.warning',
      'unseen:site.cannot-see',
    ]);
    // A site first read as unreadable: no status before it.
    assert.equal(healthy.arrivals.find((a) => a.body.site.id === 'unseen')!.body.from, null);
    for (const a of healthy.arrivals) {
      const delay = a.at - Date.parse(a.body.at);
      assert.ok(delay < 1000, `${a.body.type} reached the healthy receiver ${delay} ms after the transition`);
    }
    // The silent one was posted to as well, and is still being waited on (or retried later).
    assert.ok(silent.arrivals.length >= 1);
  });

  test('a name that resolves to a database port on this machine is refused at the connection', async (t) => {
    if (!localName) {
      t.skip(`${hostname()} does not resolve to this machine here`);
      return;
    }
    const refused = await waitFor(
      async () =>
        /webhook cache: \S+ not delivered \(refused: .*resolves to .*:6379 is a database port on this machine/.exec(
          fleet.stdout(),
        )?.[0],
      15_000,
      'the refused post in the log',
    );
    assert.ok(refused.includes(localName), refused);
    await sleep(0);
  });
});

describe('fleet config: webhook URLs', () => {
  const parse = (url: string, extra: Record<string, unknown> = {}, http: Record<string, unknown> = {}) => {
    process.env.FLEET_HOOKS_CONFIG_SECRET = 'a-secret';
    return parseConfig(
      JSON.stringify({
        http: { port: 5180, hosts: ['fleet.example'], ...http },
        webhooks: [{ name: 'w', url, secret: { env: 'FLEET_HOOKS_CONFIG_SECRET' }, ...extra }],
        zvms: [],
      }),
      '/tmp/fleet.json',
    );
  };

  test('own API, link-local and local database ports are refused, naming the field and the opt-in', async () => {
    for (const [url, why] of [
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is link-local/],
      ['http://[fe80::1]:8080/', /fe80::1 is link-local/],
      ['http://[::ffff:169.254.0.1]/', /link-local/],
      ['http://127.0.0.1:5432/', /127\.0\.0\.1:5432 is a database port on this machine/],
      ['http://localhost:6379/', /localhost:6379 is a database port on this machine/],
      ['http://127.0.0.2:27017/', /27017 is a database port/],
      ['http://[::1]:3306/', /\[::1\]:3306 is a database port/],
      ['http://127.0.0.1:5180/v1/sites', /127\.0\.0\.1:5180 is this service's own API/],
      ['http://fleet.example:5180/', /fleet\.example:5180 is this service's own API/],
      ['http://0.0.0.0:5180/', /own API/],
    ] as const) {
      await assert.rejects(parse(url), (e: unknown) => {
        assert.ok(e instanceof ConfigError, url);
        assert.match(e.message, /webhooks\[0\]\.url: /, url);
        assert.match(e.message, why, url);
        assert.match(e.message, /"allowInternalUrl": true/, url);
        return true;
      });
      // Said so explicitly, it is taken.
      const config = await parse(url, { allowInternalUrl: true });
      assert.equal(config.webhooks[0]!.allowInternalUrl, true);
    }
  });

  test('other receivers are taken: elsewhere, loopback on other ports', async () => {
    for (const url of [
      'https://hooks.example/zerto',
      'http://127.0.0.1:8080/hook',
      'http://localhost:5181/',
      'http://10.0.0.5:5432/',
      'http://fleet.example:8443/',
    ]) {
      const config = await parse(url);
      assert.equal(config.webhooks[0]!.url, url);
      assert.equal(config.webhooks[0]!.allowInternalUrl, false);
    }
  });
});
