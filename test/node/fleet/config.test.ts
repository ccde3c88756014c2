// The fleet config's sharing settings (`leases`): the defaults, and values out of bounds refused with the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../../fleet/config.ts';

const parse = (leases?: unknown) => {
  process.env.FLEET_CONFIG_TEST_TOKEN = 'token-for-config-test';
  return parseConfig(
    JSON.stringify({
      ...(leases === undefined ? {} : { leases }),
      zvms: [
        {
          id: 'z',
          url: 'http://127.0.0.1:9',
          auth: { type: 'token', token: { env: 'FLEET_CONFIG_TEST_TOKEN' } },
        },
      ],
    }),
    '/tmp/fleet.json',
  );
};

test('leases: the defaults, a send-usage wait of a minute among them', async () => {
  assert.deepEqual((await parse()).leases, { ttlMs: 30_000, renewMs: 10_000, sendWaitMs: 60_000 });
  assert.deepEqual((await parse({ ttlMs: 20_000 })).leases, {
    ttlMs: 20_000,
    renewMs: 10_000,
    sendWaitMs: 60_000,
  });
  assert.equal((await parse({ sendWaitMs: 1500 })).leases.sendWaitMs, 1500);
});

test('leases.sendWaitMs: from half a second to 2 minutes, a whole number', async () => {
  for (const bad of [499, 120_001, 1500.5, '1500']) {
    await assert.rejects(parse({ sendWaitMs: bad }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /leases\.sendWaitMs/);
      return true;
    });
  }
  assert.equal((await parse({ sendWaitMs: 120_000 })).leases.sendWaitMs, 120_000);
});
