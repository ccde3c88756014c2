// The event stream answers at once: a client that reconnects with the latest event id (nothing to replay) gets
// its 200 and headers straight away, not with the next event or the 15 s heartbeat. The service runs in this
// process as fleet/cli.ts puts it together, watching no ZVM, so that no event comes to flush them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApi, type Api } from '../../../fleet/api.ts';
import { loadConfig } from '../../../fleet/config.ts';
import { Fleet } from '../../../fleet/fleet.ts';
import { createMetrics } from '../../../fleet/metrics.ts';
import { Store } from '../../../fleet/store.ts';
import { READ_KEY, tempDir, writeConfig } from './harness.ts';

let dir: { path: string; remove(): Promise<void> };
let store: Store;
let fleet: Fleet;
let api: Api;

before(async () => {
  dir = await tempDir('zbb-fleet-events-');
  const configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, {
    dataDir: 'data',
    http: { port: 0 },
    apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_EVENTS_READ_KEY' } }],
    zvms: [],
  });
  process.env.FLEET_EVENTS_READ_KEY = READ_KEY;
  const config = await loadConfig(configPath);
  const log = () => {};
  store = await Store.open({ dataDir: config.dataDir, log });
  fleet = new Fleet(store, config, [], log);
  api = await startApi({
    ...config.http,
    apiKeys: () => config.apiKeys,
    fleet,
    store,
    metrics: createMetrics(fleet, store),
    log,
  });
  await fleet.start();
});

after(async () => {
  await api?.close();
  await fleet?.close();
  await store?.close();
  await dir?.remove();
});

/** Opens the stream; resolves with the answer once its headers arrived, and how long that took. */
async function connect(headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const started = performance.now();
  const res = await fetch(`${api.url}/v1/events`, {
    headers: { Authorization: `Bearer ${READ_KEY}`, ...headers },
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(5000)]),
  });
  return { res, ms: performance.now() - started, close: () => controller.abort() };
}

test('a stream reconnecting with the latest event id gets its headers at once', async () => {
  const first = await connect();
  let latest: string;
  try {
    assert.equal(first.res.status, 200);
    const reader = first.res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    assert.match(text, /^event: snapshot$/m);
    latest = /^id: (.*)$/m.exec(text)![1]!;
  } finally {
    first.close();
  }
  // Nothing happened since: nothing to replay, and no snapshot (the client has it).
  const again = await connect({ 'Last-Event-ID': latest });
  try {
    assert.equal(again.res.status, 200);
    assert.equal(again.res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.ok(again.ms < 1000, `headers after ${Math.round(again.ms)} ms`);
  } finally {
    again.close();
  }
});
