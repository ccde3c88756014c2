// The one wire contract (src/protocol/usage.ts): the client version it sends is the package's, and the
// receiver and the senders import the same schema.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import * as receiver from '../../servers/billing/protocol.ts';
import { CLIENT, nextPeriod, periodsOverlap, UsageReportSchema } from '../../src/protocol/usage.ts';
import * as sender from '../../src/world/probes/index.ts';

describe('the usage protocol, one contract', () => {
  test("the client version sent is package.json's version", async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    assert.equal(CLIENT.version, pkg.version);
    assert.equal(CLIENT.name, pkg.name);
  });

  test('the receiver and the senders use the very same schema and version', () => {
    assert.equal(receiver.UsageReportSchema, UsageReportSchema);
    assert.equal(sender.PROTOCOL_VERSION, receiver.PROTOCOL_VERSION);
    assert.equal(sender.CLIENT, CLIENT);
  });

  test('periods are half-open: one that ends where the next starts does not overlap it', () => {
    const a = { from: '2026-11-01T08:00:00Z', to: '2026-11-01T09:00:00Z' };
    const b = { from: '2026-11-01T09:00:00Z', to: '2026-11-01T09:01:00Z' };
    assert.equal(periodsOverlap(a, b), false);
    assert.equal(periodsOverlap(a, { from: '2026-11-01T08:59:00Z', to: '2026-11-01T09:01:00Z' }), true);
  });

  test('the next period starts where the last ended, and a long unwatched stretch is a gap', () => {
    const H = 3_600_000;
    assert.deepEqual(nextPeriod(10 * H, 10 * H + 60_000, H), { from: 10 * H, to: 10 * H + 60_000 });
    assert.deepEqual(nextPeriod(10 * H, 20 * H, H), {
      from: 19 * H,
      to: 20 * H,
      gapBefore: { from: 10 * H, to: 19 * H },
    });
  });
});
