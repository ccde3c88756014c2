// The Nagios/Icinga-style check against real ZVM simulators: one line with perfdata, and the plugin exit
// code for each phase. Also what the service says about a bad config.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { runCli } from '../http-client.ts';
import { billing, closedPort, sim, simState, tempDir, writeConfig } from './harness.ts';

let dir: { path: string; remove(): Promise<void> };
let good: BillingServer;
const sims: Record<string, ZvmSim> = {};
const TOKEN = 'check-static-token';

before(async () => {
  dir = await tempDir('zbb-fleet-check-');
  good = await billing(join(dir.path, 'billing'));
  const dead = `http://127.0.0.1:${await closedPort()}`;
  process.env.FLEET_CHECK_TOKEN = TOKEN;
  process.env.FLEET_CHECK_SECRET = 'check-client-secret';
  process.env.FLEET_CHECK_WRONG = 'wrong-token';
  sims.ok = await sim(good.url, {
    token: TOKEN,
    clientId: 'nagios',
    clientSecret: 'check-client-secret',
    siteName: 'Oslo',
  });
  await sims.ok.advance(HOUR);
  sims.warn = await sim(dead, { token: TOKEN, siteName: 'Paris' });
  await sims.warn.advance(DAY + HOUR);
  sims.lastday = await sim(dead, { token: TOKEN, siteName: 'Quito' });
  await sims.lastday.advance(DAY + 14 * DAY + 12 * HOUR);
  sims.off = await sim(dead, { token: TOKEN, siteName: 'Rome' });
  await sims.off.advance(DAY + 16 * DAY);
});

after(async () => {
  await Promise.all(Object.values(sims).map((s) => s.close()));
  await good?.close();
  await dir?.remove();
});

