import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DAY, HOUR, MINUTE } from '../../src/core/index.ts';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { clockLimit } from '../../servers/zvm/machine.ts';
import { startZvmSim, type ZvmSim, type ZvmSimOptions } from '../../servers/zvm/server.ts';
import { json, rawExchange, request, runCli, sleep, waitFor, type Answer } from './http-client.ts';

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const TOKEN = 'test-token';
const BEARER = { Authorization: `Bearer ${TOKEN}` };
const ORIGIN = 'http://console.test:5170';
const CONTROL_TOKEN = 'zvm-control-token-for-tests';
const CONTROL = { 'X-Control-Token': CONTROL_TOKEN };
const POLICY = { interval: HOUR, alertAfter: DAY, graceDays: 15 };

let billing: BillingServer;
let dataDir: string;
const sims: ZvmSim[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'zbb-zvm-test-'));
  billing = await startBillingServer({ port: 0, dataDir, quiet: true });
});
after(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await billing.close();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => billing.setFault({ mode: 'none' }));

async function sim(opts: Partial<ZvmSimOptions> = {}): Promise<ZvmSim> {
  const s = await startZvmSim({
    port: 0,
    billingUrl: billing.url,
    token: TOKEN,
    autoSend: false,
    startAt: T0,
    policy: POLICY,
    sendTimeoutMs: 1000,
    allowOrigins: [ORIGIN],
    controlToken: CONTROL_TOKEN,
    quiet: true,
    ...opts,
  });
  sims.push(s);
  return s;
}

const get = (s: ZvmSim, path: string, headers: Record<string, string> = BEARER): Promise<Answer> =>
  request(`${s.url}${path}`, { headers });
const sendUsage = (s: ZvmSim): Promise<Answer> =>
  request(`${s.url}/v1/localsite/billing/sendUsage`, { method: 'POST', headers: BEARER });
const controlState = async (s: ZvmSim) =>
  (await get(s, '/control/state', CONTROL)).json<{
    now: string;
    phase: string;
    deadline: string | null;
    daysLeft: number | null;
    vras: Array<Record<string, string>>;
    lastAttempt: { result: string; reportId: string; reason: { kind: string } | null } | null;
  }>();
const advance = (s: ZvmSim, advanceMs: unknown) =>
  request(`${s.url}/control/clock`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...CONTROL },
    body: json({ advanceMs }),
  });

type ZvmLink = { rel: null; href: string; type: string; identifier: string };
type ZvmAlert = {
  link: ZvmLink;
  level: string;
  entity: string;
  helpIdentifier: string;
  site: ZvmLink;
  description: string;
  turnedOn: string;
  isDismissed: boolean;
};
/** The simulator's own view of its VRAs (not the ZVM API's: VRA statuses there are numbers). */
const vraStates = async (s: ZvmSim) => (await controlState(s)).vras.map((v) => v.Status);

