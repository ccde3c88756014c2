// A ZVM whose strings PostgreSQL's jsonb refuses (a NUL byte, a lone surrogate) or that are far too long: the
// fleet service (PGlite, and a PostgreSQL server) still stores every attempt and shows the billing phase as for a clean answer. Before the
// ZVM contract cleaned them, every attempt failed to store and the site stayed unknown with 0 attempts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HOUR } from '../../../src/core/index.ts';
import { waitFor } from '../http-client.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import {
  billing,
  parsePrometheus,
  SIM_POLICY,
  sim,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type FleetProcess,
} from './harness.ts';
import { postgresBin, startPostgres, type PgServer } from './postgres.ts';

const TOKEN = 'static-token-for-hostile-tests';

const pgMissing = (() => {
  const b = postgresBin();
  return 'missing' in b ? b.missing : null;
})();

for (const backend of ['pglite', 'postgresql'] as const)
  describe(
    `a hostile ZVM, the fleet on ${backend}`,
    { skip: backend === 'postgresql' ? (pgMissing ?? false) : false },
    () => {
      let dir: { path: string; remove(): Promise<void> };
      let receiver: BillingServer;
      let zvm: ZvmSim;
      let fleet: FleetProcess;
      let pg: PgServer | null = null;

      before(async () => {
        if (backend === 'postgresql') pg = await startPostgres();
        dir = await tempDir('zbb-fleet-hostile-');
        receiver = await billing(join(dir.path, 'billing'));
        receiver.setFault({ mode: 'error', status: 503 });
        zvm = await sim(receiver.url, {
          token: TOKEN,
          siteName: `Bad\u0000name \uD800${'x'.repeat(1 << 20)}`,
          licenseType: 'Cloud\u0000\uDC00',
        });
        await zvm.advance(SIM_POLICY.alertAfter + HOUR);
        const configPath = join(dir.path, 'fleet.json');
        await writeConfig(configPath, {
          dataDir: 'data',
          http: { port: 0 },
          apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_TEST_READ_KEY' } }],
          defaults: {
            policy: { interval: 1000, alertAfter: SIM_POLICY.alertAfter },
            timeoutMs: 2000,
            startSpreadMs: 0,
          },
          // No name in the config: the service takes the ZVM's (cleaned and bounded).
          zvms: [
            { id: 'hostile', url: zvm.url, auth: { type: 'token', token: { env: 'FLEET_TEST_TOKEN' } } },
          ],
        });
        fleet = await startFleet(configPath, {
          FLEET_TEST_READ_KEY: 'read-key-0123456789abcdef',
          FLEET_TEST_TOKEN: TOKEN,
          ...(pg ? { DATABASE_URL: pg.url } : {}),
        });
      });

      after(async () => {
        fleet?.child.kill('SIGTERM');
        await fleet?.exited();
        await zvm?.close();
        await receiver?.close();
        await dir?.remove();
        await pg?.stop();
      });

      test(`NUL bytes, lone surrogates and 1 MB in the ZVM strings: every attempt stored, the warning shown (${backend})`, async () => {
        const seen = await waitForSites(
          fleet,
          (s) => s.get('hostile')?.status === 'warning',
          30_000,
          'the warning',
        );
        const site = seen.get('hostile')! as unknown as {
          name: string;
          licence: { type: string | null; concern: string | null } | null;
        };
        assert.ok(!site.name.includes(String.fromCharCode(0)), 'no NUL in the name');
        assert.ok(
          site.name.startsWith('Bad\uFFFDname \uFFFD'),
          `the name, cleaned: ${site.name.slice(0, 20)}`,
        );
        assert.ok([...site.name].length <= 200, 'the name bounded');
        assert.equal(site.licence?.type, 'Cloud\uFFFD\uFFFD');
        // Attempts keep being made and stored, one at a time: their count grows, and nothing failed to store.
        const attempts = async () =>
          parsePrometheus((await fleet.get('/metrics')).text)
            .samples.filter((x) => x.name === 'zerto_fleet_attempts_total' && x.labels.site === 'hostile')
            .reduce((n, x) => n + x.value, 0);
        const before = await attempts();
        await waitFor(
          async () => ((await attempts()) > before ? true : undefined),
          20_000,
          'attempts going on',
        );
        assert.doesNotMatch(fleet.stdout() + fleet.stderr(), /could not be stored|unsupported Unicode/);
      });
    },
  );
