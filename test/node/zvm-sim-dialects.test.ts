// The ZVM simulator speaks the two real dialects of the ZVM API: every route, in both, read with the
// contract's readers (src/protocol/zvm.ts) and held to Zerto 10's published document (zvm-published.ts);
// the alert list (other alerts, filters, dismissals, configurable help identifiers); and its machine, which
// never bills an empty period and never answers Passed without reaching its billing link.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { DAY, HOUR, MINUTE } from '../../src/core/index.ts';
import {
  DEFAULT_BILLING_ALERT_IDS,
  readAlerts,
  readHelpIds,
  readServerTime,
  unknownHelpIds,
  ZVM_DIALECTS,
  ZVM_FIELDS,
  type ZvmDialect,
} from '../../src/protocol/zvm.ts';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { createMachine } from '../../servers/zvm/machine.ts';
import { startZvmSim, type ZvmSim, type ZvmSimOptions } from '../../servers/zvm/server.ts';
import { request, sleep, type Answer } from './http-client.ts';
import { ALERT, checkEveryRoute, LICENSE, LOCAL_SITE } from './zvm-published.ts';

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const TOKEN = 'dialect-token';
const BEARER = { Authorization: `Bearer ${TOKEN}` };
const CONTROL_TOKEN = 'zvm-dialects-control-token';
const POLICY = { interval: HOUR, alertAfter: DAY, graceDays: 15 };

let billing: BillingServer;
let dataDir: string;
const sims: ZvmSim[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zbb-zvm-dialects-'));
  billing = await startBillingServer({ port: 0, dataDir, quiet: true });
});
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await billing.close();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => billing.setFault({ mode: 'none' }));

let sites = 0;
async function sim(opts: Partial<ZvmSimOptions> = {}): Promise<ZvmSim> {
  const s = await startZvmSim({
    port: 0,
    billingUrl: billing.url,
    token: TOKEN,
    autoSend: false,
    startAt: T0,
    policy: POLICY,
    sendTimeoutMs: 1000,
    controlToken: CONTROL_TOKEN,
    clientSecret: 'dialect-secret',
    // Each its own site: the receiver refuses a second report of one site for a period already billed.
    siteId: `site-dialects-${++sites}`,
    quiet: true,
    ...opts,
  });
  sims.push(s);
  return s;
}

/** A simulator whose usage alert is on: its billing link failed for a day and an hour. */
async function warned(opts: Partial<ZvmSimOptions> = {}): Promise<ZvmSim> {
  const s = await sim(opts);
  billing.setFault({ mode: 'error', status: 503 });
  await s.advance(DAY + HOUR);
  billing.setFault({ mode: 'none' });
  return s;
}

const get = (s: ZvmSim, path: string): Promise<Answer> => request(`${s.url}${path}`, { headers: BEARER });
const post = (s: ZvmSim, path: string): Promise<Answer> =>
  request(`${s.url}${path}`, { method: 'POST', headers: BEARER });
type Alert = Record<string, unknown> & { link: { identifier: string }; helpIdentifier: string | null };
const alertsOf = async (s: ZvmSim, query = '') => (await get(s, `/v1/alerts${query}`)).json<Alert[]>();

