// The fleet service against real ZVM simulators: it reads each through Zerto 10's token endpoint (or a
// session, or a static token) and reports the phase and deadline each simulator enforces.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR, viewOf } from '../../../src/core/index.ts';
import { parseAlert, parseGraceState } from '../../../src/core/state.ts';
import { CSV_COLUMNS } from '../../../src/export/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { request, sleep } from '../http-client.ts';
import {
  billing,
  closedPort,
  OPERATOR_KEY,
  openStream,
  parsePrometheus,
  READ_KEY,
  sim,
  simState,
  sites,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type FleetProcess,
  type Summary,
} from './harness.ts';

const FLEET_POLICY = { interval: 1000, alertAfter: 60_000, graceDays: 15 };
const ENV = {
  FLEET_TEST_READ_KEY: READ_KEY,
  FLEET_TEST_SECRET: 'cc-secret-for-tests',
  FLEET_TEST_WRONG_SECRET: 'not-the-secret',
  FLEET_TEST_PASSWORD: 'pw-for-tests',
  FLEET_TEST_STATIC: 'static-token-for-tests',
};

let dir: { path: string; remove(): Promise<void> };
let good: BillingServer;
let bad: BillingServer;
const sims: Record<string, ZvmSim> = {};
let fleet: FleetProcess;
let configPath: string;
let config: { zvms: Array<Record<string, unknown>> } & Record<string, unknown>;

before(async () => {
  dir = await tempDir('zbb-fleet-');
  good = await billing(join(dir.path, 'billing-good'));
  bad = await billing(join(dir.path, 'billing-bad'));
  bad.setFault({ mode: 'error', status: 503 });
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const cc = { clientId: 'fleet-test', clientSecret: ENV.FLEET_TEST_SECRET };
  sims.ok = await sim(good.url, { ...cc, tokenTtlMs: 2000, siteName: 'Amsterdam' });
  sims.pw = await sim(good.url, { user: 'ops', password: ENV.FLEET_TEST_PASSWORD, siteName: 'Berlin' });
  // A Windows ZVM (PascalCase, /v1/session/add, Passed/Failed); the others speak Zerto 10.
  sims.session = await sim(good.url, {
    user: 'ops',
    password: ENV.FLEET_TEST_PASSWORD,
    siteName: 'Old',
    dialect: 'windows',
  });
  sims.warn = await sim(bad.url, { token: ENV.FLEET_TEST_STATIC, siteName: 'Chicago' });
  sims.lastday = await sim(dead, { token: ENV.FLEET_TEST_STATIC, siteName: 'Denver' });
  sims.off = await sim(dead, { token: ENV.FLEET_TEST_STATIC, siteName: 'Essen' });
  // The ZVMs' own clocks: no success for a day opens the alert; its deadline is 15 days later.
  await sims.warn.advance(DAY + HOUR);
  await sims.lastday.advance(DAY + 14 * DAY + 12 * HOUR);
  await sims.off.advance(DAY + 16 * DAY);
  await writeFile(join(dir.path, 'operator.key'), `${OPERATOR_KEY}\n`);
  const token = { type: 'token', token: { env: 'FLEET_TEST_STATIC' } };
  config = {
    dataDir: 'data',
    http: { port: 0, allowOrigins: ['http://console.test:5170'] },
    apiKeys: [
      { name: 'noc', role: 'read', key: { env: 'FLEET_TEST_READ_KEY' } },
      { name: 'ops', role: 'operator', key: { file: 'operator.key' } },
    ],
    concurrency: 4,
    defaults: { policy: FLEET_POLICY, timeoutMs: 2000, maxBackoffMs: 2000, jitter: 0.1, startSpreadMs: 0 },
    zvms: [
      {
        id: 'ok-cc',
        url: sims.ok.url,
        auth: {
          type: 'client-credentials',
          clientId: 'fleet-test',
          clientSecret: { env: 'FLEET_TEST_SECRET' },
        },
      },
      {
        id: 'ok-pw',
        url: sims.pw.url,
        auth: { type: 'password', username: 'ops', password: { env: 'FLEET_TEST_PASSWORD' } },
      },
      {
        id: 'ok-session',
        url: sims.session.url,
        auth: { type: 'session', username: 'ops', password: { env: 'FLEET_TEST_PASSWORD' } },
      },
      { id: 'warn', url: sims.warn.url, auth: token },
      { id: 'lastday', url: sims.lastday.url, auth: token },
      { id: 'off', url: sims.off.url, auth: token },
      {
        id: 'blind-auth',
        url: sims.ok.url,
        auth: {
          type: 'client-credentials',
          clientId: 'fleet-test',
          clientSecret: { env: 'FLEET_TEST_WRONG_SECRET' },
        },
      },
      { id: 'blind-down', url: `http://127.0.0.1:${await closedPort()}`, auth: token },
    ],
  };
  configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, config);
  fleet = await startFleet(configPath, ENV);
});