describe('ZVM simulator: authentication (a Windows ZVM: sessions)', () => {
  let s: ZvmSim;
  before(async () => {
    s = await sim({ dialect: 'windows', user: 'ops', password: 's3cret' });
  });

  test('401 JSON without credentials or with a wrong token', async () => {
    const none = await get(s, '/v1/localsite', {});
    assert.equal(none.status, 401);
    assert.match(none.json<{ Message: string }>().Message, /denied/);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="zvm-sim"');
    assert.equal((await get(s, '/v1/localsite', { Authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await get(s, '/v1/alerts', { 'x-zerto-session': 'made-up' })).status, 401);
  });

  test('a bearer token is accepted', async () => {
    assert.equal((await get(s, '/v1/localsite')).status, 200);
  });

  test('POST /v1/session/add with basic auth gives an x-zerto-session that is accepted', async () => {
    const basic = `Basic ${Buffer.from('ops:s3cret').toString('base64')}`;
    const added = await request(`${s.url}/v1/session/add`, {
      method: 'POST',
      headers: { Authorization: basic, Origin: ORIGIN },
    });
    assert.equal(added.status, 200);
    const session = added.headers['x-zerto-session'];
    assert.equal(typeof session, 'string');
    assert.match(String(added.headers['access-control-expose-headers']), /x-zerto-session/i);
    const site = await get(s, '/v1/localsite', { 'x-zerto-session': String(session) });
    assert.equal(site.status, 200);

    const wrong = await request(`${s.url}/v1/session/add`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('ops:guess').toString('base64')}` },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['x-zerto-session'], undefined);
  });

  test('a CORS preflight needs no credentials; other origins get no CORS headers', async () => {
    const preflight = await request(`${s.url}/v1/localsite`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(preflight.headers['access-control-allow-headers']), /x-zerto-session/);
    const other = await get(s, '/v1/localsite', { ...BEARER, Origin: 'http://evil.test' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

describe('ZVM simulator: public field shapes', () => {
  test('Zerto 10 (the default): camelCase, the site id only in link.identifier, nulls where it has nothing', async () => {
    const s = await sim({ siteId: 'site-ams', siteName: 'Amsterdam DR', protectedVms: 17 });
    const site = (await get(s, '/v1/localsite')).json();
    assert.equal(site.siteIdentifier, undefined);
    assert.equal(site.SiteIdentifier, undefined);
    assert.deepEqual(site.link, {
      rel: null,
      href: `${s.url.replace(/\/$/, '')}/v1/localsite`,
      type: 'LocalSiteApi',
      identifier: 'site-ams',
    });
    assert.equal(site.siteName, 'Amsterdam DR');
    assert.equal(site.version, '10.0.30');
    assert.equal(site.siteType, 'VCenter');
    assert.equal(site.isReplicationToSelfEnabled, false);
    assert.equal(site.utcOffsetInMinutes, 0);
    assert.equal(site.contactPhone, null);
    const license = (await get(s, '/v1/license')).json<{
      details: Record<string, unknown>;
      usage: { totalVmsCount: number; sitesUsage: unknown[] };
    }>();
    assert.equal(license.details.licenseType, 'Cloud');
    assert.equal(license.details.expiryTime, null);
    assert.equal(typeof license.details.maxVms, 'number');
    assert.equal(license.usage.totalVmsCount, 17);
    assert.deepEqual(license.usage.sitesUsage, [
      { siteIdentifier: 'site-ams', siteName: 'Amsterdam DR', protectedVmsCount: 17 },
    ]);
    const vras = (await get(s, '/v1/vras')).json<Array<Record<string, unknown>>>();
    assert.equal(vras.length, 3);
    assert.ok(vras.every((v) => Number.isSafeInteger(v.vraIdentifier) && v.status === 0));
    const unauthorized = (await get(s, '/v1/vras', {})).json();
    assert.equal(typeof unauthorized.message, 'string');
  });

  test('a Windows ZVM: PascalCase, SiteIdentifier beside the link, link keys as Windows writes them', async () => {
    const s = await sim({ dialect: 'windows', siteId: 'site-win', siteName: 'Windows DR' });
    const site = (await get(s, '/v1/localsite')).json<Record<string, unknown>>();
    assert.equal(site.SiteIdentifier, 'site-win');
    assert.equal((site.Link as ZvmLink).identifier, 'site-win');
    assert.equal(site.SiteName, 'Windows DR');
    assert.ok(
      Object.keys(site).every((k) => /^[A-Z]/.test(k)),
      Object.keys(site).join(),
    );
    const license = (await get(s, '/v1/license')).json<{ Details: { LicenseType: string } }>();
    assert.equal(license.Details.LicenseType, 'Cloud');
    const vras = (await get(s, '/v1/vras')).json<Array<Record<string, unknown>>>();
    assert.ok(vras.every((v) => Number.isSafeInteger(v.VraIdentifier) && v.Status === 0));
    const unauthorized = (await get(s, '/v1/vras', {})).json();
    assert.equal(typeof unauthorized.Message, 'string');
  });

  test('licenseType and licenseExpiry set the licence (a trial, an expired one)', async () => {
    const expiry = T0 - 10 * DAY;
    const s = await sim({ licenseType: 'Trial', licenseExpiry: expiry });
    const details = (await get(s, '/v1/license')).json<{ details: Record<string, unknown> }>().details;
    assert.equal(details.licenseType, 'Trial');
    assert.equal(details.expiryTime, new Date(expiry).toISOString());
    await assert.rejects(sim({ licenseExpiry: Number.NaN }), /licenseExpiry must be epoch ms/);
    await assert.rejects(sim({ dialect: 'appliance' as never }), /dialect must be one of zerto10, windows/);
  });

  test('unknown routes are 404 and wrong methods 405, as JSON', async () => {
    const s = await sim();
    const missing = await get(s, '/v1/nothing');
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.json().message, 'string');
    const wrong = await request(`${s.url}/v1/localsite/billing/sendUsage`, { headers: BEARER });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST, OPTIONS');
  });
});

describe('ZVM simulator: usage transmission', () => {
  test('Zerto 10: sendUsage answers 200 with no body once its transmission is over', async () => {
    const s = await sim({ siteId: 'site-empty', protectedVms: 4 });
    const answer = await sendUsage(s);
    assert.equal(answer.status, 200);
    assert.equal(answer.text, '');
    assert.equal(answer.headers['content-type'], undefined);
    // It answered after the attempt: the receiver has the report, and the attempt is recorded.
    const listed = (await request(`${billing.url}/v1/usage?siteId=site-empty`)).json<{ count: number }>();
    assert.equal(listed.count, 1);
    assert.equal((await controlState(s)).lastAttempt?.result, 'Passed');
    billing.setFault({ mode: 'error', status: 503 });
    const failed = await sendUsage(s);
    assert.equal(failed.status, 200);
    assert.equal(failed.text, '');
    assert.equal((await controlState(s)).lastAttempt?.result, 'Failed');
  });

  test('sendUsage answers "Passed" when the receiver acknowledges, and the receiver has the report', async () => {
    const s = await sim({
      dialect: 'windows',
      siteId: 'site-passed',
      siteName: 'Passed site',
      protectedVms: 9,
    });
    const answer = await sendUsage(s);
    assert.equal(answer.status, 200);
    assert.equal(answer.json<string>(), 'Passed');
    const listed = (await request(`${billing.url}/v1/usage?siteId=site-passed`)).json<{
      count: number;
      reports: Array<{ reportId: string; usage: { protectedVms: number }; client: { name: string } }>;
    }>();
    assert.equal(listed.count, 1);
    assert.equal(listed.reports[0]?.usage.protectedVms, 9);
    assert.equal(listed.reports[0]?.client.name, 'zvm-simulator');
    const state = await controlState(s);
    assert.equal(state.phase, 'ok');
    assert.equal(state.lastAttempt?.reportId, listed.reports[0]?.reportId);
    assert.equal(s.state().lastSuccessAt !== null, true);
  });

  test('sendUsage answers "Failed" while the receiver fails, and says why', async () => {
    const s = await sim({ dialect: 'windows', siteId: 'site-failed' });
    for (const [fault, kind] of [
      [{ mode: 'error', status: 503 }, 'http'],
      [{ mode: 'html' }, 'bad-answer'],
      [{ mode: 'wrong-shape' }, 'bad-answer'],
      [{ mode: 'malformed' }, 'bad-answer'],
      [{ mode: 'oversized' }, 'bad-answer'],
      [{ mode: 'reset' }, 'network'],
    ] as const) {
      billing.setFault(fault);
      const answer = await sendUsage(s);
      assert.equal(answer.json<string>(), 'Failed', fault.mode);
      assert.equal((await controlState(s)).lastAttempt?.reason?.kind, kind, fault.mode);
      assert.equal(s.state().lastFailure?.kind, kind);
    }
    billing.setFault({ mode: 'none' });
    const listed = (await request(`${billing.url}/v1/usage?siteId=site-failed`)).json<{ count: number }>();
    assert.equal(listed.count, 0);
  });

  test('a receiver that hangs is a timeout after sendTimeoutMs', async () => {
    const s = await sim({ dialect: 'windows', sendTimeoutMs: 300 });
    billing.setFault({ mode: 'hang' });
    const started = Date.now();
    assert.equal((await sendUsage(s)).json<string>(), 'Failed');
    assert.ok(Date.now() - started < 2000);
    assert.equal((await controlState(s)).lastAttempt?.reason?.kind, 'timeout');
  });

  test('a report that was not acknowledged is resent under the same id', async () => {
    const s = await sim({ dialect: 'windows', siteId: 'site-resend' });
    billing.setFault({ mode: 'error' });
    await sendUsage(s);
    const failedId = (await controlState(s)).lastAttempt?.reportId;
    billing.setFault({ mode: 'none' });
    assert.equal((await sendUsage(s)).json<string>(), 'Passed');
    assert.equal((await controlState(s)).lastAttempt?.reportId, failedId);
    // The next one is a new report.
    await sendUsage(s);
    assert.notEqual((await controlState(s)).lastAttempt?.reportId, failedId);
    assert.equal(
      (await request(`${billing.url}/v1/usage?siteId=site-resend`)).json<{ count: number }>().count,
      2,
    );
  });
});

describe('ZVM simulator: enforcement on its own clock', () => {
  test('warning alert, then VRAs disconnected past the deadline, then connected again after usage is sent', async () => {
    billing.setFault({ mode: 'error', status: 503 });
    const s = await sim({ siteId: 'site-enforce', siteName: 'Enforced', autoSend: true, otherAlerts: false });
    // autoSend transmits at start: one failure.
    await waitFor(
      async () => ((await controlState(s)).lastAttempt ? true : undefined),
      3000,
      'the first attempt',
    );
    const faultedBefore = billing.stats().faulted;

    const warned = await advance(s, DAY + HOUR);
    assert.equal(warned.status, 200);
    assert.equal(warned.json<{ phase: string }>().phase, 'warning');
    // One catch-up transmission for the 25 hours skipped, not one per missed interval.
    assert.equal(billing.stats().faulted - faultedBefore, 1);

    const alerts = (await get(s, '/v1/alerts')).json<ZvmAlert[]>();
    assert.equal(alerts.length, 1);
    const [warning] = alerts;
    assert.equal(warning?.level, 'Warning');
    assert.equal(warning?.entity, 'License');
    assert.equal(warning?.helpIdentifier, 'LIC0012');
    assert.equal(warning?.site.identifier, 'site-enforce');
    assert.equal(typeof warning?.link.identifier, 'string');
    assert.equal(warning?.turnedOn, new Date(T0 + DAY).toISOString());
    assert.equal(warning?.isDismissed, false);
    assert.match(warning?.description ?? '', /Enforced did not send site usage information.*within 15 days/);
    const state = await controlState(s);
    assert.equal(state.deadline, new Date(T0 + DAY + 15 * DAY).toISOString());
    assert.equal(state.daysLeft, 15);
    assert.deepEqual(await vraStates(s), ['Connected', 'Connected', 'Connected']);

    await advance(s, 15 * DAY);
    assert.deepEqual(await vraStates(s), ['Disconnected', 'Disconnected', 'Disconnected']);
    const disconnected = (await get(s, '/v1/alerts')).json<ZvmAlert[]>();
    assert.deepEqual(
      disconnected.map((a) => [a.level, a.helpIdentifier]),
      [['Error', 'LIC0013']],
    );
    assert.equal(disconnected[0]?.turnedOn, new Date(T0 + 16 * DAY).toISOString());
    assert.equal((await controlState(s)).phase, 'disconnected');

    billing.setFault({ mode: 'none' });
    assert.equal((await sendUsage(s)).status, 200);
    assert.equal((await controlState(s)).lastAttempt?.result, 'Passed');
    assert.deepEqual(await vraStates(s), ['Connected', 'Connected', 'Connected']);
    assert.deepEqual((await get(s, '/v1/alerts')).json(), []);
    assert.equal((await controlState(s)).phase, 'ok');
  });

  test('advance() works programmatically, and the clock is its own', async () => {
    const s = await sim();
    assert.ok(Math.abs(s.now() - T0) < 5000);
    await s.advance(3 * DAY);
    assert.ok(s.now() - T0 >= 3 * DAY);
    assert.equal(s.state().phase, 'warning');
    assert.equal(new Date((await controlState(s)).now).getTime() >= T0 + 3 * DAY, true);
    await assert.rejects(s.advance(0), RangeError);
    await assert.rejects(s.advance(401 * DAY), RangeError);
  });

  test('every answer carries a Date header on the simulator clock, readable across origins', async () => {
    // The sim's clock is not the machine's: it starts 30 days before it.
    const start = Date.now() - 30 * DAY;
    const s = await sim({ startAt: start });
    const dateOf = (a: Answer) => Date.parse(String(a.headers.date));
    // The header counts whole seconds; the sim's clock runs on while the request is answered.
    const near = (a: Answer, expected: number, what: string) => {
      const at = dateOf(a);
      assert.ok(Number.isFinite(at), `${what}: no usable Date header (${String(a.headers.date)})`);
      assert.ok(
        Math.abs(at - expected) < 5000,
        `${what}: Date ${new Date(at).toISOString()}, expected about ${new Date(expected).toISOString()}`,
      );
    };
    const started = await get(s, '/v1/localsite', { ...BEARER, Origin: ORIGIN });
    near(started, start, 'at start');
    assert.match(String(started.headers['access-control-expose-headers']), /(^|,\s*)Date(\s*,|$)/i);
    assert.match(String(started.headers['access-control-expose-headers']), /x-zerto-session/i);

    await s.advance(3 * DAY);
    const later = await get(s, '/v1/alerts', { ...BEARER, Origin: ORIGIN });
    near(later, start + 3 * DAY, 'after advancing 3 days');
    assert.ok(dateOf(later) - dateOf(started) >= 3 * DAY - 1000, 'the Date header is 3 days ahead');
    assert.ok(Date.now() - dateOf(later) > 26 * DAY, 'the Date header follows the machine clock');

    // Every kind of answer: refused, unknown, preflight, token, sendUsage, control.
    const answers: Array<[string, Answer]> = [
      ['401', await get(s, '/v1/localsite', {})],
      ['404', await get(s, '/v1/nothing')],
      [
        'preflight',
        await request(`${s.url}/v1/alerts`, {
          method: 'OPTIONS',
          headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
        }),
      ],
      [
        'token',
        await request(`${s.url}/auth/realms/zerto/protocol/openid-connect/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=password&client_id=zerto-client&username=admin&password=admin',
        }),
      ],
      ['sendUsage', await sendUsage(s)],
      ['control/state', await get(s, '/control/state', CONTROL)],
    ];
    for (const [what, a] of answers) near(a, start + 3 * DAY, what);
    // An answer to an advance is dated after it.
    const advanced = await advance(s, DAY);
    assert.equal(advanced.status, 200);
    near(advanced, start + 4 * DAY, 'the answer to POST /control/clock');
  });

  test('POST /control/clock refuses a bad advanceMs with 400 naming it', async () => {
    const s = await sim();
    for (const bad of [0, -MINUTE, 'soon', null, 401 * DAY]) {
      const answer = await advance(s, bad);
      assert.equal(answer.status, 400, String(bad));
      assert.equal(answer.json<{ error: { field: string } }>().error.field, 'advanceMs');
    }
    const notJson = await request(`${s.url}/control/clock`, {
      method: 'POST',
      body: 'advance a day',
      headers: { 'Content-Type': 'application/json', ...CONTROL },
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json<{ error: { field: string } }>().error.field, 'body');
    const untyped = await request(`${s.url}/control/clock`, {
      method: 'POST',
      body: json({ advanceMs: DAY }),
      headers: CONTROL,
    });
    assert.equal(untyped.status, 415);
    assert.ok(Math.abs(s.now() - T0) < 5000, 'a refused advance moved the clock');
  });

  test('autoSend transmits at start and then every interval of real time', async () => {
    const s = await sim({ siteId: 'site-auto', autoSend: true, policy: { ...POLICY, interval: 1000 } });
    const count = async () =>
      (await request(`${billing.url}/v1/usage?siteId=site-auto`)).json<{ count: number }>().count;
    await waitFor(async () => ((await count()) >= 2 ? true : undefined), 4000, 'two transmissions');
    assert.equal(s.state().phase, 'ok');
  });

  test('startZvmSim refuses a bad policy or billing URL with a clear message', async () => {
    await assert.rejects(sim({ policy: { graceDays: -1 } }), /policy\.graceDays/);
    await assert.rejects(sim({ billingUrl: 'not a url' }), /billingUrl is not a URL/);
  });
});