describe('ZVM simulator: every route in both dialects', () => {
  test('the published field lists are the contract’s ZVM_FIELDS', () => {
    assert.deepEqual(Object.keys(LOCAL_SITE).sort(), [...ZVM_FIELDS.localSite].sort());
    assert.deepEqual(Object.keys(LICENSE).sort(), [...ZVM_FIELDS.license].sort());
    assert.deepEqual(Object.keys(ALERT).sort(), [...ZVM_FIELDS.alert].sort());
  });

  const verdicts = new Map<ZvmDialect, Array<{ route: string; problems: string[] }>>();
  for (const dialect of ZVM_DIALECTS) {
    test(`${dialect}: every answer reads with the contract and holds to the published document`, async (t) => {
      const siteId = `site-every-route-${dialect}`;
      const s = await sim({ dialect, siteId });
      // A warning, with the billing link still failing: sendUsage has something to say.
      billing.setFault({ mode: 'error', status: 503 });
      await s.advance(DAY + HOUR);
      const found = await checkEveryRoute({
        url: s.url,
        dialect,
        siteId,
        auth: BEARER,
        user: 'admin',
        password: 'admin',
        clientId: 'zerto-fleet',
        clientSecret: 'dialect-secret',
        now: s.now,
        usageAlertId: 'LIC0012',
        disconnectionAlertId: 'LIC0013',
      });
      verdicts.set(dialect, found);
      const passed = found.filter((v) => v.problems.length === 0).length;
      t.diagnostic(`${dialect}: ${passed} of ${found.length} answers validate`);
      assert.deepEqual(
        found.filter((v) => v.problems.length > 0),
        [],
        'answers that do not hold (route and what is wrong)',
      );
      assert.equal(found.length, 15);
    });
  }

  test('in all: every route of both dialects validates', (t) => {
    const all = [...verdicts.values()].flat();
    const passed = all.filter((v) => v.problems.length === 0).length;
    t.diagnostic(`${passed} of ${all.length} (route × dialect) answers validate`);
    assert.equal(all.length, 30);
    assert.equal(passed, all.length);
  });
});