after(async () => {
  fleet?.child.kill('SIGTERM');
  await fleet?.exited();
  await Promise.all(Object.values(sims).map((s) => s.close()));
  await good?.close();
  await bad?.close();
  await dir?.remove();
});

const everyoneRead = (s: Map<string, Summary>) => [...s.values()].every((x) => x.lastAttemptAt !== null);
const near = (a: string | null, b: string | null, ms = 2000) =>
  a !== null && b !== null && Math.abs(Date.parse(a) - Date.parse(b)) <= ms;

describe('fleet service: one truth for every ZVM', () => {
  test('reports the phase and deadline each simulator enforces: ok, warning, last day, disconnected', async () => {
    const seen = await waitForSites(
      fleet,
      (s) => everyoneRead(s) && ['ok-cc', 'ok-pw', 'ok-session'].every((id) => s.get(id)?.status === 'ok'),
      30_000,
      'every site read and the healthy ones ok',
    );
    for (const [id, s] of [
      ['ok-cc', sims.ok],
      ['ok-pw', sims.pw],
      ['ok-session', sims.session],
      ['warn', sims.warn],
      ['lastday', sims.lastday],
      ['off', sims.off],
    ] as const) {
      const mine = seen.get(id)!;
      const zvm = await simState(s!);
      assert.equal(mine.status, zvm.phase, `${id}: the service says ${mine.status}, the ZVM ${zvm.phase}`);
      if (zvm.deadline === null) assert.equal(mine.zvmDeadline, null, `${id}: no deadline`);
      else {
        assert.ok(
          near(mine.zvmDeadline, zvm.deadline),
          `${id}: deadline ${mine.zvmDeadline} vs the ZVM's ${zvm.deadline}`,
        );
        if (zvm.phase === 'warning') assert.equal(mine.daysLeft, zvm.daysLeft, `${id}: days left`);
      }
    }
    assert.equal(seen.get('warn')!.daysLeft, 15);
    assert.equal(seen.get('lastday')!.daysLeft, 1);
    assert.equal(seen.get('lastday')!.lastDay, true);
    assert.equal(seen.get('warn')!.lastDay, false);
  });

  test('"cannot see" (refused credentials, ZVM down) is no billing alarm: no phase, no countdown', async () => {
    const seen = await sites(fleet);
    for (const id of ['blind-auth', 'blind-down']) {
      const s = seen.get(id)!;
      assert.equal(s.status, 'cannot-see', id);
      assert.equal(s.phase, 'unknown', id);
      assert.equal(s.deadline, null, id);
      assert.equal(s.daysLeft, null, id);
      assert.ok(s.cannotSee, id);
    }
    assert.match(seen.get('blind-auth')!.cannotSee!.reason, /token endpoint refused/);
    // The same ZVM, read with the right client, is ok: only this service's view of it is blind.
    assert.equal((await simState(sims.ok!)).phase, 'ok');
    assert.equal(seen.get('ok-cc')!.status, 'ok');
  });

  test('renews its Zerto 10 token before it expires: several tokens, none refused as expired', async () => {
    const start = (await simState(sims.ok!)).auth;
    await sleep(4500);
    const now = (await simState(sims.ok!)).auth;
    assert.ok(
      now.tokensIssued - start.tokensIssued >= 2,
      `tokens issued: ${start.tokensIssued} → ${now.tokensIssued}`,
    );
    assert.equal(now.expiredTokensRefused, 0, 'the ZVM refused an expired token');
    const detail = (await fleet.get('/v1/sites/ok-cc')).json<{
      site: Summary;
      credentials: { obtained: number };
    }>();
    assert.equal(detail.site.status, 'ok');
    assert.equal(detail.site.lastResult, 'passed');
    assert.ok(detail.credentials.obtained >= 3);
  });

  test('GET /v1/sites/{id} gives the GraceView the banner shows, and 404 for an unknown site', async () => {
    const a = await fleet.get('/v1/sites/warn');
    assert.equal(a.status, 200);
    const body = a.json<{
      view: { phase: string; source: string; daysLeft: number; message: { key: string } };
    }>();
    assert.equal(body.view.phase, 'warning');
    assert.equal(body.view.source, 'zvm');
    assert.equal(body.view.daysLeft, 15);
    assert.equal(body.view.message.key, 'usage-not-sent');
    assert.equal((await fleet.get('/v1/sites/nope')).status, 404);
  });

  test('API keys: none is 401, a read key cannot send usage (403), a foreign Origin is refused', async () => {
    assert.equal((await fleet.get('/v1/sites', null)).status, 401);
    assert.equal((await fleet.get('/v1/sites', 'wrong-key-0123456789')).status, 401);
    assert.equal((await fleet.post('/v1/sites/warn/send-usage', READ_KEY)).status, 403);
    const foreign = await request(`${fleet.url}/v1/sites`, {
      headers: { Authorization: `Bearer ${READ_KEY}`, Origin: 'http://evil.test' },
    });
    assert.equal(foreign.status, 403);
    const allowed = await request(`${fleet.url}/v1/sites`, {
      headers: { Authorization: `Bearer ${READ_KEY}`, Origin: 'http://console.test:5170' },
    });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], 'http://console.test:5170');
    const wrongHost = await request(`${fleet.url}/v1/sites`, {
      headers: { Authorization: `Bearer ${READ_KEY}`, Host: 'attacker.test' },
    });
    assert.equal(wrongHost.status, 421);
  });

  test('send-usage through the ZVM: an operator ends a warning once billing works, and the event stream tells', async () => {
    const events = openStream(`${fleet.url}/v1/events`, READ_KEY);
    try {
      await events.until((e) => e.event === 'snapshot', 'the snapshot');
      const failed = await fleet.post('/v1/sites/warn/send-usage', OPERATOR_KEY);
      assert.equal(failed.status, 200);
      assert.equal(failed.json<{ result: string }>().result, 'failed');
      bad.setFault({ mode: 'none' });
      const sent = await fleet.post('/v1/sites/warn/send-usage', OPERATOR_KEY);
      assert.equal(sent.status, 200);
      const body = sent.json<{ result: string; site: Summary }>();
      assert.equal(body.result, 'passed');
      assert.equal(body.site.status, 'ok');
      assert.equal((await simState(sims.warn!)).phase, 'ok');
      const t = await events.until(
        (e) => e.event === 'transition' && (e.data as { siteId: string; to: string }).siteId === 'warn',
        'the transition of warn',
        10_000,
      );
      assert.deepEqual(
        { from: (t.data as { from: string }).from, to: (t.data as { to: string }).to },
        { from: 'warning', to: 'ok' },
      );
      const history = (await fleet.get('/v1/sites/warn/history')).json<{
        transitions: Array<{ from: string | null; to: string }>;
        alerts: Array<{ kind: string; resolvedAt: number | null }>;
      }>();
      assert.deepEqual(history.transitions[0], { ...history.transitions[0], from: 'warning', to: 'ok' });
      assert.ok(history.alerts.some((a) => a.kind === 'usage-not-sent' && a.resolvedAt !== null));
    } finally {
      events.close();
      bad.setFault({ mode: 'error', status: 503 });
    }
  });

  test('GET /metrics parses as Prometheus text and carries each site status, time left and health', async () => {
    assert.equal((await fleet.get('/metrics', null)).status, 401);
    await waitForSites(fleet, everyoneRead, 20_000, 'every site read');
    const a = await fleet.get('/metrics');
    assert.equal(a.status, 200);
    assert.match(String(a.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(a.text);
    const seen = await sites(fleet);
    for (const id of seen.keys()) {
      const ones = samples.filter(
        (s) => s.name === 'zerto_fleet_site_status' && s.labels.site === id && s.value === 1,
      );
      assert.equal(ones.length, 1, `${id}: exactly one status`);
      assert.equal(ones[0]!.labels.status, seen.get(id)!.status, id);
    }
    const left = samples.find(
      (s) => s.name === 'zerto_fleet_site_seconds_left' && s.labels.site === 'lastday',
    );
    assert.ok(
      left && Math.abs(left.value - seen.get('lastday')!.secondsLeft!) <= 5,
      `seconds left of lastday: ${JSON.stringify(left)} vs ${seen.get('lastday')!.secondsLeft}`,
    );
    assert.ok(!samples.some((s) => s.name === 'zerto_fleet_site_seconds_left' && s.labels.site === 'ok-cc'));
    const blind = samples.find(
      (s) => s.name === 'zerto_fleet_site_cannot_see_seconds' && s.labels.site === 'blind-down',
    );
    assert.ok(blind && blind.value >= 1, 'cannot-see duration');
    const success = samples.find(
      (s) => s.name === 'zerto_fleet_site_last_success_timestamp_seconds' && s.labels.site === 'ok-cc',
    );
    assert.ok(success && Math.abs(success.value - Date.now() / 1000) < 30);
    assert.equal(types.get('zerto_fleet_attempts_total'), 'counter');
    assert.ok(samples.some((s) => s.name === 'zerto_fleet_process_resident_memory_bytes' && s.value > 0));
  });

  test('the manual-billing export: the same CSV as the browser with its checksum, a row per site and day, gaps shown', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const a = await fleet.get(`/v1/export?from=${today}&to=${today}&format=csv`);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.headers['x-checksum-sha256'], createHash('sha256').update(a.body).digest('hex'));
    assert.match(
      String(a.headers['content-disposition']),
      new RegExp(`zerto-usage_all-sites_${today}_${today}\\.csv`),
    );
    const [header, ...lines] = a.text.trimEnd().split('\r\n');
    assert.equal(header, CSV_COLUMNS.join(','));
    const rows = new Map(
      lines.map((l) => {
        const c = l.split(',');
        return [
          c[1]!,
          { name: c[2], peak: c[3], snapshots: Number(c[4]), acked: Number(c[5]), status: c[6] },
        ];
      }),
    );
    assert.equal(rows.size, (await sites(fleet)).size, 'a row for each configured site');
    assert.equal(rows.get('ok-cc')!.status, 'sent');
    assert.equal(rows.get('ok-cc')!.peak, '42');
    assert.equal(rows.get('ok-cc')!.name, 'Amsterdam');
    assert.equal(rows.get('lastday')!.status, 'unsent');
    assert.equal(rows.get('lastday')!.acked, 0);
    assert.ok(rows.get('lastday')!.snapshots >= 1);
    assert.equal(rows.get('blind-down')!.status, 'no-data');
    const one = await fleet.get(`/v1/export?from=${today}&to=${today}&format=json&site=off`);
    const json = one.json<{ format: string; days: Array<{ siteId: string; status: string }> }>();
    assert.equal(json.format, 'zerto-billing-usage-export');
    assert.deepEqual(
      json.days.map((d) => [d.siteId, d.status]),
      [['off', 'unsent']],
    );
    assert.equal((await fleet.get('/v1/export?from=2026-13-01&to=2026-13-02')).status, 400);
  });

  test("GET /v1/states: every site's state in one answer, valid by the engine's rules, with its recent transmissions", async () => {
    await waitForSites(fleet, everyoneRead, 20_000, 'every site read');
    const a = await fleet.get('/v1/states');
    assert.equal(a.status, 200, a.text);
    const body = a.json<{
      sites: Array<{ id: string; name: string; state: unknown; days: Array<{ at: number; ok: boolean }> }>;
    }>();
    const seen = await sites(fleet);
    assert.deepEqual(body.sites.map((x) => x.id).sort(), [...seen.keys()].sort(), 'one entry per site');
    const byId = new Map(body.sites.map((x) => [x.id, x]));
    for (const id of ['ok-cc', 'warn', 'lastday', 'off']) {
      const parsed = parseGraceState(byId.get(id)!.state);
      assert.ok(parsed.ok, `${id}: ${parsed.ok ? '' : parsed.error}`);
      const view = viewOf(parsed.value, Date.now());
      assert.equal(view.phase, seen.get(id)!.phase, `${id}: the phase the banner would show`);
      if (id === 'warn') assert.equal(view.daysLeft, seen.get(id)!.daysLeft, 'warn: days left');
    }
    assert.equal(byId.get('ok-cc')!.name, 'Amsterdam');
    assert.ok(
      byId.get('ok-cc')!.days.some((d) => d.ok),
      'ok-cc sent usage within the week',
    );
    assert.ok(byId.get('lastday')!.days.length > 0 && byId.get('lastday')!.days.every((d) => !d.ok));
    // "Cannot see" is no usage signal: nothing for the strip.
    assert.deepEqual(byId.get('blind-down')!.days, []);
    assert.equal((await fleet.get('/v1/states', null)).status, 401);
    assert.equal((await fleet.post('/v1/states', OPERATOR_KEY)).status, 405);
    // Some sites only (a list refreshing those the event stream named), with the same entries; an id the
    // config does not hold is left out; more than 100 ids is refused.
    const some = (await fleet.get('/v1/states?site=warn&site=off&site=nobody&site=warn')).json<{
      sites: Array<{ id: string; state: unknown; days: unknown[] }>;
    }>();
    assert.deepEqual(
      some.sites.map((x) => x.id),
      ['warn', 'off'],
    );
    for (const x of some.sites) {
      assert.deepEqual(x.days, byId.get(x.id)!.days, `${x.id}: the same recent transmissions`);
      assert.equal(parseGraceState(x.state).ok, true);
    }
    const many = Array.from({ length: 101 }, (_, i) => `site=s${i}`).join('&');
    assert.equal((await fleet.get(`/v1/states?${many}`)).status, 400);
  });

  test('GET /v1/alerts: the billing alerts of every site or of one, each with its site; 404 for an unknown one', async () => {
    const all = await fleet.get('/v1/alerts');
    assert.equal(all.status, 200, all.text);
    const alerts = all.json<{ alerts: unknown[] }>().alerts;
    for (const x of alerts) {
      const parsed = parseAlert(x);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    }
    const list = alerts as Array<{
      site: { id: string; name: string };
      kind: string;
      resolvedAt: number | null;
    }>;
    assert.ok(
      list.some((x) => x.site.id === 'lastday' && x.kind === 'usage-not-sent' && x.resolvedAt === null),
    );
    assert.ok(list.some((x) => x.site.id === 'off' && x.resolvedAt === null));
    const firstResolved = list.findIndex((x) => x.resolvedAt !== null);
    if (firstResolved >= 0)
      assert.ok(
        list.slice(firstResolved).every((x) => x.resolvedAt !== null),
        'active first',
      );
    const one = (await fleet.get('/v1/alerts?site=lastday')).json<{ alerts: typeof list }>().alerts;
    assert.ok(one.length > 0 && one.every((x) => x.site.id === 'lastday' && x.site.name === 'Denver'));
    const history = (await fleet.get('/v1/sites/lastday/history')).json<{ alerts: Array<{ id: string }> }>();
    assert.deepEqual(
      one.map((x) => (x as unknown as { id: string }).id).sort(),
      history.alerts.map((x) => x.id).sort(),
    );
    const unknown = await fleet.get('/v1/alerts?site=nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json<{ error: { field?: string } }>().error.field, 'site');
    assert.equal((await fleet.get('/v1/alerts', 'wrong-key-0123456789')).status, 401);
  });

  test("CORS: an allowed console may read the export's file name, checksum and counts", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const a = await request(`${fleet.url}/v1/export?from=${today}&to=${today}`, {
      headers: { Authorization: `Bearer ${READ_KEY}`, Origin: 'http://console.test:5170' },
    });
    assert.equal(a.status, 200);
    const exposed = String(a.headers['access-control-expose-headers']).split(/,\s*/);
    for (const h of ['Content-Disposition', 'X-Checksum-SHA256', 'X-Export-Rows', 'X-Export-Unsent-Days'])
      assert.ok(exposed.includes(h), `${h} exposed`);
    const lines = a.text.trimEnd().split('\r\n').length - 1;
    assert.equal(a.headers['x-export-rows'], String(lines));
  });

  test('SIGHUP reloads the config: a site added and one removed, the others keep their state; a bad one is refused', async () => {
    const before = (await fleet.get('/v1/sites/off')).json<{
      runtime: { attempts: number };
      site: Summary;
    }>();
    const next = {
      ...config,
      zvms: [
        ...config.zvms.filter((z) => z.id !== 'blind-down'),
        { id: 'again', url: sims.ok!.url, auth: config.zvms[0]!.auth },
      ],
    };
    await writeConfig(configPath, next);
    fleet.child.kill('SIGHUP');
    const seen = await waitForSites(
      fleet,
      (s) => s.has('again') && !s.has('blind-down') && s.get('again')!.status === 'ok',
      15_000,
      'the reloaded sites',
    );
    const off = (await fleet.get('/v1/sites/off')).json<{ runtime: { attempts: number }; site: Summary }>();
    assert.ok(off.runtime.attempts >= before.runtime.attempts, 'attempts kept across the reload');
    assert.equal(off.site.firstAlertAt, before.site.firstAlertAt);
    assert.equal(seen.get('off')!.status, 'disconnected');

    await writeFile(configPath, JSON.stringify({ ...next, concurrency: 0 }));
    fleet.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !/config not reloaded/.test(fleet.stderr()); i++) await sleep(50);
    assert.match(fleet.stderr(), /config not reloaded.*\n?.*concurrency/);
    assert.ok((await sites(fleet)).has('again'), 'the running config is kept');
  });
});
