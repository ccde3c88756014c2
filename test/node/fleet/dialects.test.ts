// The fleet service against a Zerto 10 appliance and a Windows ZVM (the simulator in each real dialect), each
// through ok → usage alert → disconnection → ok, agreeing with what the simulator enforces at every stage: its
// phase, and the deadline it counts on its own clock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import {
  billing,
  SIM_POLICY,
  sim,
  simState,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type FleetProcess,
} from './harness.ts';

const TOKEN = 'static-token-for-dialect-tests';
const PASSWORD = 'dialect-test-password';

let dir: { path: string; remove(): Promise<void> };
let receiver: BillingServer;
let fleet: FleetProcess;
const sims: Record<'zerto10' | 'windows', ZvmSim> = {} as never;

before(async () => {
  dir = await tempDir('zbb-fleet-dialects-');
  receiver = await billing(join(dir.path, 'billing'));
  sims.zerto10 = await sim(receiver.url, { dialect: 'zerto10', token: TOKEN, siteName: 'Appliance' });
  sims.windows = await sim(receiver.url, {
    dialect: 'windows',
    user: 'svc',
    password: PASSWORD,
    siteName: 'Windows',
  });
  const configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, {
    dataDir: 'data',
    http: { port: 0 },
    apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_TEST_READ_KEY' } }],
    defaults: {
      // Read every second; the ZVMs' own alert clock is the simulators' (a day, then 15 days).
      policy: { interval: 1000, alertAfter: SIM_POLICY.alertAfter, graceDays: SIM_POLICY.graceDays },
      timeoutMs: 2000,
      maxBackoffMs: 2000,
      startSpreadMs: 0,
      alertsDelayMs: 100,
    },
    zvms: [
      { id: 'zerto10', url: sims.zerto10.url, auth: { type: 'token', token: { env: 'FLEET_TEST_TOKEN' } } },
      {
        id: 'windows',
        url: sims.windows.url,
        auth: { type: 'session', username: 'svc', password: { env: 'FLEET_TEST_PASSWORD' } },
      },
    ],
  });
  fleet = await startFleet(configPath, {
    FLEET_TEST_READ_KEY: 'read-key-0123456789abcdef',
    FLEET_TEST_TOKEN: TOKEN,
    FLEET_TEST_PASSWORD: PASSWORD,
  });
});

after(async () => {
  fleet?.child.kill('SIGTERM');
  await fleet?.exited();
  await Promise.all(Object.values(sims).map((s) => s.close()));
  await receiver?.close();
  await dir?.remove();
});

/** Waits until the service says what the simulator enforces now, then checks the deadline agrees. */
async function agrees(id: 'zerto10' | 'windows', phase: string, label: string): Promise<void> {
  const seen = await waitForSites(fleet, (s) => s.get(id)?.status === phase, 30_000, `${id}: ${label}`);
  const z = await simState(sims[id]);
  assert.equal(z.phase, phase, `${id}: ${label}: the simulator's own phase`);
  const site = seen.get(id)!;
  if (phase === 'warning') {
    // The deadline the ZVM enforces, on its own clock, to the second (the service measures its clock's skew).
    assert.ok(site.zvmDeadline && z.deadline);
    assert.ok(
      Math.abs(Date.parse(site.zvmDeadline) - Date.parse(z.deadline)) < 2000,
      `${id}: ${label}: the service's deadline on the ZVM's clock ${site.zvmDeadline}, the ZVM's ${z.deadline}`,
    );
  }
  if (phase === 'ok') assert.equal(site.deadline, null);
}

for (const id of ['zerto10', 'windows'] as const) {
  describe(`the fleet service and a ${id === 'zerto10' ? 'Zerto 10 appliance' : 'Windows ZVM'}`, () => {
    test('ok → usage alert → disconnection → ok, as the ZVM enforces at every stage', async () => {
      await agrees(id, 'ok', 'healthy at start');
      // Its billing link fails; a day on, the ZVM raises its usage alert.
      receiver.setFault({ mode: 'error', status: 503 });
      await sims[id].advance(SIM_POLICY.alertAfter + HOUR);
      await sims[id].advance(1000);
      await agrees(id, 'warning', 'the usage alert');
      // Past its deadline the ZVM stops talking to its VRAs.
      await sims[id].advance(SIM_POLICY.graceDays * DAY);
      await agrees(id, 'disconnected', 'the disconnection');
      // Usage gets through: the service's own sendUsage reaches the billing link again.
      receiver.setFault({ mode: 'none' });
      await agrees(id, 'ok', 'usage through again');
    });
  });
}