describe('ZVM simulator: its alert list', () => {
  test('other alerts are listed beside the billing ones, some with nulls; otherAlerts: false lists none', async () => {
    const s = await warned();
    const all = await alertsOf(s);
    assert.equal(all.length, 4);
    assert.deepEqual(all.map((a) => a.entity).sort(), ['License', 'Storage', 'Vpg', 'Vra']);
    assert.ok(all.some((a) => a.helpIdentifier === null));
    assert.ok(all.some((a) => a.affectedVpgs === null));
    assert.ok(all.some((a) => Array.isArray(a.affectedVpgs) && a.affectedVpgs.length > 0));
    const read = readAlerts(all, DEFAULT_BILLING_ALERT_IDS);
    assert.ok(read.ok);
    assert.equal(read.value.listed, 4);
    assert.deepEqual(
      read.value.billing.map((b) => [b.kind, b.recognised, b.helpIdentifier]),
      [['usage', true, 'LIC0012']],
    );
    const only = await warned({ otherAlerts: false });
    assert.deepEqual(
      (await alertsOf(only)).map((a) => a.helpIdentifier),
      ['LIC0012'],
    );
  });

  test('the published query filters each keep what they name, and refuse what is not a date or a boolean', async () => {
    const s = await warned();
    const all = await alertsOf(s);
    const usage = all.find((a) => a.helpIdentifier === 'LIC0012')!;
    const vpg = all.find((a) => a.entity === 'Vpg')!;
    const vpgId = (vpg.affectedVpgs as Array<{ identifier: string }>)[0]!.identifier;
    const kept = async (query: Record<string, string>) =>
      (await alertsOf(s, `?${new URLSearchParams(query)}`)).map((a) => a.link.identifier).sort();
    const ids = (...alerts: Alert[]) => alerts.map((a) => a.link.identifier).sort();

    assert.deepEqual(await kept({ helpIdentifier: 'lic0012' }), ids(usage));
    assert.deepEqual(await kept({ entity: 'license' }), ids(usage));
    assert.deepEqual(await kept({ vpgIdentifier: vpgId }), ids(vpg));
    assert.deepEqual(await kept({ zorgIdentifier: 'no-such-zorg' }), []);
    assert.deepEqual(await kept({ level: 'Error' }), ids(...all.filter((a) => a.level === 'Error')));
    assert.deepEqual(await kept({ siteIdentifier: 'another-site' }), []);
    assert.deepEqual((await kept({ siteIdentifier: s.state().site.id })).length, 4);
    assert.deepEqual(await kept({ isDismissed: 'true' }), []);
    // TurnedOn bounds, inclusive: the usage alert turned on at T0 + 1 day, the others before T0.
    const on = new Date(T0 + DAY).toISOString();
    assert.deepEqual(await kept({ startDate: on }), ids(usage));
    assert.deepEqual(await kept({ endDate: on }), ids(...all));
    assert.deepEqual(await kept({ startDate: String(T0 + DAY), endDate: String(T0 + DAY) }), ids(usage));
    assert.deepEqual(await kept({ endDate: new Date(T0).toISOString() }).then((x) => x.length), 3);
    // Unknown parameters are ignored.
    assert.equal((await kept({ colour: 'red' })).length, 4);
    for (const [name, value] of [
      ['startDate', 'yesterday'],
      ['isDismissed', 'maybe'],
    ] as const) {
      const refused = await get(s, `/v1/alerts?${name}=${value}`);
      assert.equal(refused.status, 400, name);
      assert.match(refused.json<{ message: string }>().message, new RegExp(name));
    }
  });

  test('a dismissed billing alert stays listed with isDismissed: true and still counts; undismiss undoes it', async () => {
    const s = await warned();
    const usage = (await alertsOf(s)).find((a) => a.helpIdentifier === 'LIC0012')!;
    const id = usage.link.identifier;
    const dismissed = await post(s, `/v1/alerts/${id}/dismiss`);
    assert.equal(dismissed.status, 200);
    assert.equal(dismissed.text, '');
    const one = (await get(s, `/v1/alerts/${id}`)).json<Alert>();
    assert.equal(one.isDismissed, true);
    assert.equal(one.generation, (usage.generation as number) + 1);
    const read = readAlerts(await alertsOf(s), DEFAULT_BILLING_ALERT_IDS);
    assert.ok(read.ok);
    assert.deepEqual(
      read.value.billing.map((b) => [b.key, b.dismissed]),
      [[id, true]],
    );
    assert.deepEqual(
      (await alertsOf(s, '?isDismissed=true')).map((a) => a.link.identifier),
      [id],
    );
    // Dismissing is not resolving: the ZVM's state is unchanged.
    assert.equal(s.state().phase, 'warning');
    assert.equal((await post(s, `/v1/alerts/${id}/undismiss`)).status, 200);
    assert.equal((await get(s, `/v1/alerts/${id}`)).json<Alert>().isDismissed, false);
    for (const path of [`/v1/alerts/no-such-alert`, `/v1/alerts/no-such-alert/dismiss`]) {
      const missing = path.endsWith('dismiss') ? await post(s, path) : await get(s, path);
      assert.equal(missing.status, 404, path);
    }
  });

  test('a dismissal ends with its alert: the next usage alert is listed undismissed', async () => {
    const s = await warned();
    const first = (await alertsOf(s)).find((a) => a.helpIdentifier === 'LIC0012')!;
    await post(s, `/v1/alerts/${first.link.identifier}/dismiss`);
    await post(s, '/v1/localsite/billing/sendUsage');
    assert.equal(s.state().phase, 'ok');
    billing.setFault({ mode: 'error', status: 503 });
    await s.advance(DAY + HOUR);
    const next = (await alertsOf(s)).find((a) => a.helpIdentifier === 'LIC0012')!;
    assert.notEqual(next.link.identifier, first.link.identifier);
    assert.equal(next.isDismissed, false);
  });

  test('the help identifiers are settings: the alerts carry them and helpidentifiers lists them', async () => {
    const s = await warned({ usageAlertId: 'LIC0021', disconnectionAlertId: 'LIC0022', otherAlerts: false });
    const [usage] = await alertsOf(s);
    assert.equal(usage?.helpIdentifier, 'LIC0021');
    assert.equal(usage?.entity, 'License');
    const known = readHelpIds((await get(s, '/v1/alerts/helpidentifiers')).json());
    assert.ok(known.ok);
    assert.ok(known.value.has('LIC0021') && known.value.has('LIC0022'));
    // A reader configured for other identifiers still sees a billing alert, and can tell what to add.
    const custom = await warned({ usageAlertId: 'BILL-7', disconnectionAlertId: 'BILL-8' });
    const read = readAlerts(await alertsOf(custom), DEFAULT_BILLING_ALERT_IDS);
    assert.ok(read.ok);
    assert.deepEqual(
      read.value.billing.map((b) => [b.kind, b.recognised, b.helpIdentifier]),
      [['usage', false, 'BILL-7']],
    );
    const customKnown = readHelpIds((await get(custom, '/v1/alerts/helpidentifiers')).json());
    assert.ok(customKnown.ok);
    assert.deepEqual(
      unknownHelpIds(DEFAULT_BILLING_ALERT_IDS, customKnown.value, {
        usage: false,
        disconnection: false,
      }),
      [...DEFAULT_BILLING_ALERT_IDS.usage, ...DEFAULT_BILLING_ALERT_IDS.disconnection],
    );
    await assert.rejects(sim({ usageAlertId: 'LIC 12' }), /usageAlertId must be a help identifier/);
    await assert.rejects(sim({ usageAlertId: 'LIC0012', disconnectionAlertId: 'lic0012' }), /must differ/);
  });

  test('the disconnection alert carries the disconnection identifier, level Error', async () => {
    const s = await warned({ otherAlerts: false, disconnectionAlertId: 'LIC0013' });
    billing.setFault({ mode: 'error', status: 503 });
    await s.advance(15 * DAY);
    const [cut] = await alertsOf(s);
    assert.deepEqual([cut?.level, cut?.entity, cut?.helpIdentifier], ['Error', 'License', 'LIC0013']);
    const read = readAlerts([cut], DEFAULT_BILLING_ALERT_IDS);
    assert.ok(read.ok);
    assert.equal(read.value.billing[0]?.kind, 'disconnection');
  });
});

