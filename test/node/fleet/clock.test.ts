// A wall clock set forward or back (an NTP step, a VM resumed) moves the planned reads with it: a clock set an
// hour ahead does not make every ZVM due at once. The fleet runs in this process on a real (PGlite) store,
// with a clock the test sets.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../../fleet/config.ts';
import { Fleet } from '../../../fleet/fleet.ts';
import { Store } from '../../../fleet/store.ts';
import { closedPort, tempDir } from './harness.ts';

test('the clock set an hour forward, then back: the schedule moves with it and the steps are counted', async () => {
  const dir = await tempDir('zbb-fleet-clock-');
  const store = await Store.open(join(dir.path, 'data'));
  process.env.FLEET_CLOCK_TEST_TOKEN = 'token-for-clock-test';
  const config = await parseConfig(
    JSON.stringify({
      dataDir: 'data',
      defaults: { policy: { interval: 3_600_000 }, startSpreadMs: 600_000 },
      zvms: [
        {
          id: 'far',
          url: `http://127.0.0.1:${await closedPort()}`,
          auth: { type: 'token', token: { env: 'FLEET_CLOCK_TEST_TOKEN' } },
        },
      ],
    }),
    join(dir.path, 'fleet.json'),
  );
  let wall = Date.UTC(2026, 10, 1, 9, 0, 0);
  const lines: string[] = [];
  // A first read five minutes away (half the spread).
  const fleet = new Fleet(
    store,
    config,
    [],
    (l) => lines.push(l),
    () => wall,
    () => 0.5,
  );
  try {
    await fleet.start();
    const planned = fleet.detail('far')!.nextAttemptAt!;
    assert.equal(planned, wall + 300_000);
    wall += 3_600_000;
    (fleet as unknown as { lookAtClock(): void }).lookAtClock();
    assert.equal(fleet.stats.clockSteps, 1);
    const moved = fleet.detail('far')!.nextAttemptAt!;
    assert.ok(Math.abs(moved - (planned + 3_600_000)) < 1000, `planned ${planned}, now ${moved}`);
    assert.equal(fleet.stats.inFlight, 0, 'nothing became due at once');
    assert.match(lines.join('\n'), /clock was set forward by 3600 s/);
    // A small drift is no step.
    wall += 5000;
    (fleet as unknown as { lookAtClock(): void }).lookAtClock();
    assert.equal(fleet.stats.clockSteps, 1);
    wall -= 7_200_000;
    (fleet as unknown as { lookAtClock(): void }).lookAtClock();
    assert.equal(fleet.stats.clockSteps, 2);
    assert.match(lines.join('\n'), /clock was set back by 72\d\d s/);
  } finally {
    await fleet.close();
    await store.close();
    await dir.remove();
  }
});
