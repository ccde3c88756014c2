// The Nagios/Icinga-style check against a ZVM answering as ZVM-API.md says real ones do (both dialects, the
// nulls the API allows, a clock of its own): one line, the plugin exit code, perfdata held to the Nagios range
// grammar. A listed billing alert is never OK. Also the bin and what the service says about a bad config.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import { runCli } from '../http-client.ts';
import {
  FAKE_CLIENT,
  FAKE_TOKEN,
  FAKE_USER,
  fakeZvm,
  otherAlert,
  type FakeAlert,
  type FakeZvm,
} from './fake-zvm.ts';
import { closedPort, tempDir, writeConfig } from './harness.ts';
import { holdsToExit } from './nagios.ts';

let dir: { path: string; remove(): Promise<void> };
let z10: FakeZvm;
let win: FakeZvm;

before(async () => {
  dir = await tempDir('zbb-fleet-check-');
  process.env.FLEET_CHECK_TOKEN = FAKE_TOKEN;
  process.env.FLEET_CHECK_SECRET = FAKE_CLIENT.secret;
  process.env.FLEET_CHECK_PASSWORD = FAKE_USER.password;
  process.env.FLEET_CHECK_WRONG = 'wrong-token';
  z10 = await fakeZvm('zerto10');
  win = await fakeZvm('windows');
});

after(async () => {
  await z10?.close();
  await win?.close();
  await dir?.remove();
});

const check = (args: string[]) => runCli('fleet/cli.ts', ['check', ...args]).exit(30_000);
const withToken = (zvm: FakeZvm, ...more: string[]) =>
  check(['--zvm', zvm.url, '--token-env', 'FLEET_CHECK_TOKEN', ...more]);

/** A run of the check held to the guidelines: one line, its perfdata saying what its exit code says. */
function judged(r: { code: number | null; stdout: string; stderr: string }, code: number) {
  assert.equal(r.code, code, r.stdout + r.stderr);
  const line = r.stdout.trim();
  return { line, perf: holdsToExit(line, r.code) };
}

/** A ZVM time as Zerto 10 writes it: ISO 8601 with an offset (here +02:00). */
const isoAt = (ms: number) => new Date(ms + 2 * HOUR).toISOString().replace(/\.\d{3}Z$/, '+02:00');
const billing = (p: Partial<FakeAlert> & Pick<FakeAlert, 'helpIdentifier' | 'turnedOn'>): FakeAlert => ({
  id: `alert-${p.helpIdentifier ?? 'none'}`,
  level: 'Warning',
  entity: 'License',
  description:
    'The ZVM did not send site usage information for billing purposes. If this is not resolved within 15 days, the ZVM will stop communicating with its VRAs.',
  ...p,
});

