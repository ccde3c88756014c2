// Two fleet service instances on one real PostgreSQL server (DATABASE_URL), reading real ZVM simulators: they
// share the sites, each site is read by exactly one of them once per interval, and when one is killed with
// SIGKILL the other takes its sites within an interval, with nothing lost.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { sleep } from '../http-client.ts';
import {
  billing,
  sim,
  simState,
  startFleet,
  tempDir,
  writeConfig,
  type FleetProcess,
  type Summary,
} from './harness.ts';
import { postgresBin, startPostgres, type PgServer } from './postgres.ts';

const INTERVAL = 3000;
const LEASES = { ttlMs: 1500, renewMs: 400 };
const SITES = 6;
const TOKEN = 'static-token-for-pg-tests';
const READ = 'read-key-0123456789abcdef';
const OPERATOR = 'operator-key-0123456789abcdef';

const skip =
  process.env.ZBB_SKIP_POSTGRES === '1'
    ? 'ZBB_SKIP_POSTGRES=1: the PostgreSQL server tests are skipped'
    : false;
if (!skip && 'missing' in postgresBin()) {
  // In CI (and anywhere not told to skip) a missing server is a failure, not a silent skip.
  test('PostgreSQL is installed for the server-mode tests', () => {
    const found = postgresBin();
    assert.fail('missing' in found ? found.missing : 'unreachable');
  });
}

interface Row {
  site_id: string;
  at: string;
  instance: string | null;
}

