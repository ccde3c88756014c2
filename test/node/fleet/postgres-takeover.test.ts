// A takeover waits out the interval of the dead holder's last call: two fleet instances on a real PostgreSQL
// server; the holder of the one site is killed (SIGKILL) after the ZVM answered its sendUsage and before the
// attempt was stored. The survivor takes the site over within the lease time, and calls the ZVM again only
// when the interval since that call is up (the call is stored before it is made), not at once because the
// last attempt it finds stored is an interval old. A proxy before the ZVM simulator notes every request (an
// attempt's calls begin with its first request) and kills the holder at the right moment.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { waitFor } from '../http-client.ts';
import { billing, sim, startFleet, tempDir, writeConfig, type FleetProcess } from './harness.ts';
import { postgresBin, startPostgres, type PgServer } from './postgres.ts';

const INTERVAL = 8000;
const LEASES = { ttlMs: 1500, renewMs: 400 };
const TOKEN = 'static-token-for-pg-takeover';
const READ = 'read-key-0123456789abcdef';
const SEND_PATH = '/v1/localsite/billing/sendUsage';

const skip =
  process.env.ZBB_SKIP_POSTGRES === '1'
    ? 'ZBB_SKIP_POSTGRES=1: the PostgreSQL server tests are skipped'
    : 'missing' in postgresBin()
      ? // postgres.test.ts fails for a missing server; this file need not say it twice.
        'PostgreSQL server binaries not found'
      : false;

describe('takeover after a kill between sendUsage and the store', { skip }, () => {
  let dir: { path: string; remove(): Promise<void> };
  let server: PgServer;
  let receiver: BillingServer;
  let zvm: ZvmSim;
  let proxy: Server;
  let proxyUrl: string;
  /** When each request reached the ZVM (through the proxy). */
  const calls: number[] = [];
  /** Set: the next sendUsage is passed on, and once the ZVM has answered it, this kills its caller. */
  let killOnSend: (() => Promise<void>) | null = null;
  const fleets: FleetProcess[] = [];
  let configPath: string;

  before(async () => {
    dir = await tempDir('zbb-fleet-pg-takeover-');
    server = await startPostgres();
    receiver = await billing(join(dir.path, 'billing'));
    zvm = await sim(receiver.url, { token: TOKEN, siteName: 'Site 0' });
    const target = new URL(zvm.url);
    proxy = createServer((req, res) => {
      const isSend = req.method === 'POST' && (req.url ?? '').startsWith(SEND_PATH);
      calls.push(Date.now());
      const kill = isSend ? killOnSend : null;
      if (kill) killOnSend = null;
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
          agent: false,
        },
        (answer) => {
          if (kill) {
            // The ZVM took the request; its caller dies before it hears so, let alone stores it.
            answer.resume();
            void kill().then(() => res.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    configPath = join(dir.path, 'fleet.json');
    await writeConfig(configPath, {
      dataDir: 'data',
      http: { port: 0 },
      apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_PG_READ_KEY' } }],
      leases: LEASES,
      defaults: {
        policy: { interval: INTERVAL, alertAfter: 600_000, graceDays: 15 },
        timeoutMs: 2000,
        jitter: 0,
        startSpreadMs: 0,
      },
      zvms: [{ id: 'zvm-0', url: proxyUrl, auth: { type: 'token', token: { env: 'FLEET_PG_TOKEN' } } }],
    });
  });

  after(async () => {
    for (const f of fleets) if (f.child.exitCode === null) f.child.kill('SIGKILL');
    await Promise.all(fleets.map((f) => f.exited()));
    await new Promise<void>((r) => proxy?.close(() => r()));
    await zvm?.close();
    await receiver?.close();
    await server?.stop();
    await dir?.remove();
  });

  const env = () => ({ DATABASE_URL: server.url, FLEET_PG_READ_KEY: READ, FLEET_PG_TOKEN: TOKEN });
  const nameOf = (f: FleetProcess) => /instance (\S+),/.exec(f.stdout())![1]!;
  const stored = async () =>
    server.query<{ at: string; instance: string }>(
      `SELECT at, instance FROM transmissions WHERE site_id = 'zvm-0' ORDER BY id`,
    );

  test('the survivor calls the ZVM an interval after the dead holder did, not at once', async () => {
    const holder = await startFleet(configPath, env());
    fleets.push(holder);
    // The holder reads the site once and stores it; then the other instance joins (the site stays with the
    // holder: one site, and it holds it).
    await waitFor(async () => ((await stored()).length >= 1 ? true : undefined), 15_000, 'a stored attempt');
    const survivor = await startFleet(configPath, env());
    fleets.push(survivor);
    const readBy = (await survivor.get('/v1/sites/zvm-0', READ)).json<{ readBy: string }>().readBy;
    assert.equal(readBy, nameOf(holder));

    const storedBefore = (await stored()).length;
    const armedAt = Date.now();
    let killedAt = 0;
    killOnSend = async () => {
      holder.child.kill('SIGKILL');
      await holder.exited();
      killedAt = Date.now();
    };
    // The holder's next attempt, an interval after its first: killed once the ZVM took its sendUsage.
    await waitFor(async () => (killedAt ? true : undefined), INTERVAL + 5000, 'the kill');
    // The first request of the attempt killed.
    const deadCall = calls.find((t) => t > armedAt)!;
    assert.equal((await stored()).length, storedBefore, 'the killed attempt was not stored');

    // The survivor takes the site within the lease time, and waits for the interval since the dead call.
    const next = await waitFor(
      async () => calls.find((t) => t > killedAt),
      INTERVAL + LEASES.ttlMs + LEASES.renewMs + 5000,
      "the survivor's call",
    );
    const gap = next - deadCall;
    assert.ok(gap >= INTERVAL - 50, `the ZVM was called again ${gap} ms after the dead holder's call`);
    assert.ok(gap <= INTERVAL + 1500, `the ZVM was called again only ${gap} ms after (interval ${INTERVAL})`);
    await waitFor(
      async () => ((await stored()).length > storedBefore ? true : undefined),
      5000,
      "the survivor's attempt stored",
    );
    const last = (await stored()).at(-1)!;
    assert.equal(last.instance, nameOf(survivor));
    // Nothing else called the ZVM between the dead attempt's kill and the survivor's attempt.
    assert.equal(calls.filter((t) => t > killedAt && t < next).length, 0);
  });
});