describe('fleet check against a Zerto 10 appliance (camelCase, link.identifier, its clock from serverDateTimeUtc)', () => {
  test('OK (0) with no billing alert, through the token endpoint; other alerts with null help identifiers', async () => {
    z10.alerts = [
      otherAlert('vpg-1', isoAt(z10.now - HOUR)),
      otherAlert('vpg-2', `/Date(${z10.now - DAY}+0000)/`),
    ];
    z10.helpIds = ['LIC0012', 'LIC0013', 'LIC0021', 'LIC0022', 'VPG0010'];
    const r = await check([
      '--zvm',
      z10.url,
      '--client-id',
      FAKE_CLIENT.id,
      '--client-secret-env',
      'FLEET_CHECK_SECRET',
    ]);
    const { line, perf } = judged(r, 0);
    assert.match(line, /^ZERTO BILLING OK - Oslo: no billing alert on the ZVM \(2 alerts listed\) \| /);
    assert.equal(perf.get('days_left'), 15, 'OK reads the full grace');
    assert.equal(perf.get('seconds_left'), 15 * 86_400);
    assert.ok(z10.seen.includes('GET /v1/serverDateTime/serverDateTimeUtc'));
    assert.ok(!z10.seen.some((s) => s.includes('sendUsage')), 'the check has no side effect');
  });

  test("WARNING (1): a usage alert, days counted on the ZVM's clock (not this machine's), -w 7 in the perfdata", async () => {
    z10.alerts = [
      otherAlert('vpg-1', isoAt(z10.now - HOUR)),
      billing({ helpIdentifier: 'LIC0012', turnedOn: isoAt(z10.now - 3 * DAY) }),
    ];
    const { line, perf } = judged(await withToken(z10, '-w', '7'), 1);
    const deadline = new Date(z10.now + 12 * DAY).toISOString();
    assert.match(
      line,
      /^ZERTO BILLING WARNING - Oslo: Usage not sent, 12 days left; the ZVM stops communicating with its VRAs at /,
    );
    assert.ok(line.includes(deadline), `${deadline} in ${line}`);
    assert.match(line, / days_left=12;7:;1:;0;15 seconds_left=1036800s;604800:;86400:;0;1296000 /);
    assert.equal(perf.get('billing_alerts'), 1);
  });

  test('NUL bytes, lone surrogates and 1 MB strings in the name, the description and the time: WARNING as for a clean answer', async () => {
    const siteName = z10.siteName;
    try {
      z10.siteName = `Os\u0000lo \uD800${'x'.repeat(1 << 20)}`;
      z10.alerts = [
        billing({
          helpIdentifier: 'LIC0012',
          turnedOn: `${isoAt(z10.now - 3 * DAY)}\u0000`,
          description: `Usage not sent\u0000 \uDC00${'d'.repeat(1 << 20)}`,
        }),
      ];
      const { line, perf } = judged(await withToken(z10), 1);
      assert.match(line, /^ZERTO BILLING WARNING - Os\uFFFDlo \uFFFDx+: Usage not sent, 12 days left;/);
      assert.ok(!line.includes('\u0000') && line.length < 10_000, `one clean, bounded line (${line.length})`);
      assert.equal(perf.get('billing_alerts'), 1);
    } finally {
      z10.siteName = siteName;
    }
  });

  test('CRITICAL (2) in the last day, and -c 3 makes three days left critical', async () => {
    z10.alerts = [billing({ helpIdentifier: 'LIC0021', turnedOn: isoAt(z10.now - 14 * DAY - 12 * HOUR) })];
    const last = judged(await withToken(z10), 2);
    assert.match(last.line, /^ZERTO BILLING CRITICAL - Oslo: Usage not sent, 12 hours left;/);
    assert.equal(last.perf.get('days_left'), 0);
    z10.alerts = [billing({ helpIdentifier: 'LIC0012', turnedOn: isoAt(z10.now - 12 * DAY - HOUR) })];
    judged(await withToken(z10), 1);
    const three = judged(await withToken(z10, '-c', '3'), 2);
    assert.match(three.line, /Usage not sent, 3 days left/);
    assert.equal(three.perf.get('days_left'), 2);
  });

  test('CRITICAL (2) once the ZVM lists its disconnection alert, dismissed or not', async () => {
    const since = z10.now - 2 * DAY;
    z10.alerts = [
      billing({
        helpIdentifier: 'LIC0013',
        level: 'Error',
        dismissed: true,
        turnedOn: isoAt(since),
        description: 'The ZVM stopped communicating with its VRAs.',
      }),
      billing({ helpIdentifier: 'LIC0012', turnedOn: isoAt(since - 15 * DAY) }),
    ];
    const { line, perf } = judged(await withToken(z10), 2);
    assert.match(
      line,
      new RegExp(
        `^ZERTO BILLING CRITICAL - Oslo: the ZVM stopped communicating with its VRAs since ${new Date(since).toISOString()}`,
      ),
    );
    assert.match(line, /dismissed/);
    assert.equal(perf.get('vra_disconnected'), 1);
    assert.equal(perf.get('days_left'), 0, 'no gap in the graphs');
    assert.equal(perf.get('billing_alerts'), 2);
  });

  test('a billing-looking alert no setting names: WARNING, its own words quoted on one line, the identifier to add', async () => {
    z10.alerts = [
      otherAlert('vpg-1', isoAt(z10.now - HOUR)),
      billing({
        helpIdentifier: 'LIC0099',
        entity: 'Licensing',
        turnedOn: isoAt(z10.now - DAY),
        description: 'Site usage was not reported to Zerto.\nCheck the | call home connection "now".',
      }),
    ];
    const { line, perf } = judged(await withToken(z10), 1);
    assert.match(line, /^ZERTO BILLING WARNING - Oslo: Usage not sent, 14 days left/);
    assert.ok(
      line.includes(
        `unrecognised billing alert "Site usage was not reported to Zerto. Check the / call home connection 'now'." (LIC0099, level Warning), counted as a usage alert: add LIC0099 to --usage-alert-ids`,
      ),
      line,
    );
    assert.equal(perf.get('billing_alerts'), 1);
    // Named by a flag, it is the usage alert.
    const named = judged(await withToken(z10, '--usage-alert-ids', 'lic0099, LIC0012'), 1);
    assert.match(named.line, /its usage alert LIC0099 since/);
    assert.ok(!named.line.includes('unrecognised'), named.line);
    // An Error-level one with no help identifier reads as the disconnection: CRITICAL, and said that no
    // setting can name it.
    z10.alerts = [
      billing({
        helpIdentifier: null,
        level: 'Error',
        turnedOn: isoAt(z10.now - DAY),
        description: 'Billing: the VRAs will be disconnected.',
      }),
    ];
    const nameless = judged(await withToken(z10), 2);
    assert.match(
      nameless.line,
      /^ZERTO BILLING CRITICAL - Oslo: the ZVM has likely stopped communicating with its VRAs since .*: a billing-looking alert no setting names reads as its disconnection alert \(level Error\)/,
    );
    assert.match(
      nameless.line,
      /no help identifier, level Error\), taken as the disconnection alert: it has no help identifier, so no setting can name it/,
    );
    assert.equal(nameless.perf.get('vra_disconnected'), 1);
  });

  test('a billing alert whose TurnedOn has no time zone is counted, never guessed: WARNING, days_left U', async () => {
    z10.alerts = [billing({ helpIdentifier: 'LIC0012', turnedOn: '2027-03-09T08:00:00' })];
    const { line, perf } = judged(await withToken(z10), 1);
    assert.match(
      line,
      /days left unknown: its usage alert LIC0012 has a TurnedOn that cannot be placed \(.*without a time zone/,
    );
    assert.equal(perf.get('days_left'), null);
  });

  test("identifiers the ZVM does not know (it lists its own): a flag's is a WARNING, the defaults' a note", async () => {
    z10.alerts = [];
    z10.helpIds = ['LIC0012', 'LIC0013', 'VPG0010'];
    const set = judged(await withToken(z10, '--disconnection-alert-ids', 'LIC0013 LIC4040'), 1);
    assert.match(
      set.line,
      /no billing alert on the ZVM, but --disconnection-alert-ids names LIC4040, which this ZVM does not know/,
    );
    assert.equal(set.perf.get('unknown_alert_ids'), 1);
    z10.helpIds = ['VPG0010', 'VRA0001'];
    const defaults = judged(await withToken(z10), 0);
    assert.match(
      defaults.line,
      /note: this ZVM knows none of the default usage alert identifiers \(LIC0012, LIC0021\): set --usage-alert-ids/,
    );
    z10.helpIds = null;
    judged(await withToken(z10), 0);
  });
});

