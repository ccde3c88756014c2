// send-usage asked of the instance that does not read the site, on a real PostgreSQL server with two real fleet
// processes: when the holder of the site's lease does not answer in time (stopped with SIGSTOP, or its attempt
// still under way), the instance asked answers 504 `send-timeout` after `leases.sendWaitMs`, and a request
// nobody took is withdrawn for good; and the LISTEN connection that wakes the holder comes back after the
// server ends it, so that requests still reach the holder at once rather than at its next lease round.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { startApi } from '../../../fleet/api.ts';
import { parseConfig } from '../../../fleet/config.ts';
import { Fleet, newSharing } from '../../../fleet/fleet.ts';
import { createMetrics } from '../../../fleet/metrics.ts';
import { Store } from '../../../fleet/store.ts';
import { request, sleep } from '../http-client.ts';
import {
  billing,
  sim,
  startFleet,
  tempDir,
  writeConfig,
  type FleetProcess,
  type Summary,
} from './harness.ts';
import { postgresBin, startPostgres, type PgServer } from './postgres.ts';

/**
 * Leases long enough that the holder, stopped for a few seconds, keeps its site (the one asked does not take it
 * over during the wait); renewed seldom, so that a holder that is not woken by its notification would only
 * find a request at its next lease round, up to 10 s later. The wait for an answer: 1.5 s.
 */
const LEASES = { ttlMs: 20_000, renewMs: 10_000, sendWaitMs: 1500 };
const TOKEN = 'static-token-for-pg-send-tests';
const READ = 'read-key-0123456789abcdef';
const OPERATOR = 'operator-key-0123456789abcdef';
const SITE = 'zvm-0';
const LISTEN_APP = 'zerto-fleet-listen';

const skip =
  process.env.ZBB_SKIP_POSTGRES === '1'
    ? 'ZBB_SKIP_POSTGRES=1: the PostgreSQL server tests are skipped'
    : 'missing' in postgresBin()
      ? // postgres.test.ts fails for a missing server; this file need not say it twice.
        'PostgreSQL server binaries not found'
      : false;

interface RequestRow {
  id: string;
  result: string | null;
  taken_by: string | null;
  done: boolean;
  asked_ms: string;
  taken_ms: string | null;
  done_ms: string | null;
}