describe('ZVM simulator: a web page cannot touch it', () => {
  type ErrorBody = { error: { code: string; field?: string; message: string } };

  test('a cross-site text/plain POST to /control/clock is refused and moves nothing', async () => {
    const s = await sim({ siteId: 'site-csrf' });
    const clock = (headers: Record<string, string>) =>
      request(`${s.url}/control/clock`, { method: 'POST', headers, body: json({ advanceMs: 400 * DAY }) });
    // What any web page can send without a preflight: a text/plain post from its own origin.
    const crossSite = await clock({ Origin: 'http://evil.test', 'Content-Type': 'text/plain' });
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.json<ErrorBody>().error.code, 'forbidden-origin');
    assert.equal(crossSite.headers['access-control-allow-origin'], undefined);
    const withToken = await clock({
      Origin: 'http://evil.test',
      'Content-Type': 'application/json',
      ...CONTROL,
    });
    assert.equal(withToken.status, 403);
    const plain = await clock({ 'Content-Type': 'text/plain', ...CONTROL });
    assert.equal(plain.status, 415);
    const noToken = await clock({ Origin: ORIGIN, 'Content-Type': 'application/json' });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.json<ErrorBody>().error.field, 'X-Control-Token');
    const wrongToken = await clock({ 'Content-Type': 'application/json', 'X-Control-Token': 'x'.repeat(27) });
    assert.equal(wrongToken.status, 401);
    assert.ok(Math.abs(s.now() - T0) < 5000, 'a refused post moved the clock');
    assert.equal(s.state().firstAlertAt, null);
    assert.equal((await request(`${s.url}/control/state`)).status, 401);
  });

  test('a foreign Host (DNS rebinding) is refused on /v1/alerts, /control/state and the rest', async () => {
    const s = await sim({ siteId: 'site-rebind' });
    for (const path of ['/v1/alerts', '/control/state', '/v1/localsite', '/v1/session/add', '/nowhere']) {
      for (const host of [
        'evil.test',
        `evil.test:${s.port}`,
        `127.0.0.1:${s.port + 1}`,
        `localhost.:${s.port}`,
      ]) {
        const answer = await request(`${s.url}${path}`, { headers: { Host: host, ...BEARER, ...CONTROL } });
        assert.equal(answer.status, 421, `${path} with Host ${host}`);
        assert.equal(answer.json<ErrorBody>().error.code, 'wrong-host');
        assert.doesNotMatch(answer.text, /site-rebind|phase/);
      }
    }
    for (const host of [`localhost:${s.port}`, `127.0.0.1:${s.port}`]) {
      const answer = await request(`${s.url}/v1/alerts`, { headers: { Host: host, ...BEARER } });
      assert.equal(answer.status, 200, host);
    }
  });

  test('a control call with the token, JSON and an allowed or absent Origin works', async () => {
    const s = await sim();
    const fromPage = await request(`${s.url}/control/clock`, {
      method: 'POST',
      headers: { Origin: ORIGIN, 'Content-Type': 'application/json', ...CONTROL },
      body: json({ advanceMs: HOUR }),
    });
    assert.equal(fromPage.status, 200);
    assert.equal(fromPage.headers['access-control-allow-origin'], ORIGIN);
    const fromCli = await advance(s, HOUR);
    assert.equal(fromCli.status, 200);
    assert.ok(s.now() - T0 >= 2 * HOUR);
    const state = await get(s, '/control/state', { Origin: ORIGIN, ...CONTROL });
    assert.equal(state.status, 200);
    assert.ok(Date.parse(state.json<{ now: string }>().now) - T0 >= 2 * HOUR);
  });

  test('405 and Allow come from the route table', async () => {
    const s = await sim();
    const clock = await get(s, '/control/clock', CONTROL);
    assert.equal(clock.status, 405);
    assert.equal(clock.headers.allow, 'POST, OPTIONS');
    const alerts = await request(`${s.url}/v1/alerts`, { method: 'POST', headers: BEARER });
    assert.equal(alerts.status, 405);
    assert.equal(alerts.headers.allow, 'GET, OPTIONS');
    const missing = await get(s, '/control/nothing', CONTROL);
    assert.equal(missing.status, 404);
    assert.match(missing.json<ErrorBody>().error.message, /\/control\/state, \/control\/clock/);
  });
});