describe('fleet check against a Windows ZVM (PascalCase, SiteIdentifier, x-zerto-session, no serverDateTime)', () => {
  test('a null SiteName is named by the host; /Date(ms+0000)/ times; the clock from the Date header', async () => {
    win.siteName = null;
    const host = new URL(win.url).host;
    const session = [
      '--zvm',
      win.url,
      '--user',
      FAKE_USER.name,
      '--password-env',
      'FLEET_CHECK_PASSWORD',
      '--session',
    ];
    win.alerts = [otherAlert('vra-1', `/Date(${win.now - DAY}+0000)/`)];
    const ok = judged(await check(session), 0);
    assert.ok(ok.line.startsWith(`ZERTO BILLING OK - ${host}: no billing alert`), ok.line);
    win.alerts.push(
      billing({ helpIdentifier: 'LIC0012', turnedOn: `/Date(${win.now - 3 * DAY - HOUR}+0000)/` }),
    );
    const warn = judged(await check(session), 1);
    assert.match(warn.line, /Usage not sent, 12 days left/);
    assert.equal(warn.perf.get('days_left'), 11);
    assert.ok(Math.abs(warn.perf.get('seconds_left')! - (11 * 86_400 + 23 * 3600)) <= 1, warn.line);
    // Asked, answered 404: the days above are on the Date header's clock, a year from this machine's.
    assert.ok(win.seen.includes('GET /v1/serverDateTime/serverDateTimeUtc'));
    win.alerts.push(
      billing({ helpIdentifier: 'LIC0022', level: 'Error', turnedOn: `/Date(${win.now - HOUR}+0000)/` }),
    );
    const off = judged(await check(session), 2);
    assert.match(off.line, /the ZVM stopped communicating with its VRAs since/);
  });
});

