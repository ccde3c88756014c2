// Nothing lost on kill -9: the service is killed at random moments while it reads several ZVMs, then
// restarted on the same data folder.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { sleep } from '../http-client.ts';
import {
  billing,
  closedPort,
  READ_KEY,
  sim,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type Summary,
} from './harness.ts';

let dir: { path: string; remove(): Promise<void> };
let good: BillingServer;
const sims: ZvmSim[] = [];
let configPath: string;
const ENV = { FLEET_TEST_READ_KEY: READ_KEY, FLEET_TEST_STATIC: 'static-token-for-tests' };

interface Detail {
  site: Summary;
  runtime: { attempts: number };
  state: { alerts: Array<{ id: string; resolvedAt: number | null }> };
}

before(async () => {
  dir = await tempDir('zbb-fleet-kill-');
  good = await billing(join(dir.path, 'billing'));
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const zvms = [];
  for (let i = 0; i < 6; i++) {
    const s = await sim(i % 2 === 0 ? good.url : dead, { token: ENV.FLEET_TEST_STATIC });
    if (i % 2 === 1) await s.advance(DAY + HOUR + i * DAY);
    sims.push(s);
    zvms.push({ id: `zvm-${i}`, url: s.url, auth: { type: 'token', token: { env: 'FLEET_TEST_STATIC' } } });
  }
  configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, {
    dataDir: 'data',
    http: { port: 0 },
    apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_TEST_READ_KEY' } }],
    concurrency: 6,
    defaults: {
      policy: { interval: 1000, alertAfter: 60_000, graceDays: 15 },
      timeoutMs: 2000,
      jitter: 0.2,
      startSpreadMs: 0,
    },
    zvms,
  });
});

after(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await good?.close();
  await dir?.remove();
});

test('kill -9 mid-run, then a restart: every attempt stored before the kill is still there, state and log agree', async () => {
  let previous: Map<string, Detail> | null = null;
  for (let round = 0; round < 3; round++) {
    const fleet = await startFleet(configPath, ENV);
    const ids = sims.map((_, i) => `zvm-${i}`);
    const read = async () =>
      new Map(
        await Promise.all(
          ids.map(async (id) => [id, (await fleet.get(`/v1/sites/${id}`)).json<Detail>()] as const),
        ),
      );
    if (previous) {
      // What the killed process had answered is still there, before any new attempt could add to it.
      const now = await read();
      for (const [id, was] of previous) {
        const is = now.get(id)!;
        assert.ok(
          is.runtime.attempts >= was.runtime.attempts,
          `${id}: attempts ${was.runtime.attempts} → ${is.runtime.attempts}`,
        );
        assert.ok(
          Date.parse(is.site.lastAttemptAt!) >= Date.parse(was.site.lastAttemptAt!),
          `${id}: last attempt`,
        );
        assert.equal(is.site.firstAlertAt, was.site.firstAlertAt, `${id}: first alert`);
        assert.equal(is.site.deadline, was.site.deadline, `${id}: deadline`);
        for (const a of was.state.alerts) {
          assert.ok(
            is.state.alerts.some((b) => b.id === a.id),
            `${id}: alert ${a.id} kept`,
          );
        }
      }
    }
    await waitForSites(fleet, (s) => [...s.values()].every((x) => x.lastAttemptAt !== null), 20_000);
    // Let it run a little, then kill it at a moment that falls somewhere inside its attempts.
    await sleep(1500 + Math.floor(Math.random() * 1000));
    previous = await read();
    await sleep(Math.floor(Math.random() * 300));
    fleet.child.kill('SIGKILL');
    await fleet.exited();
    // One transaction per attempt: the stored count of attempts and the transmission log always agree.
    const again = await startFleet(configPath, ENV);
    for (const id of ids) {
      const detail = (await again.get(`/v1/sites/${id}`)).json<Detail>();
      const history = (await again.get(`/v1/sites/${id}/history`)).json<{ transmissionCount: number }>();
      // The restarted service may already have made an attempt of its own: compare from one read.
      assert.ok(
        history.transmissionCount >= detail.runtime.attempts &&
          history.transmissionCount <= detail.runtime.attempts + 1,
        `${id}: ${detail.runtime.attempts} attempts in the state, ${history.transmissionCount} in the log`,
      );
      assert.ok(detail.runtime.attempts >= previous.get(id)!.runtime.attempts, `${id}: attempts lost`);
    }
    const statuses = [...(await waitForSites(again, () => true)).values()].map((s) => s.status);
    assert.deepEqual(statuses.filter((s) => s === 'ok').length, 3, JSON.stringify(statuses));
    again.child.kill('SIGKILL');
    await again.exited();
  }
});
