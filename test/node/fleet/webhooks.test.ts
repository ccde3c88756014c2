// Webhooks: every transition posted as signed JSON, from a durable outbox, again after the receiver was down.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { sleep, waitFor } from '../http-client.ts';
import {
  billing,
  closedPort,
  OPERATOR_KEY,
  parsePrometheus,
  READ_KEY,
  sim,
  startFleet,
  tempDir,
  writeConfig,
  type FleetProcess,
} from './harness.ts';

const SECRET = 'webhook-secret-for-tests';
interface Received {
  status: number;
  eventId: string;
  signatureOk: boolean;
  body: { id: string; type: string; from: string | null; to: string; site: { id: string } };
}

let dir: { path: string; remove(): Promise<void> };
let good: BillingServer;
let bad: BillingServer;
const sims: ZvmSim[] = [];
let receiver: Server;
let receiverUrl: string;
let up = false;
const received: Received[] = [];
let fleet: FleetProcess;

before(async () => {
  dir = await tempDir('zbb-fleet-hooks-');
  good = await billing(join(dir.path, 'billing-good'));
  bad = await billing(join(dir.path, 'billing-bad'));
  bad.setFault({ mode: 'error', status: 503 });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-zerto-fleet-signature']));
      const expected = m ? createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest('hex') : '';
      const status = up ? 204 : 503;
      received.push({
        status,
        eventId: String(req.headers['x-zerto-fleet-event-id']),
        signatureOk: m !== null && m[2] === expected,
        body: JSON.parse(body) as Received['body'],
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const token = { type: 'token', token: { env: 'FLEET_TEST_STATIC' } };
  const env = { FLEET_TEST_STATIC: 'static-token-for-tests' };
  sims.push(await sim(good.url, { token: env.FLEET_TEST_STATIC }));
  sims.push(await sim(bad.url, { token: env.FLEET_TEST_STATIC }));
  await sims[1]!.advance(DAY + HOUR);
  const configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, {
    dataDir: 'data',
    http: { port: 0 },
    apiKeys: [
      { name: 'noc', role: 'read', key: { env: 'FLEET_TEST_READ_KEY' } },
      { name: 'ops', role: 'operator', key: { env: 'FLEET_TEST_OPERATOR_KEY' } },
    ],
    webhooks: [{ name: 'chat', url: receiverUrl, secret: { env: 'FLEET_TEST_HOOK_SECRET' } }],
    defaults: {
      policy: { interval: 1000, alertAfter: 60_000, graceDays: 15 },
      timeoutMs: 2000,
      startSpreadMs: 0,
    },
    zvms: [
      { id: 'healthy', url: sims[0]!.url, auth: token },
      { id: 'alerting', url: sims[1]!.url, auth: token },
      {
        id: 'unseen',
        url: `http://127.0.0.1:${await closedPort()}`,
        auth: token,
        policy: { interval: 30_000 },
      },
    ],
  });
  fleet = await startFleet(configPath, {
    ...env,
    FLEET_TEST_READ_KEY: READ_KEY,
    FLEET_TEST_OPERATOR_KEY: OPERATOR_KEY,
    FLEET_TEST_HOOK_SECRET: SECRET,
  });
});

after(async () => {
  fleet?.child.kill('SIGTERM');
  await fleet?.exited();
  await Promise.all(sims.map((s) => s.close()));
  await good?.close();
  await bad?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
  await dir?.remove();
});

test('webhooks arrive signed, once per transition, and again after the receiver was down', async () => {
  // The receiver is down: the first transitions (a warning, a ZVM that cannot be seen) wait in the outbox. A
  // receiver's posts go one after the other, and a refusal holds the rest back until its retry: what waits is
  // the backlog, whatever reached the receiver.
  await waitFor(
    async () => (received.some((r) => r.status === 503) ? true : undefined),
    15_000,
    'a refused post',
  );
  await waitFor(
    async () =>
      parsePrometheus((await fleet.get('/metrics')).text).samples.some(
        (s) => s.name === 'zerto_fleet_webhook_backlog' && s.value >= 2,
      )
        ? true
        : undefined,
    15_000,
    'two transitions waiting in the outbox',
  );
  up = true;
  await waitFor(
    async () => (received.filter((r) => r.status === 204).length >= 2 ? true : undefined),
    20_000,
    'posts delivered once the receiver is up',
  );
  // Usage gets through again: a recovery.
  bad.setFault({ mode: 'none' });
  const sent = await fleet.post('/v1/sites/alerting/send-usage', OPERATOR_KEY);
  assert.equal(sent.json<{ result: string }>().result, 'passed');
  await waitFor(
    async () =>
      received.some((r) => r.status === 204 && r.body.type === 'site.recovered') ? true : undefined,
    10_000,
    'the recovery post',
  );
  await sleep(2500);
  assert.ok(
    received.every((r) => r.signatureOk),
    'every post is signed with the secret',
  );
  assert.ok(
    received.every((r) => r.eventId === r.body.id),
    'the event id header is the body id',
  );
  const delivered = received.filter((r) => r.status === 204);
  const ids = delivered.map((r) => r.eventId);
  assert.equal(new Set(ids).size, ids.length, 'a delivered event is not posted again');
  assert.deepEqual(delivered.map((r) => `${r.body.site.id}:${r.body.type}`).sort(), [
    'alerting:site.recovered',
    'alerting:site.warning',
    'unseen:site.cannot-see',
  ]);
  // What failed was retried with the same event id (de-duplicable), and then delivered.
  for (const failed of received.filter((r) => r.status === 503)) assert.ok(ids.includes(failed.eventId));
  assert.ok(!received.some((r) => r.body.site.id === 'healthy'), 'discovering a healthy site is no news');
});