describe(
  'fleet service on a PostgreSQL server, two instances',
  { skip: skip || 'missing' in postgresBin() },
  () => {
    let dir: { path: string; remove(): Promise<void> };
    let server: PgServer;
    let good: BillingServer;
    /** The billing receiver of zvm-0 alone, made to fail to bring that ZVM into warning. */
    let flaky: BillingServer;
    const sims: ZvmSim[] = [];
    const fleets: FleetProcess[] = [];
    let configA: string;
    let configB: string;

    before(async () => {
      dir = await tempDir('zbb-fleet-pg-');
      server = await startPostgres();
      good = await billing(join(dir.path, 'billing'));
      flaky = await billing(join(dir.path, 'flaky'));
      for (let i = 0; i < SITES; i++)
        sims.push(await sim((i === 0 ? flaky : good).url, { token: TOKEN, siteName: `Site ${i}` }));
      const config = (dataDir: string) => ({
        dataDir,
        http: { port: 0 },
        apiKeys: [
          { name: 'noc', role: 'read', key: { env: 'FLEET_PG_READ_KEY' } },
          { name: 'ops', role: 'operator', key: { env: 'FLEET_PG_OPERATOR_KEY' } },
        ],
        concurrency: 4,
        leases: LEASES,
        defaults: {
          policy: { interval: INTERVAL, alertAfter: 600_000, graceDays: 15 },
          timeoutMs: 2000,
          maxBackoffMs: 2000,
          jitter: 0,
          startSpreadMs: 0,
        },
        zvms: sims.map((s, i) => ({
          id: `zvm-${i}`,
          url: s.url,
          auth: { type: 'token', token: { env: 'FLEET_PG_TOKEN' } },
        })),
      });
      configA = join(dir.path, 'a.json');
      configB = join(dir.path, 'b.json');
      await writeConfig(configA, config('data-a'));
      await writeConfig(configB, config('data-b'));
    });

    after(async () => {
      for (const f of fleets) if (f.child.exitCode === null) f.child.kill('SIGKILL');
      await Promise.all(fleets.map((f) => f.exited()));
      await Promise.all(sims.map((s) => s.close()));
      await good?.close();
      await flaky?.close();
      await server?.stop();
      await dir?.remove();
    });

    const env = () => ({
      DATABASE_URL: server.url,
      FLEET_PG_READ_KEY: READ,
      FLEET_PG_OPERATOR_KEY: OPERATOR,
      FLEET_PG_TOKEN: TOKEN,
    });
    const get = (f: FleetProcess, path: string) => f.get(path, READ);
    const nameOf = (f: FleetProcess) => /instance (\S+),/.exec(f.stdout())![1]!;

    /** Every attempt stored, per site, in time order. */
    async function attempts(since = 0): Promise<Map<string, Array<{ at: number; instance: string }>>> {
      const rows = await server.query<Row>(
        'SELECT site_id, at, instance FROM transmissions WHERE at >= $1 ORDER BY at',
        [since],
      );
      const out = new Map<string, Array<{ at: number; instance: string }>>();
      for (const r of rows) {
        const list = out.get(r.site_id) ?? [];
        list.push({ at: Number(r.at), instance: r.instance ?? '?' });
        out.set(r.site_id, list);
      }
      return out;
    }

    /** Each site read once per interval: no two attempts closer than an interval, none missing. */
    function assertOncePerInterval(
      per: Map<string, Array<{ at: number; instance: string }>>,
      from: number,
      to: number,
      maxGap: number,
    ): void {
      for (let i = 0; i < SITES; i++) {
        const list = (per.get(`zvm-${i}`) ?? []).filter((a) => a.at >= from && a.at <= to);
        assert.ok(list.length >= Math.floor((to - from) / maxGap), `zvm-${i}: ${list.length} attempts`);
        for (let k = 1; k < list.length; k++) {
          const gap = list[k]!.at - list[k - 1]!.at;
          assert.ok(
            gap >= INTERVAL - 50,
            `zvm-${i} read twice within an interval: ${gap} ms apart (${list[k - 1]!.instance}, ${list[k]!.instance})`,
          );
          assert.ok(gap <= maxGap, `zvm-${i} not read for ${gap} ms (interval ${INTERVAL})`);
        }
      }
    }

    test('two instances share the sites; each site is read exactly once per interval', async () => {
      fleets.push(await startFleet(configA, env()));
      fleets.push(await startFleet(configB, env()));
      const [a, b] = fleets as [FleetProcess, FleetProcess];
      assert.match(a.stdout(), /sharing the sites by leases/);
      // Both take part: three sites each once the second has joined and the first gave up its extra ones.
      const until = Date.now() + 20_000;
      let owners: string[];
      for (;;) {
        owners = await Promise.all(
          sims.map(
            async (_, i) =>
              (await get(a, `/v1/sites/zvm-${i}`)).json<{ readBy: string | null }>().readBy ?? '',
          ),
        );
        const counts = new Map<string, number>();
        for (const o of owners) counts.set(o, (counts.get(o) ?? 0) + 1);
        if (counts.size === 2 && !counts.has('') && [...counts.values()].every((n) => n === SITES / 2)) break;
        assert.ok(Date.now() < until, `the sites were not shared: ${JSON.stringify(owners)}`);
        await sleep(200);
      }
      // The other instance tells the same owners (one truth), and its API answers for every site.
      const fromB = await Promise.all(
        sims.map(async (_, i) => (await get(b, `/v1/sites/zvm-${i}`)).json<{ readBy: string }>().readBy),
      );
      assert.deepEqual(fromB, owners);

      const from = Date.now();
      await sleep(INTERVAL * 4 + 500);
      const to = Date.now();
      const per = await attempts(from - INTERVAL);
      assertOncePerInterval(per, from - INTERVAL, to, INTERVAL + 1000);
      const instances = new Set([...per.values()].flat().map((x) => x.instance));
      assert.equal(instances.size, 2, `attempts by ${[...instances].join(', ')}`);
      // Each site by one instance only while both run.
      for (const [site, list] of per) {
        const by = new Set(list.filter((x) => x.at >= from).map((x) => x.instance));
        assert.equal(by.size, 1, `${site} read by ${[...by].join(' and ')}`);
      }
    });

    test('send-usage through the instance that does not read the site: its reader sends, the answer is the real outcome', async () => {
      const [a, b] = fleets as [FleetProcess, FleetProcess];
      // zvm-0 into warning: its billing receiver fails, and a day without a success passes on its clock.
      flaky.setFault({ mode: 'error', status: 503 });
      await sims[0]!.advance(DAY + HOUR);
      const until = Date.now() + 15_000;
      for (;;) {
        const [fromA, fromB] = await Promise.all(
          [a, b].map(async (f) => (await get(f, '/v1/sites/zvm-0')).json<{ site: Summary }>().site.status),
        );
        if ((await simState(sims[0]!)).phase === 'warning' && fromA === 'warning' && fromB === 'warning')
          break;
        assert.ok(Date.now() < until, `zvm-0 not seen in warning (a: ${fromA}, b: ${fromB})`);
        await sleep(200);
      }
      const readBy = (await get(a, '/v1/sites/zvm-0')).json<{ readBy: string }>().readBy;
      const [reader, other] = nameOf(a) === readBy ? [a, b] : [b, a];
      assert.equal(nameOf(reader), readBy);
      assert.notEqual(nameOf(other), readBy);
      flaky.setFault({ mode: 'none' });
      const asked = Date.now();
      const sent = await other.post('/v1/sites/zvm-0/send-usage', OPERATOR);
      assert.equal(sent.status, 200, sent.text);
      // Woken by the notification: no waiting for a lease round or a poll.
      assert.ok(Date.now() - asked < 3000, `answered after ${Date.now() - asked} ms`);
      const body = sent.json<{ result: string; detail: string | null; site: Summary }>();
      assert.equal(body.result, 'passed');
      assert.equal(body.detail, null);
      assert.equal(body.site.status, 'ok');
      assert.equal((await simState(sims[0]!)).phase, 'ok');
      // Made by the reader, as an operator's attempt.
      const made = await server.query<{ instance: string; result: string }>(
        `SELECT instance, result FROM transmissions WHERE site_id = 'zvm-0' AND trigger = 'operator' AND at >= $1`,
        [asked],
      );
      assert.deepEqual(made, [{ instance: readBy, result: 'passed' }]);
      // Both instances tell the site ok at once.
      for (const f of [other, reader]) {
        const site = (await get(f, '/v1/sites/zvm-0')).json<{ site: Summary }>().site;
        assert.equal(site.status, 'ok', `${nameOf(f)}: ${site.status}`);
        assert.equal(site.lastResult, 'passed');
      }
      const requests = await server.query<{ taken_by: string; result: string; done: boolean }>(
        'SELECT taken_by, result, done_at IS NOT NULL AS done FROM send_requests',
      );
      assert.equal(requests.length, 1);
      assert.equal(requests[0]!.result, 'passed');
      assert.ok(requests[0]!.done);
    });

    test('kill -9 of one instance: the other takes its sites within an interval, and nothing is lost', async () => {
      const [a, b] = fleets as [FleetProcess, FleetProcess];
      const aName = nameOf(a);
      const before = await attempts();
      const aSites = [...before.entries()].filter(([, l]) => l.at(-1)!.instance === aName).map(([s]) => s);
      assert.equal(aSites.length, SITES / 2);
      a.child.kill('SIGKILL');
      await a.exited();
      const killedAt = Date.now();
      await sleep(INTERVAL * 4);
      const per = await attempts();
      const bName = nameOf(b);
      for (const site of aSites) {
        const list = per.get(site)!;
        const last = before.get(site)!.at(-1)!.at;
        const next = list.find((x) => x.at > last)!;
        assert.ok(next, `${site}: not read after the kill`);
        assert.equal(next.instance, bName, `${site}: read by ${next.instance}`);
        // Read again when its interval was up, and at the latest an interval after the kill.
        assert.ok(next.at - last >= INTERVAL - 50, `${site}: read again ${next.at - last} ms after the last`);
        assert.ok(
          next.at <= killedAt + INTERVAL + 500,
          `${site}: taken over ${next.at - killedAt} ms after the kill (interval ${INTERVAL})`,
        );
      }
      // From then on every site is read by the survivor, once per interval.
      assertOncePerInterval(per, killedAt + INTERVAL, Date.now(), INTERVAL + 1000);
      // Nothing lost: every attempt either instance counted in a site's state is in the log, and the reverse.
      const rows = await server.query<{ id: string; attempts: number; logged: number }>(
        `SELECT s.id, (s.runtime->>'attempts')::int AS attempts,
         (SELECT count(*)::int FROM transmissions t WHERE t.site_id = s.id) AS logged FROM sites s`,
      );
      assert.equal(rows.length, SITES);
      for (const r of rows) {
        assert.ok(
          r.logged === r.attempts,
          `${r.id}: ${r.attempts} attempts in the state, ${r.logged} in the log`,
        );
      }
      const sites = (await get(b, '/v1/sites')).json<{ sites: Array<{ id: string; status: string }> }>();
      assert.deepEqual(
        sites.sites.map((s) => s.status),
        Array(SITES).fill('ok'),
      );
      // A send-usage request the dead instance had taken and not answered: the new holder takes it.
      const [open] = await server.query<{ id: string }>(
        `INSERT INTO send_requests (site_id, asked_by, taken_by, taken_at) VALUES ($1, 'gone', $2, now())
         RETURNING id`,
        [aSites[0], 'the-killed-instance'],
      );
      const until = Date.now() + 5000;
      for (;;) {
        const [row] = await server.query<{ taken_by: string; result: string | null }>(
          'SELECT taken_by, result FROM send_requests WHERE id = $1',
          [open!.id],
        );
        if (row!.result !== null) {
          assert.equal(row!.result, 'passed');
          break;
        }
        assert.ok(Date.now() < until, `request not answered: ${JSON.stringify(row)}`);
        await sleep(100);
      }
      const [made] = await server.query<{ instance: string }>(
        `SELECT instance FROM transmissions WHERE site_id = $1 AND trigger = 'operator' ORDER BY id DESC LIMIT 1`,
        [aSites[0]],
      );
      assert.equal(made!.instance, bName);
      // Requests are not kept for ever: an hour after they were asked, answered or never taken, the next
      // lease round deletes them; the one just answered stays.
      const old = await server.query<{ id: string }>(
        `INSERT INTO send_requests (site_id, asked_by, asked_at, done_at, result) VALUES
           ($1, 'old', now() - interval '2 hours', now() - interval '2 hours', 'passed'),
           ($1, 'old', now() - interval '2 hours', NULL, NULL)
         RETURNING id`,
        [aSites[0]],
      );
      const pruneBy = Date.now() + 10_000;
      for (;;) {
        const left = await server.query<{ id: string }>(
          'SELECT id FROM send_requests WHERE id = ANY($1::bigint[])',
          [old.map((r) => r.id)],
        );
        if (left.length === 0) break;
        assert.ok(Date.now() < pruneBy, `old requests still there: ${JSON.stringify(left)}`);
        await sleep(200);
      }
      const [kept] = await server.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM send_requests WHERE id = $1',
        [open!.id],
      );
      assert.equal(kept!.n, 1, 'the request answered a moment ago is kept');
    });
  },
);
