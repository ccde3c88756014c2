// The check against the ZVM simulator, in both of its dialects, through a whole outage: ok → usage alert →
// last day → disconnection → ok again, its clock moved with POST /control/clock. Each line's perfdata is held
// to the Nagios range grammar; the check never says OK while the simulator lists a billing alert, including
// one whose help identifier no setting names.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim, ZvmSimOptions } from '../../../servers/zvm/server.ts';
import { request, runCli } from '../http-client.ts';
import { billing, CONTROL_TOKEN, sim, simState, tempDir } from './harness.ts';
import { holdsToExit } from './nagios.ts';

const CREDS = {
  FLEET_SIMCHECK_SECRET: 'sim-check-client-secret',
  FLEET_SIMCHECK_PASSWORD: 'sim-check-password',
};
let dir: { path: string; remove(): Promise<void> };
const closing: Array<{ close(): Promise<void> }> = [];

before(async () => {
  dir = await tempDir('zbb-fleet-check-sim-');
  Object.assign(process.env, CREDS);
});

after(async () => {
  await Promise.all(closing.map((c) => c.close()));
  await dir?.remove();
});

/** Moves the simulator's clock as a test or the demo does: POST /control/clock. */
async function advance(s: ZvmSim, ms: number): Promise<void> {
  const a = await request(`${s.url}/control/clock`, {
    method: 'POST',
    headers: { 'X-Control-Token': CONTROL_TOKEN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ advanceMs: ms }),
  });
  assert.equal(a.status, 200, a.text);
}

/** A simulator of the dialect with its own billing receiver, and the check's arguments to log in to it. */
async function zvm(dialect: 'zerto10' | 'windows', opts: Partial<ZvmSimOptions> = {}) {
  const bill: BillingServer = await billing(join(dir.path, `billing-${closing.length}`));
  closing.push(bill);
  const s = await sim(bill.url, {
    dialect,
    autoSend: true,
    siteName: dialect === 'windows' ? 'Lyon' : 'Oslo',
    clientId: 'nagios',
    clientSecret: CREDS.FLEET_SIMCHECK_SECRET,
    user: 'svc-nagios',
    password: CREDS.FLEET_SIMCHECK_PASSWORD,
    ...opts,
  });
  closing.push(s);
  const login =
    dialect === 'windows'
      ? ['--user', 'svc-nagios', '--password-env', 'FLEET_SIMCHECK_PASSWORD', '--session']
      : ['--client-id', 'nagios', '--client-secret-env', 'FLEET_SIMCHECK_SECRET'];
  const check = async (...more: string[]) => {
    const r = await runCli('fleet/cli.ts', ['check', '--zvm', s.url, ...login, ...more]).exit(30_000);
    const line = r.stdout.trim();
    return { code: r.code, line, perf: holdsToExit(line, r.code), stderr: r.stderr };
  };
  return { sim: s, bill, check };
}

for (const dialect of ['zerto10', 'windows'] as const) {
  describe(`fleet check against the simulator as a ${dialect === 'windows' ? 'Windows ZVM' : 'Zerto 10 appliance'}`, () => {
    test('ok → usage alert → last day → disconnection → ok, with the exit code and perfdata of each', async () => {
      const { sim: s, bill, check } = await zvm(dialect);
      const name = dialect === 'windows' ? 'Lyon' : 'Oslo';

      await advance(s, HOUR);
      const ok = await check();
      assert.equal(ok.code, 0, ok.line + ok.stderr);
      assert.match(
        ok.line,
        new RegExp(`^ZERTO BILLING OK - ${name}: no billing alert on the ZVM \\(\\d+ alerts listed\\)`),
      );
      assert.equal(ok.perf.get('days_left'), 15);

      // Usage stops reaching Zerto: a day later the ZVM raises its usage alert.
      bill.setFault({ mode: 'error', status: 503 });
      await advance(s, DAY + HOUR);
      assert.equal((await simState(s)).phase, 'warning');
      const warn = await check();
      assert.equal(warn.code, 1, warn.line);
      assert.match(
        warn.line,
        new RegExp(
          `^ZERTO BILLING WARNING - ${name}: Usage not sent, 15 days left; .*its usage alert LIC0012 since`,
        ),
      );
      assert.equal(warn.perf.get('days_left'), 14);
      assert.equal(warn.perf.get('billing_alerts'), 1);

      await advance(s, 14 * DAY + 12 * HOUR);
      const last = await check();
      assert.equal(last.code, 2, last.line);
      assert.match(last.line, /Usage not sent, \d+ hours? left/);
      assert.equal(last.perf.get('days_left'), 0);

      await advance(s, DAY);
      assert.equal((await simState(s)).phase, 'disconnected');
      const off = await check();
      assert.equal(off.code, 2, off.line);
      assert.match(
        off.line,
        new RegExp(`^ZERTO BILLING CRITICAL - ${name}: the ZVM stopped communicating with its VRAs since `),
      );
      assert.equal(off.perf.get('vra_disconnected'), 1);

      // Usage gets through again: the ZVM resolves its alerts.
      bill.setFault({ mode: 'none' });
      await advance(s, HOUR);
      assert.equal((await simState(s)).phase, 'ok');
      const back = await check();
      assert.equal(back.code, 0, back.line);
      assert.equal(back.perf.get('vra_disconnected'), 0);
    });

    test('billing alerts no setting names are never OK: a usage alert LIC0077, then the disconnection LIC0078', async () => {
      const {
        sim: s,
        bill,
        check,
      } = await zvm(dialect, {
        usageAlertId: 'LIC0077',
        disconnectionAlertId: 'LIC0078',
      });
      bill.setFault({ mode: 'error', status: 503 });
      await advance(s, DAY + 2 * HOUR);
      const warn = await check();
      assert.equal(warn.code, 1, warn.line);
      assert.match(
        warn.line,
        /unrecognised billing alert ".+" \(LIC0077, level Warning\), counted as a usage alert: add LIC0077 to --usage-alert-ids/,
      );
      // The ZVM lists its identifiers: it knows none of the defaults of that kind, which the line notes.
      assert.match(warn.line, /note: this ZVM knows none of the default usage alert identifiers/);
      await advance(s, 15 * DAY);
      // The ZVM replaced its usage alert by its disconnection alert, which no setting names either: it reads as
      // one (level Error, "has stopped communicating"), so CRITICAL, not "15 days left".
      const off = await check();
      assert.equal(off.code, 2, off.line);
      assert.match(
        off.line,
        // Its own words say the VRAs were cut off: the contract reads it as the disconnection alert.
        /the ZVM stopped communicating with its VRAs since .*\(a billing-looking alert no setting names LIC0078\)/,
      );
      assert.match(off.line, /taken as the disconnection alert: add LIC0078 to --disconnection-alert-ids/);
      // Named by the flags, the same alerts read as they are.
      const named = await check('--usage-alert-ids', 'LIC0077', '--disconnection-alert-ids', 'LIC0078');
      assert.equal(named.code, 2, named.line);
      assert.match(
        named.line,
        /the ZVM stopped communicating with its VRAs since .*its disconnection alert LIC0078/,
      );
      assert.ok(!named.line.includes('unrecognised'), named.line);
    });
  });
}