describe('ZVM simulator: clock bounds, send timeout, sessions and logins', () => {
  test('the clock stays inside the Date range: an advance past it is a 400 and moves nothing', async () => {
    const latest = clockLimit(POLICY);
    const s = await sim({ startAt: latest - 10 * DAY });
    const refused = await advance(s, 30 * DAY);
    assert.equal(refused.status, 400);
    const error = refused.json<{ error: { field: string; message: string } }>().error;
    assert.equal(error.field, 'advanceMs');
    assert.match(error.message, /Date range/);
    assert.ok(s.now() < latest - 9 * DAY, 'a refused advance moved the clock');
    await assert.rejects(s.advance(30 * DAY), RangeError);
    assert.equal((await advance(s, 5 * DAY)).status, 200);
    const state = await get(s, '/control/state', CONTROL);
    assert.equal(state.status, 200);
    assert.ok(Number.isFinite(Date.parse(state.json<{ now: string }>().now)));
    assert.equal((await get(s, '/v1/alerts')).status, 200);
    // A start outside the range is refused at once.
    await assert.rejects(sim({ startAt: 8.64e15 }), /startAt must be epoch ms/);
    await assert.rejects(sim({ startAt: -8.64e15 - 1 }), /startAt must be epoch ms/);
  });

  test('a hung receiver makes sendUsage answer Failed within the timeout, garbage collection or not', async () => {
    // The timeout once hung on an AbortSignal.timeout that garbage collection could take with its timer.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = await sim({ dialect: 'windows', sendTimeoutMs: 300, siteId: 'site-hung' });
    billing.setFault({ mode: 'hang' });
    const collecting = setInterval(() => gc(), 5);
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const answer = await sendUsage(s);
        const took = Date.now() - started;
        assert.equal(answer.json<string>(), 'Failed');
        assert.ok(took >= 280 && took < 1500, `answered after ${took} ms`);
        assert.equal((await controlState(s)).lastAttempt?.reason?.kind, 'timeout');
      }
    } finally {
      clearInterval(collecting);
    }
  });

  test('an acknowledgement arriving after the timeout counts as Failed, and the report is resent', async () => {
    const s = await sim({ dialect: 'windows', sendTimeoutMs: 200, siteId: 'site-late' });
    billing.setFault({ mode: 'slow', delayMs: 500 });
    assert.equal((await sendUsage(s)).json<string>(), 'Failed');
    const late = await controlState(s);
    assert.equal(late.lastAttempt?.reason?.kind, 'timeout');
    assert.equal(s.state().lastSuccessAt, null);
    await sleep(400);
    assert.equal(s.state().lastSuccessAt, null, 'the late answer was counted after all');
    billing.setFault({ mode: 'none' });
    assert.equal((await sendUsage(s)).json<string>(), 'Passed');
    assert.equal((await controlState(s)).lastAttempt?.reportId, late.lastAttempt?.reportId);
  });

  test('a session ends after sessionIdleMs unused; using it keeps it alive', async () => {
    const s = await sim({ dialect: 'windows', sessionIdleMs: 400 });
    const added = await request(`${s.url}/v1/session/add`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    });
    const session = { 'x-zerto-session': String(added.headers['x-zerto-session']) };
    assert.equal((await get(s, '/v1/alerts', session)).status, 200);
    await sleep(250);
    assert.equal((await get(s, '/v1/alerts', session)).status, 200);
    await sleep(250);
    assert.equal((await get(s, '/v1/alerts', session)).status, 200, 'a session in use expired');
    await sleep(550);
    assert.equal((await get(s, '/v1/alerts', session)).status, 401, 'an idle session was still accepted');
    assert.equal((await get(s, '/v1/alerts', session)).status, 401);
  });

  test('failed logins are throttled: past N failures every login gets 429, and each failure doubles the wait', async () => {
    const s = await sim({
      dialect: 'windows',
      user: 'ops',
      password: 's3cret',
      loginThrottle: { freeFailures: 2, lockoutMs: 400 },
    });
    const login = (password: string) =>
      request(`${s.url}/v1/session/add`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` },
      });
    assert.equal((await login('guess-1')).status, 401);
    assert.equal((await login('guess-2')).status, 401);
    const throttled = await login('guess-3');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers['retry-after'], '1');
    assert.match(throttled.json<{ Message: string }>().Message, /Too many failed logins/);
    assert.equal((await login('s3cret')).status, 429, 'the right password went through a lockout');
    await sleep(450);
    // One more failure after the lockout: the next wait is twice as long.
    assert.equal((await login('guess-4')).status, 401);
    assert.equal((await login('s3cret')).status, 429);
    await sleep(450);
    assert.equal((await login('s3cret')).status, 429, 'the second lockout was not longer');
    await sleep(450);
    const ok = await login('s3cret');
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.headers['x-zerto-session'], 'string');
    // A right login starts the count again.
    assert.equal((await login('guess-5')).status, 401);
  });

  test('a silent socket is closed by the header timeout; malformed HTTP gets JSON', async () => {
    const s = await sim({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const silent = await rawExchange(s.port, '', { timeoutMs: 3000 });
    assert.ok(silent.closedByServer, 'the simulator kept a silent socket open');
    assert.ok(silent.closedAfterMs < 1500, `closed after ${silent.closedAfterMs} ms`);
    const host = `Host: 127.0.0.1:${s.port}\r\n`;
    for (const [bytes, status] of [
      ['NOT HTTP AT ALL\r\n\r\n', 400],
      [`GET /v1/alerts HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431],
      ['GET /v1/alerts HTTP/1.1\r\n\r\n', 400],
      [`POST /control/clock HTTP/1.1\r\n${host}Content-Length: 12x\r\n\r\n`, 400],
    ] as const) {
      const answer = await rawExchange(s.port, bytes);
      assert.equal(answer.status, status, answer.text.slice(0, 200));
      assert.equal(typeof answer.json().error.message, 'string');
      assert.ok(answer.closedByServer);
    }
  });
});