describe(
  'send-usage through the instance that does not read the site, on a PostgreSQL server',
  { skip },
  () => {
    let dir: { path: string; remove(): Promise<void> };
    let server: PgServer;
    let receiver: BillingServer;
    let zvm: ZvmSim;
    /** `holder` holds the lease of the one site (it started first); `asker` reads it back. */
    let holder: FleetProcess;
    let asker: FleetProcess;
    let holderName: string;
    const started: FleetProcess[] = [];
    /** The config of every instance, each with its own data folder. */
    let config: (dataDir: string) => unknown;

    const nameOf = (f: FleetProcess) => /instance (\S+),/.exec(f.stdout())![1]!;
    const readBy = async (f: FleetProcess) =>
      (await f.get(`/v1/sites/${SITE}`, READ)).json<{ readBy: string | null }>().readBy;

    /** The requests asked after `afterId`, oldest first. */
    async function requests(afterId: number): Promise<RequestRow[]> {
      return server.query<RequestRow>(
        `SELECT id, result, taken_by, done_at IS NOT NULL AS done,
         extract(epoch FROM asked_at) * 1000 AS asked_ms, extract(epoch FROM taken_at) * 1000 AS taken_ms,
         extract(epoch FROM done_at) * 1000 AS done_ms
       FROM send_requests WHERE id > $1 ORDER BY id`,
        [afterId],
      );
    }
    async function lastRequestId(): Promise<number> {
      const [r] = await server.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM send_requests');
      return Number(r!.id);
    }
    /** The operator attempts stored after `afterId` (transmissions), with the instance that made them. */
    async function operatorAttempts(afterId: number): Promise<Array<{ instance: string; result: string }>> {
      return server.query(
        `SELECT instance, result FROM transmissions WHERE site_id = $1 AND trigger = 'operator' AND id > $2
       ORDER BY id`,
        [SITE, afterId],
      );
    }
    async function lastAttemptId(): Promise<number> {
      const [r] = await server.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM transmissions');
      return Number(r!.id);
    }
    /** The name of the instance whose lease on the site the database holds, and whether it is unexpired. */
    async function leaseHolder(): Promise<{ name: string; live: boolean } | null> {
      const [r] = await server.query<{ name: string; live: boolean }>(
        `SELECT i.name, l.expires_at > clock_timestamp() AS live
       FROM site_leases l JOIN fleet_instances i ON i.id = l.owner WHERE l.site_id = $1`,
        [SITE],
      );
      return r ?? null;
    }
    async function listeners(): Promise<Array<{ pid: number; query: string }>> {
      return server.query(
        'SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
        [LISTEN_APP],
      );
    }

    before(async () => {
      dir = await tempDir('zbb-fleet-pg-send-');
      server = await startPostgres();
      receiver = await billing(join(dir.path, 'billing'));
      // The ZVM waits up to 8 s for the billing receiver (made slow in the "under way" test).
      zvm = await sim(receiver.url, { token: TOKEN, siteName: 'Site 0', sendTimeoutMs: 8000 });
      config = (dataDir: string) => ({
        dataDir,
        http: { port: 0 },
        apiKeys: [
          { name: 'noc', role: 'read', key: { env: 'FLEET_PG_READ_KEY' } },
          { name: 'ops', role: 'operator', key: { env: 'FLEET_PG_OPERATOR_KEY' } },
        ],
        leases: LEASES,
        defaults: {
          // Read once at the start, then only when asked: the operator attempts are the ones looked at.
          policy: { interval: 600_000, alertAfter: 6_000_000, graceDays: 15 },
          timeoutMs: 8000,
          maxBackoffMs: 600_000,
          jitter: 0,
          startSpreadMs: 0,
        },
        zvms: [{ id: SITE, url: zvm.url, auth: { type: 'token', token: { env: 'FLEET_PG_TOKEN' } } }],
      });
      const env = {
        DATABASE_URL: server.url,
        FLEET_PG_READ_KEY: READ,
        FLEET_PG_OPERATOR_KEY: OPERATOR,
        FLEET_PG_TOKEN: TOKEN,
      };
      // The same keys in this process, for the instance the last test runs here.
      Object.assign(process.env, {
        FLEET_PG_READ_KEY: READ,
        FLEET_PG_OPERATOR_KEY: OPERATOR,
        FLEET_PG_TOKEN: TOKEN,
      });
      await writeConfig(join(dir.path, 'a.json'), config('data-a'));
      await writeConfig(join(dir.path, 'b.json'), config('data-b'));
      // The first takes the site's lease at its start; with one site, its fair share stays one: it keeps it.
      holder = await startFleet(join(dir.path, 'a.json'), env);
      started.push(holder);
      holderName = nameOf(holder);
      assert.match(holder.stdout(), /sharing the sites by leases \(1 held now\)/);
      asker = await startFleet(join(dir.path, 'b.json'), env);
      started.push(asker);
      assert.match(asker.stdout(), /sharing the sites by leases \(0 held now\)/);
      assert.equal(await readBy(asker), holderName);
      assert.equal(await readBy(holder), holderName);
    });

    after(async () => {
      for (const f of started) {
        if (f.child.exitCode === null) {
          f.child.kill('SIGCONT');
          f.child.kill('SIGKILL');
        }
      }
      await Promise.all(started.map((f) => f.exited()));
      await zvm?.close();
      await receiver?.close();
      await server?.stop();
      await dir?.remove();
    });

    test('the holder does not answer (SIGSTOP): 504 send-timeout after sendWaitMs, the request withdrawn and never run', async () => {
      const lastId = await lastRequestId();
      const lastAttempt = await lastAttemptId();
      let elapsed: number;
      let answer: Awaited<ReturnType<FleetProcess['post']>>;
      holder.child.kill('SIGSTOP');
      try {
        const asked = Date.now();
        answer = await asker.post(`/v1/sites/${SITE}/send-usage`, OPERATOR);
        elapsed = Date.now() - asked;
        // What the database says while the holder is still stopped: the request withdrawn, nobody took it, and
        // the lease still the stopped holder's (the instance asked did not take the site over meanwhile).
        const rows = await requests(lastId);
        assert.equal(rows.length, 1, JSON.stringify(rows));
        assert.equal(rows[0]!.result, 'cancelled');
        assert.equal(rows[0]!.taken_by, null);
        assert.ok(rows[0]!.done);
        assert.deepEqual(await leaseHolder(), { name: holderName, live: true });
        assert.equal(await readBy(asker), holderName);
      } finally {
        holder.child.kill('SIGCONT');
      }
      assert.equal(answer.status, 504, answer.text);
      const { error } = answer.json<{ error: { code: string; message: string; field?: string } }>();
      assert.equal(error.code, 'send-timeout');
      assert.equal(error.field, 'id');
      assert.ok(error.message.includes(`(${holderName})`), error.message);
      assert.match(error.message, /did not answer within 1\.5 s; the request was withdrawn: ask again$/);
      // The configured wait, not the default minute (nor an answer before it).
      assert.ok(elapsed >= LEASES.sendWaitMs, `answered after ${elapsed} ms`);
      assert.ok(elapsed < LEASES.sendWaitMs + 3000, `answered after ${elapsed} ms`);

      // The holder, running again, hears of the request it missed (its notification was waiting for it) and
      // looks for open requests: the withdrawn one is not run. Asked again, it answers at once.
      const again = await asker.post(`/v1/sites/${SITE}/send-usage`, OPERATOR);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json<{ result: string }>().result, 'passed');
      await sleep(1500);
      const rows = await requests(lastId);
      assert.deepEqual(
        rows.map((r) => ({ result: r.result, taken_by: r.taken_by !== null })),
        [
          { result: 'cancelled', taken_by: false },
          { result: 'passed', taken_by: true },
        ],
      );
      assert.deepEqual(await operatorAttempts(lastAttempt), [{ instance: holderName, result: 'passed' }]);
    });

    test('the holder took the request and has not finished: 504 saying its attempt is under way, its outcome stored', async () => {
      const lastId = await lastRequestId();
      const lastAttempt = await lastAttemptId();
      // The ZVM's sendUsage takes 4 s (its billing receiver is slow): longer than the 1.5 s wait.
      receiver.setFault({ mode: 'slow', delayMs: 4000 });
      try {
        const asked = Date.now();
        const pending = asker.post(`/v1/sites/${SITE}/send-usage`, OPERATOR);
        // The holder takes it at once (its notification), well within the wait.
        const until = Date.now() + LEASES.sendWaitMs;
        for (;;) {
          const rows = await requests(lastId);
          if (rows[0]?.taken_by) break;
          assert.ok(Date.now() < until, `the request was not taken within the wait: ${JSON.stringify(rows)}`);
          await sleep(50);
        }
        const answer = await pending;
        const elapsed = Date.now() - asked;
        assert.equal(answer.status, 504, answer.text);
        const { error } = answer.json<{ error: { code: string; message: string } }>();
        assert.equal(error.code, 'send-timeout');
        assert.ok(error.message.includes(`(${holderName})`), error.message);
        assert.match(
          error.message,
          /did not answer within 1\.5 s; its attempt is under way and its outcome will show in the site$/,
        );
        assert.ok(elapsed >= LEASES.sendWaitMs && elapsed < 4000, `answered after ${elapsed} ms`);
        // Not withdrawn: still open, in the holder's hands.
        const [row] = await requests(lastId);
        assert.equal(row!.done, false);
        assert.equal(row!.result, null);
      } finally {
        receiver.setFault({ mode: 'none' });
      }
      // The attempt ends, and its outcome is stored: in the request, in the log, and in the site.
      const until = Date.now() + 10_000;
      for (;;) {
        const rows = await requests(lastId);
        if (rows[0]?.done) {
          assert.equal(rows.length, 1);
          assert.equal(rows[0].result, 'passed');
          break;
        }
        assert.ok(Date.now() < until, `the request was not answered: ${JSON.stringify(rows)}`);
        await sleep(100);
      }
      assert.deepEqual(await operatorAttempts(lastAttempt), [{ instance: holderName, result: 'passed' }]);
      const site = (await holder.get(`/v1/sites/${SITE}`, READ)).json<{ site: Summary }>().site;
      assert.equal(site.lastResult, 'passed');
    });

    test('the LISTEN connection ended by the server comes back; requests still reach the holder by notification', async (t) => {
      const old = await listeners();
      assert.equal(old.length, 2, `one LISTEN connection per instance: ${JSON.stringify(old)}`);
      const ended = await server.query<{ ok: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
        [LISTEN_APP],
      );
      assert.deepEqual(
        ended.map((r) => r.ok),
        [true, true],
      );
      // Both connect again (a second later) and LISTEN again.
      const oldPids = new Set(old.map((l) => l.pid));
      const until = Date.now() + 10_000;
      for (;;) {
        const now = await listeners();
        if (now.length === 2 && now.every((l) => !oldPids.has(l.pid) && /^LISTEN /.test(l.query))) break;
        assert.ok(Date.now() < until, `not listening again: ${JSON.stringify(now)}`);
        await sleep(100);
      }
      for (const f of [holder, asker]) {
        assert.match(f.stdout(), /notifications \(LISTEN zerto_fleet_send\) lost \(.+\); connecting again/);
      }
      // No request is open: the holder is not looking every second, and its next lease round may be up to 10 s
      // away. Taken within half a second, three times in a row, it was woken by the notification; and the
      // instance asked answers within a moment of the outcome (its own notification), not at its next look.
      await sleep(2000);
      for (let i = 0; i < 3; i++) {
        const lastId = await lastRequestId();
        const answer = await asker.post(`/v1/sites/${SITE}/send-usage`, OPERATOR);
        const answeredAt = Date.now();
        // A 504 here: the holder did not hear of the request within the wait (its lease round would find it).
        assert.equal(answer.status, 200, `request ${i + 1}: ${answer.status} ${answer.text}`);
        assert.equal(answer.json<{ result: string }>().result, 'passed');
        const [row] = await requests(lastId);
        const taken = Number(row!.taken_ms) - Number(row!.asked_ms);
        const told = answeredAt - Number(row!.done_ms);
        t.diagnostic(
          `request ${i + 1}: taken after ${Math.round(taken)} ms, answered ${Math.round(told)} ms after`,
        );
        assert.ok(
          taken < 500,
          `request ${i + 1}: taken by the holder ${Math.round(taken)} ms after it was asked`,
        );
        assert.ok(told < 400, `request ${i + 1}: answered ${Math.round(told)} ms after the holder's outcome`);
        // Until the holder stops looking every second (no request open any more).
        await sleep(2000);
      }
    });

    test("a wait longer than the API's idle timeout: the 504 still arrives, the connection held open meanwhile", async () => {
      // A third instance, the real Fleet and API in this process, its idle timeout (60 s by default, as long
      // as the default wait) set below the 1.5 s wait.
      const parsed = await parseConfig(JSON.stringify(config('data-c')), join(dir.path, 'c.json'));
      const store = await Store.open({ dataDir: parsed.dataDir, databaseUrl: server.url });
      const fleet = new Fleet(
        store,
        parsed,
        await store.loadSites(() => undefined),
        () => undefined,
        Date.now,
        Math.random,
        newSharing(parsed.leases),
      );
      await fleet.start();
      const api = await startApi({
        ...parsed.http,
        apiKeys: () => parsed.apiKeys,
        fleet,
        store,
        metrics: createMetrics(fleet, store),
        log: () => undefined,
        limits: { idleTimeoutMs: 700 },
      });
      const lastId = await lastRequestId();
      holder.child.kill('SIGSTOP');
      try {
        assert.equal(fleet.ownerOf(SITE), holderName);
        const asked = Date.now();
        const answer = await request(`${api.url}/v1/sites/${SITE}/send-usage`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${OPERATOR}` },
          timeoutMs: 10_000,
        });
        const elapsed = Date.now() - asked;
        assert.equal(answer.status, 504, answer.text);
        assert.match(
          answer.json<{ error: { message: string } }>().error.message,
          /did not answer within 1\.5 s; the request was withdrawn: ask again$/,
        );
        assert.ok(elapsed >= LEASES.sendWaitMs, `answered after ${elapsed} ms`);
        assert.deepEqual(
          (await requests(lastId)).map((r) => r.result),
          ['cancelled'],
        );
      } finally {
        holder.child.kill('SIGCONT');
        await api.close();
        await fleet.close();
        await store.close();
      }
    });
  },
);