describe('fleet check: what a monitor needs of a plugin', () => {
  test('UNKNOWN (3), in one statement, when the credentials are refused; the token is never printed', async () => {
    const token = await withToken(z10).then(() =>
      check(['--zvm', z10.url, '--token-env', 'FLEET_CHECK_WRONG']),
    );
    assert.equal(token.code, 3, token.stdout);
    assert.match(
      token.stdout,
      /^ZERTO BILLING UNKNOWN - cannot read the billing alerts of the ZVM at 127\.0\.0\.1:\d+: the ZVM refused the credentials \(HTTP 401 to GET v1\/alerts\); this is not a billing alarm\n$/,
    );
    assert.ok(!token.stdout.includes('wrong-token'));
    const grant = await check([
      '--zvm',
      z10.url,
      '--client-id',
      'nagios',
      '--client-secret-env',
      'FLEET_CHECK_WRONG',
    ]);
    const session = await check([
      '--zvm',
      win.url,
      '--user',
      'x',
      '--password-env',
      'FLEET_CHECK_WRONG',
      '--session',
    ]);
    for (const r of [token, grant, session]) {
      assert.equal(r.code, 3, r.stdout);
      assert.ok((r.stdout.match(/401/g)?.length ?? 0) <= 1, `the status said once at most: ${r.stdout}`);
      assert.equal(r.stdout.match(/refused/g)?.length, 1, `the refusal said once: ${r.stdout}`);
      assert.ok(!r.stdout.includes('|'), 'no perfdata when nothing was read');
    }
  });

  test('-t: the whole check within its timeout, then UNKNOWN', async () => {
    const hung = await fakeZvm('zerto10', { hang: true });
    try {
      const started = Date.now();
      const r = await check(['--zvm', hung.url, '--token-env', 'FLEET_CHECK_TOKEN', '-t', '1']);
      assert.equal(r.code, 3, r.stdout);
      assert.match(r.stdout, /no answer to GET v1\/\w+ within 1 s \(-t\); this is not a billing alarm/);
      assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    } finally {
      await hung.close();
    }
    const down = await check([
      '--zvm',
      `http://127.0.0.1:${await closedPort()}`,
      '--token-env',
      'FLEET_CHECK_TOKEN',
    ]);
    assert.equal(down.code, 3, down.stdout);
    assert.match(down.stdout, /could not connect/);
  });

  test('-h/--help and -V/--version answer (exit 3, as the monitoring plugins do); bad flags are UNKNOWN', async () => {
    for (const flag of ['-h', '--help']) {
      const r = await check([flag]);
      assert.equal(r.code, 3);
      assert.match(r.stdout, /^usage: npm run fleet -- check --zvm URL/);
      assert.match(r.stdout, /-w, --warning DAYS/);
    }
    for (const flag of ['-V', '--version']) {
      const r = await check([flag]);
      assert.equal(r.code, 3);
      assert.match(r.stdout, /^zerto-fleet check \d+\.\d+\.\d+\n$/);
    }
    const cases: Array<[string[], RegExp]> = [
      [['-c', '20'], /-c 20 is more than the grace/],
      [['-c', '1.5'], /-c must be a whole number of days/],
      [['-w', 'x'], /-w must be a number/],
      [['-t', '0'], /-t must be a number from 0\.1 to 300/],
      [['--usage-alert-ids', 'LIC 00;12'], /--usage-alert-ids: "00;12" is not a help identifier/],
      [['--nope'], /Unknown option '--nope'/],
    ];
    for (const [args, message] of cases) {
      const r = await withToken(z10, ...args);
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stdout, message);
    }
    const none = await check(['--zvm', z10.url]);
    assert.equal(none.code, 3);
    assert.match(none.stdout, /no credentials/);
  });
});

describe('fleet bin', () => {
  /** `zerto-fleet check` of the OK simulator, through the bin. */
  const binCheck = () => {
    z10.alerts = [];
    z10.siteName = 'Oslo';
    return runCli('fleet/bin.mjs', ['check', '--zvm', z10.url, '--token-env', 'FLEET_CHECK_TOKEN']).exit(
      30_000,
    );
  };
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