describe('ZVM simulator: Zerto 10 token endpoint', () => {
  const TOKEN_URL = '/auth/realms/zerto/protocol/openid-connect/token';
  const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
  let s: ZvmSim;
  before(async () => {
    s = await sim({
      user: 'ops',
      password: 's3cret',
      clientId: 'fleet',
      clientSecret: 'fleet-secret-value',
      tokenTtlMs: 1500,
      loginThrottle: { freeFailures: 100 },
    });
  });
  const grant = (form: Record<string, string>, headers: Record<string, string> = FORM) =>
    request(`${s.url}${TOKEN_URL}`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(form).toString(),
    });

  test('a client_credentials grant gives a bearer token that the API accepts', async () => {
    const answer = await grant({
      grant_type: 'client_credentials',
      client_id: 'fleet',
      client_secret: 'fleet-secret-value',
    });
    assert.equal(answer.status, 200);
    const body = answer.json<{ access_token: string; expires_in: number; token_type: string }>();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 1);
    assert.equal(answer.headers['cache-control'], 'no-store');
    const site = await get(s, '/v1/localsite', { Authorization: `Bearer ${body.access_token}` });
    assert.equal(site.status, 200);
    // The static token keeps working beside it.
    assert.equal((await get(s, '/v1/localsite')).status, 200);
  });

  test('a password grant (public zerto-client, or the client in basic auth) gives a token', async () => {
    const publicClient = await grant({
      grant_type: 'password',
      client_id: 'zerto-client',
      username: 'ops',
      password: 's3cret',
    });
    assert.equal(publicClient.status, 200);
    const basic = `Basic ${Buffer.from('fleet:fleet-secret-value').toString('base64')}`;
    const confidential = await grant(
      { grant_type: 'password', username: 'ops', password: 's3cret' },
      { ...FORM, Authorization: basic },
    );
    assert.equal(confidential.status, 200);
    const token = confidential.json<{ access_token: string }>().access_token;
    assert.equal((await get(s, '/v1/alerts', { Authorization: `Bearer ${token}` })).status, 200);
  });

  test('wrong credentials, a wrong grant or a non-form body are refused in the OAuth error shape', async () => {
    const wrongSecret = await grant({
      grant_type: 'client_credentials',
      client_id: 'fleet',
      client_secret: 'nope',
    });
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.json<{ error: string }>().error, 'invalid_client');
    const wrongUser = await grant({
      grant_type: 'password',
      client_id: 'zerto-client',
      username: 'ops',
      password: 'wrong',
    });
    assert.equal(wrongUser.status, 401);
    assert.equal(wrongUser.json<{ error: string }>().error, 'invalid_grant');
    const unsupported = await grant({ grant_type: 'authorization_code', code: 'x' });
    assert.equal(unsupported.status, 400);
    assert.equal(unsupported.json<{ error: string }>().error, 'unsupported_grant_type');
    const json = await request(`${s.url}${TOKEN_URL}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    assert.equal(json.status, 400);
    assert.equal(json.json<{ error: string }>().error, 'invalid_request');
    assert.equal((await get(s, '/v1/localsite', { Authorization: 'Bearer sim.made-up' })).status, 401);
  });

  test('a token expires after its lifetime: 401, counted as an expired token refused', async () => {
    const answer = await grant({
      grant_type: 'client_credentials',
      client_id: 'fleet',
      client_secret: 'fleet-secret-value',
    });
    const token = answer.json<{ access_token: string }>().access_token;
    const auth = { Authorization: `Bearer ${token}` };
    assert.equal((await get(s, '/v1/localsite', auth)).status, 200);
    const before = (await get(s, '/control/state', CONTROL)).json<{
      auth: { expiredTokensRefused: number };
    }>();
    await sleep(1600);
    assert.equal((await get(s, '/v1/localsite', auth)).status, 401);
    const after = (await get(s, '/control/state', CONTROL)).json<{
      auth: { expiredTokensRefused: number };
    }>();
    assert.equal(after.auth.expiredTokensRefused, before.auth.expiredTokensRefused + 1);
  });

  test('repeated wrong secrets are throttled (429 with Retry-After)', async () => {
    const t = await sim({
      clientId: 'fleet',
      clientSecret: 'fleet-secret-value',
      loginThrottle: { freeFailures: 2 },
    });
    const wrong = () =>
      request(`${t.url}${TOKEN_URL}`, {
        method: 'POST',
        headers: FORM,
        body: 'grant_type=client_credentials&client_id=fleet&client_secret=nope',
      });
    assert.equal((await wrong()).status, 401);
    assert.equal((await wrong()).status, 401);
    const throttled = await wrong();
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers['retry-after']) >= 1);
  });
});

describe('ZVM simulator: command line', () => {
  test('prints its URL and stops cleanly on SIGTERM', async () => {
    const cli = runCli('servers/zvm/cli.ts', [
      '--port',
      '0',
      '--billing',
      billing.url,
      '--no-auto-send',
      '--quiet',
    ]);
    const line = await cli.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = line.replace('listening on ', '');
    const site = await request(`${url}/v1/localsite`, { headers: { Authorization: 'Bearer demo-token' } });
    assert.equal(site.status, 200);
    const token = (await cli.waitForOutput(/control token: \S+/)).replace('control token: ', '');
    assert.equal((await request(`${url}/control/state`)).status, 401);
    const state = await request(`${url}/control/state`, { headers: { 'X-Control-Token': token } });
    assert.equal(state.status, 200);
    cli.signal('SIGTERM');
    assert.equal((await cli.exit()).code, 0);
  });

  test('--dialect windows answers as a Windows ZVM, with its help identifiers and licence', async () => {
    const cli = runCli('servers/zvm/cli.ts', [
      '--port',
      '0',
      '--billing',
      billing.url,
      '--no-auto-send',
      '--dialect',
      'windows',
      '--usage-alert-id',
      'LIC0021',
      '--disconnection-alert-id',
      'LIC0022',
      '--license-type',
      'NFR',
      '--license-expiry',
      '2027-01-31T00:00:00Z',
      '--no-other-alerts',
      '--quiet',
    ]);
    const line = await cli.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = line.replace('listening on ', '');
    const login = await request(`${url}/v1/session/add`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    });
    assert.equal(login.status, 200);
    const session = { 'x-zerto-session': String(login.headers['x-zerto-session']) };
    const site = (await request(`${url}/v1/localsite`, { headers: session })).json();
    assert.equal(typeof site.SiteIdentifier, 'string');
    const license = (await request(`${url}/v1/license`, { headers: session })).json<{
      Details: { LicenseType: string; ExpiryTime: string };
    }>();
    assert.deepEqual(license.Details.LicenseType, 'NFR');
    assert.equal(license.Details.ExpiryTime, '2027-01-31T00:00:00.000Z');
    const ids = (await request(`${url}/v1/alerts/helpidentifiers`, { headers: session })).json<string[]>();
    assert.ok(ids.includes('LIC0021') && ids.includes('LIC0022'), ids.join());
    assert.deepEqual((await request(`${url}/v1/alerts`, { headers: session })).json(), []);
    cli.signal('SIGTERM');
    assert.equal((await cli.exit()).code, 0);
  });

  test('a bad --dialect, help identifier or licence expiry exits 2 naming the flag', async () => {
    for (const [flags, message] of [
      [['--dialect', 'linux'], /--dialect must be zerto10 or windows/],
      [['--usage-alert-id', 'LIC 12'], /--usage-alert-id must be a help identifier/],
      [['--license-expiry', 'next year'], /--license-expiry must be an ISO 8601 date-time/],
    ] as const) {
      const { code, stderr } = await runCli('servers/zvm/cli.ts', ['--port', '0', ...flags]).exit();
      assert.equal(code, 2, flags.join(' '));
      assert.match(stderr, message);
    }
  });

  test('--token-ttl must be a whole number of seconds ≥ 1', async () => {
    const { code, stderr } = await runCli('servers/zvm/cli.ts', ['--port', '0', '--token-ttl', '0']).exit();
    assert.equal(code, 2);
    assert.match(stderr, /--token-ttl must be a whole number ≥ 1/);
  });

  test('a bad policy flag prints its error and exits 2', async () => {
    const { code, stderr } = await runCli('servers/zvm/cli.ts', ['--port', '0', '--grace-days', '0']).exit();
    assert.equal(code, 2);
    assert.match(stderr, /policy\.graceDays/);
  });
});
