// The move into the last day (an escalation within warning) is posted as a webhook and told on the event
// stream; a stream that reconnects with Last-Event-ID gets what it missed rather than a new snapshot.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DAY } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { waitFor } from '../http-client.ts';
import {
  billing,
  READ_KEY,
  sim,
  simState,
  openStream,
  startFleet,
  tempDir,
  writeConfig,
  type FleetProcess,
  type SseEvent,
} from './harness.ts';

let dir: { path: string; remove(): Promise<void> };
let bad: BillingServer;
let zvm: ZvmSim;
let receiver: Server;
const posts: Array<{ type: string; site: { id: string; lastDay: boolean } }> = [];
let fleet: FleetProcess;

before(async () => {
  dir = await tempDir('zbb-fleet-escalation-');
  bad = await billing(join(dir.path, 'billing-bad'));
  bad.setFault({ mode: 'error', status: 503 });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(JSON.parse(body) as (typeof posts)[number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  zvm = await sim(bad.url, { token: 'static-token-for-tests' });
  // The usage alert opened a day after the last success; 15 days later the VRAs go. Fifteen seconds before the
  // last day begins (on the ZVM's clock, which runs on in real time).
  await zvm.advance(DAY + 12 * DAY);
  const s = await simState(zvm);
  assert.equal(s.phase, 'warning');
  await zvm.advance(Date.parse(s.deadline!) - DAY - 15_000 - Date.parse(s.now));
  const configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, {
    dataDir: 'data',
    http: { port: 0 },
    apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_TEST_READ_KEY' } }],
    webhooks: [{ name: 'pager', url: hookUrl, secret: { env: 'FLEET_TEST_HOOK_SECRET' } }],
    defaults: {
      policy: { interval: 1000, alertAfter: 60_000, graceDays: 15 },
      timeoutMs: 2000,
      startSpreadMs: 0,
    },
    zvms: [{ id: 'paris', url: zvm.url, auth: { type: 'token', token: { env: 'FLEET_TEST_STATIC' } } }],
  });
  fleet = await startFleet(configPath, {
    FLEET_TEST_STATIC: 'static-token-for-tests',
    FLEET_TEST_READ_KEY: READ_KEY,
    FLEET_TEST_HOOK_SECRET: 'hook-secret',
  });
});

after(async () => {
  fleet?.child.kill('SIGTERM');
  await fleet?.exited();
  await zvm?.close();
  await bad?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
  await dir?.remove();
});

test('the move into the last day is posted once as site.last-day, and the event stream tells it', async () => {
  const stream = openStream(`${fleet.url}/v1/events`);
  try {
    await waitFor(async () => posts.find((p) => p.type === 'site.warning'), 15_000, 'the warning post');
    assert.equal(posts.find((p) => p.type === 'site.warning')!.site.lastDay, false);
    const lastDay = await waitFor(
      async () => posts.find((p) => p.type === 'site.last-day'),
      30_000,
      'the last-day post',
    );
    assert.equal(lastDay.site.id, 'paris');
    assert.equal(lastDay.site.lastDay, true);
    const told = await stream.until((e) => e.event === 'last-day', 'the last-day event');
    assert.equal(told.data.siteId, 'paris');
    // A few more attempts within the last day post nothing more.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(posts.filter((p) => p.type === 'site.last-day').length, 1);
    assert.equal(posts.filter((p) => p.type === 'site.warning').length, 1);
  } finally {
    stream.close();
  }
});

test('Last-Event-ID: a reconnecting stream gets the events it missed, not a snapshot; an unknown id gets one', async () => {
  const first = openStream(`${fleet.url}/v1/events`);
  let lastSeen: SseEvent;
  try {
    await first.until((e) => e.event === 'snapshot', 'the snapshot');
    lastSeen = await first.until((e) => e.event === 'site', 'a site event');
  } finally {
    first.close();
  }
  assert.match(lastSeen.id!, /^[0-9a-f]{8}-\d+$/);
  // Meanwhile the service goes on reading the ZVM (an attempt a second).
  await new Promise((r) => setTimeout(r, 2500));
  const again = openStream(`${fleet.url}/v1/events`, READ_KEY, { 'Last-Event-ID': lastSeen.id! });
  try {
    await again.until((e) => e.event === 'site', 'the missed site events');
    await new Promise((r) => setTimeout(r, 300));
    const missed = again.events;
    assert.ok(!missed.some((e) => e.event === 'snapshot'), 'no snapshot on a replay');
    const n = (e: SseEvent) => Number(e.id!.split('-')[1]);
    assert.equal(n(missed[0]!), n(lastSeen) + 1, 'the replay starts right after the last event seen');
    assert.ok(missed.length >= 2, `${missed.length} events replayed`);
    for (let i = 1; i < missed.length; i++) assert.equal(n(missed[i]!), n(missed[i - 1]!) + 1);
  } finally {
    again.close();
  }
  const stranger = openStream(`${fleet.url}/v1/events`, READ_KEY, { 'Last-Event-ID': '00000000-5' });
  try {
    const first = await stranger.until(() => true, 'the first event');
    assert.equal(first.event, 'snapshot', 'an id from another run of the service gets a snapshot');
  } finally {
    stranger.close();
  }
});