describe('ZVM simulator: its clock through the API', () => {
  test('serverDateTimeUtc and …Local follow the simulator clock, advances included', async () => {
    const s = await sim();
    await s.advance(3 * DAY);
    for (const path of ['serverDateTimeUtc', 'serverDateTimeLocal']) {
      const answer = await get(s, `/v1/serverDateTime/${path}`);
      assert.equal(answer.status, 200);
      assert.equal(typeof answer.json(), 'string');
      const read = readServerTime(answer.text);
      assert.ok(read.ok, path);
      assert.ok(Math.abs(read.ms - s.now()) < 1000, `${path}: ${answer.text}`);
      assert.ok(read.ms >= T0 + 3 * DAY);
    }
  });
});

describe('ZVM simulator: dialect logins', () => {
  test('Zerto 10 has no /v1/session/add, a Windows ZVM no Keycloak: 404, as the real ones', async () => {
    const basic = { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
    const zerto10 = await sim();
    const session = await request(`${zerto10.url}/v1/session/add`, { method: 'POST', headers: basic });
    assert.equal(session.status, 404);
    assert.equal(session.headers['x-zerto-session'], undefined);
    const windows = await sim({ dialect: 'windows' });
    const token = await request(`${windows.url}/auth/realms/zerto/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&client_id=zerto-client&username=admin&password=admin',
    });
    assert.equal(token.status, 404);
    // The bearer token works in both, for the demo and the tests.
    assert.equal((await get(zerto10, '/v1/localsite')).status, 200);
    assert.equal((await get(windows, '/v1/localsite')).status, 200);
  });
});

describe('ZVM simulator: its machine never bills an empty period', () => {
  /** A machine whose real time stands still until the test moves it. */
  function heldMachine(siteId: string) {
    let elapsed = 0;
    const m = createMachine({
      usageUrl: `${billing.url}/v1/usage`,
      siteId,
      siteName: 'Held clock',
      protectedVms: 3,
      policy: POLICY,
      autoSend: false,
      startAt: T0,
      sendTimeoutMs: 1000,
      licenseType: 'Cloud',
      log: () => {},
      elapsed: () => elapsed,
    });
    return { m, tick: (ms: number) => (elapsed += ms) };
  }
  const reportsOf = async (siteId: string) =>
    (await request(`${billing.url}/v1/usage?siteId=${siteId}`)).json<{
      reports: Array<{ reportId: string; period: { from: string; to: string } }>;
    }>().reports;

  test('after an advance by a fractional millisecond, a send in the same millisecond waits and bills one', async () => {
    const { m, tick } = heldMachine('site-fraction');
    await m.advance(HOUR + 0.4);
    assert.ok(Number.isInteger(m.now()), `the clock reads ${m.now()}`);
    const before = billing.stats();
    assert.equal(await m.sendUsage(), 'Passed');
    // The clock has not moved: a second send must wait for it, not bill [t, t) nor pass without sending.
    const second = m.sendUsage();
    const early = await Promise.race([second, sleep(60).then(() => 'waiting')]);
    assert.equal(early, 'waiting');
    // 0.4 advanced + 0.3 real: still the same whole millisecond.
    tick(0.3);
    assert.equal(
      await Promise.race([second, sleep(60).then(() => 'waiting')]),
      'waiting',
      'a fraction is not a ms',
    );
    tick(0.3);
    assert.equal(await second, 'Passed');
    const after = billing.stats();
    assert.equal(after.received - before.received, 2, 'each send reached the billing link');
    assert.equal(after.rejected, before.rejected, 'the receiver refused a report');
    const periods = (await reportsOf('site-fraction')).map((r) => r.period);
    assert.equal(periods.length, 2);
    for (const p of periods) assert.ok(Date.parse(p.to) > Date.parse(p.from), JSON.stringify(p));
    assert.equal(periods[1]?.from, periods[0]?.to);
    assert.equal(Date.parse(periods[1]!.to) - Date.parse(periods[1]!.from), 1);
    await m.stop();
  });

  test('two sends in the same millisecond both reach the billing link: Failed while it fails', async () => {
    const { m, tick } = heldMachine('site-same-ms');
    assert.equal(await m.sendUsage(), 'Passed');
    billing.setFault({ mode: 'error', status: 503 });
    const before = billing.stats();
    const both = Promise.all([m.sendUsage(), m.sendUsage()]);
    await sleep(30);
    tick(1);
    assert.deepEqual(await both, ['Failed', 'Failed']);
    assert.equal(billing.stats().faulted - before.faulted, 2, 'a send answered without reaching the link');
    // The failed report is resent as it is, and is not empty: once the link works it is accepted.
    billing.setFault({ mode: 'none' });
    assert.equal(await m.sendUsage(), 'Passed');
    assert.equal(billing.stats().rejected, before.rejected);
    await m.stop();
  });

  test('a clock that does not move fails the send in about a second, and says why', async () => {
    const { m } = heldMachine('site-stuck');
    assert.equal(await m.sendUsage(), 'Passed');
    const started = Date.now();
    assert.equal(await m.sendUsage(), 'Failed');
    assert.ok(Date.now() - started < 5000);
    assert.equal(m.lastAttempt()?.reason?.kind, 'misconfigured');
    await m.stop();
  });

  test('through HTTP: sends at once after a fractional advance are all Passed and bill contiguous periods', async () => {
    const s = await sim({ dialect: 'windows', siteId: 'site-http-fraction' });
    await s.advance(HOUR + 0.5);
    const before = billing.stats();
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => post(s, '/v1/localsite/billing/sendUsage')),
    );
    assert.deepEqual(
      answers.map((a) => a.json<string>()),
      ['Passed', 'Passed', 'Passed', 'Passed'],
    );
    assert.equal(billing.stats().received - before.received, 4);
    assert.equal(billing.stats().rejected, before.rejected);
    const periods = (await reportsOf('site-http-fraction')).map((r) => r.period);
    assert.equal(periods.length, 4);
    for (let i = 1; i < periods.length; i++) assert.equal(periods[i]?.from, periods[i - 1]?.to);
    assert.ok(Date.parse(periods[3]!.to) - T0 < HOUR + MINUTE);
  });
});
