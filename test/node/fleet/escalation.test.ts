// The move into the last day (an escalation within warning) is posted as a webhook and told on the event
// stream; a stream that reconnects with Last-Event-ID gets what it missed rather than a new snapshot.
//
// Time is driven, not waited on. The service runs in this process, put together as its CLI puts it together
// (store, fleet, API, webhook sender: fleet/cli.ts) but on a clock the test moves; the ZVM simulator's clock is
// moved by the same step, as time passing moves both. The site is left in warning an hour before its last day,
// however long start-up takes, then both clocks move into the last day. (The service fixes a deadline in its
// own frame once it has seen it, so the ZVM's clock alone moving on would not bring the last day nearer.)
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApi, type Api } from '../../../fleet/api.ts';
import { loadConfig } from '../../../fleet/config.ts';
import { Fleet } from '../../../fleet/fleet.ts';
import { createMetrics } from '../../../fleet/metrics.ts';
import { Store } from '../../../fleet/store.ts';
import { WebhookSender } from '../../../fleet/webhooks.ts';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { waitFor } from '../http-client.ts';
import {
  billing,
  READ_KEY,
  sim,
  simState,
  openStream,
  tempDir,
  writeConfig,
  type SseEvent,
} from './harness.ts';

let dir: { path: string; remove(): Promise<void> };
let bad: BillingServer;
let zvm: ZvmSim;
let receiver: Server;
const posts: Array<{ type: string; site: { id: string; lastDay: boolean } }> = [];
/** The service in this process: its API's URL, and the step its clock runs ahead of this machine's. */
let fleet: { url: string; offsetMs: number; close(): Promise<void> };

/** The fleet service as fleet/cli.ts starts it, on a clock `offsetMs` ahead of the machine's. */
async function startFleetHere(configPath: string): Promise<typeof fleet> {
  const log = () => {};
  const config = await loadConfig(configPath);
  const store = await Store.open({ dataDir: config.dataDir, log });
  const here = { url: '', offsetMs: 0, close: async () => {} };
  const service = new Fleet(
    store,
    config,
    await store.loadSites(() => {}),
    log,
    () => Date.now() + here.offsetMs,
  );
  let api: Api | undefined;
  const webhooks = new WebhookSender(store, () => config.webhooks, log);
  here.close = async () => {
    await api?.close();
    await service.close();
    await webhooks.close();
    await store.close();
  };
  try {
    api = await startApi({
      ...config.http,
      apiKeys: () => config.apiKeys,
      fleet: service,
      store,
      metrics: createMetrics(service, store),
      log,
    });
    service.on('outbox', () => webhooks.kick());
    webhooks.start();
    await service.start();
  } catch (err) {
    await here.close();
    throw err;
  }
  here.url = api.url;
  return here;
}

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
  // The usage alert opened a day after the last success; 15 days later the VRAs go. An hour before the last
  // day begins (on the ZVM's clock, which runs on in real time, but an hour is more than any start-up takes).
  await zvm.advance(DAY + 12 * DAY);
  const s = await simState(zvm);
  assert.equal(s.phase, 'warning');
  await zvm.advance(msToLastDay(s) - HOUR);
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
  Object.assign(process.env, {
    FLEET_TEST_STATIC: 'static-token-for-tests',
    FLEET_TEST_READ_KEY: READ_KEY,
    FLEET_TEST_HOOK_SECRET: 'hook-secret',
  });
  fleet = await startFleetHere(configPath);
});

after(async () => {
  await fleet?.close();
  await zvm?.close();
  await bad?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
  await dir?.remove();
});

/** How long until the last day begins on the simulator's clock. */
const msToLastDay = (s: { deadline: string | null; now: string }) =>
  Date.parse(s.deadline!) - DAY - Date.parse(s.now);

/** Resolves once the stream has told this many more site events (each a read of the ZVM) than it had. */
async function moreReads(stream: ReturnType<typeof openStream>, n: number): Promise<void> {
  const reads = () => stream.events.filter((e) => e.event === 'site').length;
  const target = reads() + n;
  await stream.until(() => reads() >= target, `${n} more reads of the ZVM`, 30_000);
}

test('the move into the last day is posted once as site.last-day, and the event stream tells it', async () => {
  const stream = openStream(`${fleet.url}/v1/events`);
  try {
    await waitFor(async () => posts.find((p) => p.type === 'site.warning'), 60_000, 'the warning post');
    assert.equal(posts.find((p) => p.type === 'site.warning')!.site.lastDay, false);
    // Into the last day: both clocks move on to five seconds past its start.
    const step = msToLastDay(await simState(zvm)) + 5_000;
    await zvm.advance(step);
    fleet.offsetMs += step;
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
    await moreReads(stream, 3);
    assert.equal(posts.filter((p) => p.type === 'site.last-day').length, 1);
    assert.equal(posts.filter((p) => p.type === 'site.warning').length, 1);
  } finally {
    stream.close();
  }
});

test('Last-Event-ID: a reconnecting stream gets the events it missed, not a snapshot; an unknown id gets one', async () => {
  const first = openStream(`${fleet.url}/v1/events`);
  const watcher = openStream(`${fleet.url}/v1/events`);
  let lastSeen: SseEvent;
  try {
    await first.until((e) => e.event === 'snapshot', 'the snapshot');
    lastSeen = await first.until((e) => e.event === 'site', 'a site event');
    first.close();
    // Meanwhile the service goes on reading the ZVM: two more reads, heard on another stream.
    await moreReads(watcher, 2);
  } finally {
    first.close();
    watcher.close();
  }
  assert.match(lastSeen.id!, /^[0-9a-f]{8}-\d+$/);
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