const check = (args: string[]) => runCli('fleet/cli.ts', ['check', ...args]).exit(30_000);
/** `label=value[UOM];warn;crit;min;max` pairs after the `|`. */
function perfdata(line: string): Map<string, string> {
  const [, perf = ''] = line.split(' | ');
  const out = new Map<string, string>();
  for (const item of perf.trim().split(/\s+/)) {
    const m = /^([a-z_]+)=(-?\d+(?:\.\d+)?)(s)?((?:;[-\d.]*){0,4})$/.exec(item);
    assert.ok(m, `perfdata item ${item} is malformed`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('fleet check: one line and the plugin exit code per phase', () => {
  test('OK (0) when the ZVM lists no billing alert, through the token endpoint', async () => {
    assert.equal((await simState(sims.ok!)).phase !== 'warning', true);
    const r = await check([
      '--zvm',
      sims.ok!.url,
      '--client-id',
      'nagios',
      '--client-secret-env',
      'FLEET_CHECK_SECRET',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const line = r.stdout.trim();
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /^ZERTO BILLING OK - Oslo: no billing alert/);
    assert.equal(perfdata(line).get('billing_alerts'), '0');
  });

  test('WARNING (1) with the days left the ZVM counts', async () => {
    const zvm = await simState(sims.warn!);
    const r = await check(['--zvm', sims.warn!.url, '--token-env', 'FLEET_CHECK_TOKEN']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^ZERTO BILLING WARNING - Paris: Usage not sent, 15 days left/);
    assert.ok(
      r.stdout.includes(zvm.deadline!.replace(/\.\d{3}Z$/, '')),
      `deadline ${zvm.deadline} in ${r.stdout}`,
    );
    const perf = perfdata(r.stdout.trim());
    assert.equal(perf.get('days_left'), String(zvm.daysLeft));
  });

  test('CRITICAL (2) on the last day, and once the VRAs are disconnected', async () => {
    const last = await check(['--zvm', sims.lastday!.url, '--token-env', 'FLEET_CHECK_TOKEN']);
    assert.equal(last.code, 2, last.stdout + last.stderr);
    assert.match(last.stdout, /^ZERTO BILLING CRITICAL - Quito: Usage not sent, 12 hours left/);
    assert.equal(perfdata(last.stdout.trim()).get('days_left'), '1');
    const off = await check(['--zvm', sims.off!.url, '--token-env', 'FLEET_CHECK_TOKEN']);
    assert.equal(off.code, 2, off.stdout + off.stderr);
    assert.match(off.stdout, /^ZERTO BILLING CRITICAL - Rome: VRAs disconnected since /);
    assert.equal(perfdata(off.stdout.trim()).get('vra_disconnected'), '1');
  });

  test('UNKNOWN (3) when the ZVM cannot be read: refused token, nothing listening, no credentials', async () => {
    const refused = await check(['--zvm', sims.ok!.url, '--token-env', 'FLEET_CHECK_WRONG']);
    assert.equal(refused.code, 3, refused.stdout);
    assert.match(refused.stdout, /^ZERTO BILLING UNKNOWN - cannot read .*not a billing alarm/);
    assert.ok(!refused.stdout.includes('wrong-token'), 'the token is never printed');
    const down = await check([
      '--zvm',
      `http://127.0.0.1:${await closedPort()}`,
      '--token-env',
      'FLEET_CHECK_TOKEN',
    ]);
    assert.equal(down.code, 3, down.stdout);
    const none = await check(['--zvm', sims.ok!.url]);
    assert.equal(none.code, 3);
    assert.match(none.stdout, /no credentials/);
  });
});

describe('fleet bin', () => {
  /** `zerto-fleet check` of the OK simulator, through the bin. */
  const binCheck = () =>
    runCli('fleet/bin.mjs', ['check', '--zvm', sims.ok!.url, '--token-env', 'FLEET_CHECK_TOKEN']).exit(
      30_000,
    );
  test('the zerto-fleet bin (fleet/bin.mjs) runs the same CLI', async () => {
    const r = await binCheck();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ZERTO BILLING OK - Oslo/);
  });

  test('the bin prunes cached builds of other sources untouched for an hour, and keeps recent ones', async () => {
    const cache = join(import.meta.dirname, '../../../node_modules/.cache/zerto-fleet');
    await mkdir(cache, { recursive: true });
    const old = join(cache, 'cli-00000000000000aa.mjs');
    const recent = join(cache, 'cli-00000000000000bb.mjs');
    await writeFile(old, '// an older build');
    await writeFile(recent, '// a build another version just wrote');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    try {
      const r = await binCheck();
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(existsSync(old), false, 'the old build is still there');
      assert.equal(existsSync(recent), true, 'a recent build was pruned');
      const builds = (await readdir(cache)).filter((f) => /^cli-[0-9a-f]{16}\.mjs$/.test(f));
      assert.ok(builds.length >= 2, `the current build and the recent one: ${builds.join(', ')}`);
    } finally {
      await rm(old, { force: true });
      await rm(recent, { force: true });
    }
  });
});

describe('fleet service: config errors', () => {
  test('a bad config exits 1 naming each bad field, and never prints a secret written inline', async () => {
    const path = join(dir.path, 'bad.json');
    await writeConfig(path, {
      http: { port: 0 },
      concurrency: 0,
      zvms: [
        {
          id: 'a',
          url: 'ftp://x',
          auth: { type: 'client-credentials', clientId: 'c', clientSecret: 'hunter2-inline' },
        },
        {
          id: 'a',
          url: 'http://127.0.0.1:1',
          auth: { type: 'token', token: { env: 'FLEET_NOT_SET_ANYWHERE' } },
        },
      ],
    });
    const r = await runCli('fleet/cli.ts', ['--config', path]).exit(30_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /concurrency: /);
    assert.match(r.stderr, /zvms\[0\]\.url: must be an absolute http\(s\) URL/);
    assert.match(r.stderr, /zvms\[0\]\.auth\.clientSecret: must be a reference/);
    assert.ok(!(r.stdout + r.stderr).includes('hunter2'), 'the inline secret is printed');

    await writeConfig(path, {
      zvms: [
        {
          id: 'a',
          url: 'http://127.0.0.1:1',
          auth: { type: 'token', token: { env: 'FLEET_NOT_SET_ANYWHERE' } },
        },
        { id: 'a', url: 'http://127.0.0.1:1', auth: { type: 'token', token: { file: 'missing.token' } } },
      ],
    });
    const r2 = await runCli('fleet/cli.ts', ['--config', path]).exit(30_000);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /zvms\[1\]\.id: "a" is already the id of zvms\[0\]/);
    assert.match(
      r2.stderr,
      /zvms\[0\]\.auth\.token: the environment variable FLEET_NOT_SET_ANYWHERE is not set/,
    );
    assert.match(r2.stderr, /zvms\[1\]\.auth\.token: cannot read .*missing\.token \(ENOENT\)/);
  });
});
