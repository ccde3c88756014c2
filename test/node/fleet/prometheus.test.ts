// The fleet's /metrics as Prometheus's own tool reads it: `promtool check metrics` on a live service's scrape
// (sites ok, in warning and unreadable; a webhook that fails), and the example alerting rules checked and
// unit-tested with `promtool check rules` / `promtool test rules`. Debian's `prometheus` package provides
// promtool (.ci/run installs it); without it these tests are skipped, saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY, HOUR } from '../../../src/core/index.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { REPO_ROOT, waitFor } from '../http-client.ts';
import {
  billing,
  closedPort,
  parsePrometheus,
  READ_KEY,
  sim,
  sites,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type FleetProcess,
} from './harness.ts';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const found = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
const skip =
  found.error || found.status !== 0
    ? `promtool not found (${PROMTOOL}): install Debian's prometheus package (apt-get install prometheus), or set PROMTOOL`
    : false;
const RULES = join(REPO_ROOT, 'docs/prometheus');

function promtool(args: string[], input?: string) {
  const r = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', cwd: RULES, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus: the metrics and the example rules pass promtool', { skip }, () => {
  let dir: { path: string; remove(): Promise<void> };
  let good: BillingServer;
  let bad: BillingServer;
  const sims: Record<string, ZvmSim> = {};
  let fleet: FleetProcess;

  before(async () => {
    dir = await tempDir('zbb-fleet-prom-');
    good = await billing(join(dir.path, 'billing-good'));
    bad = await billing(join(dir.path, 'billing-bad'));
    bad.setFault({ mode: 'error', status: 503 });
    sims.ok = await sim(good.url, { token: 'prom-static-token', siteName: 'Amsterdam' });
    sims.warn = await sim(bad.url, { token: 'prom-static-token', siteName: 'Berlin' });
    await sims.warn.advance(DAY + HOUR);
    const token = { type: 'token', token: { env: 'PROM_TEST_TOKEN' } };
    const path = join(dir.path, 'fleet.json');
    await writeConfig(path, {
      dataDir: 'data',
      http: { port: 0 },
      apiKeys: [{ name: 'noc', role: 'read', key: { env: 'PROM_TEST_READ_KEY' } }],
      concurrency: 4,
      defaults: {
        policy: { interval: 1000, alertAfter: 60_000, graceDays: 15 },
        timeoutMs: 2000,
        maxBackoffMs: 2000,
        jitter: 0.1,
        startSpreadMs: 0,
      },
      webhooks: [
        {
          name: 'down',
          url: `http://127.0.0.1:${await closedPort()}/hook`,
          secret: { env: 'PROM_TEST_TOKEN' },
        },
      ],
      zvms: [
        // A name with quotes and a backslash: label values escaped as the exposition format says.
        { id: 'ok', name: 'Amsterdam "Zuid" \\ 1', url: sims.ok.url, auth: token },
        { id: 'warn', url: sims.warn.url, auth: token },
        { id: 'down', url: `http://127.0.0.1:${await closedPort()}`, auth: token },
      ],
    });
    fleet = await startFleet(path, { PROM_TEST_TOKEN: 'prom-static-token', PROM_TEST_READ_KEY: READ_KEY });
  });

  after(async () => {
    if (fleet) {
      fleet.child.kill('SIGTERM');
      await fleet.exited();
    }
    await Promise.all(Object.values(sims).map((s) => s.close()));
    await good?.close();
    await bad?.close();
    await dir?.remove();
  });

  test('promtool check metrics passes on a live scrape, which carries info, deadline, attempts and webhook failures', async () => {
    await waitForSites(
      fleet,
      (s) =>
        s.get('ok')?.status === 'ok' &&
        s.get('warn')?.status === 'warning' &&
        s.get('down')?.status === 'cannot-see',
      30_000,
      'ok, warning and cannot-see',
    );
    // The warning posted a transition to a webhook that nobody answers.
    const text = await waitFor(
      async () => {
        const t = (await fleet.get('/metrics')).text;
        return /zerto_fleet_webhook_deliveries_total\{webhook="down",result="failed"\} [1-9]/.test(t)
          ? t
          : undefined;
      },
      30_000,
      'a failed webhook delivery counted',
    );
    const check = promtool(['check', 'metrics'], text);
    assert.equal(check.code, 0, `promtool check metrics:\n${check.out}`);
    assert.equal(check.out.trim(), '', check.out);

    const { types, samples } = parsePrometheus(text);
    for (const [name, type] of types) {
      if (name.endsWith('_total')) assert.equal(type, 'counter', `${name} is a ${type}`);
    }
    const one = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    const info = one('zerto_fleet_site_info', { site: 'ok' });
    assert.equal(info.length, 1);
    assert.equal(info[0]!.labels.name, 'Amsterdam "Zuid" \\ 1');
    assert.equal(info[0]!.labels.zvm, new URL(sims.ok!.url).host);
    assert.equal(info[0]!.value, 1);

    const seen = await sites(fleet);
    const deadline = one('zerto_fleet_site_deadline_timestamp_seconds', { site: 'warn' })[0];
    assert.ok(
      deadline && Math.abs(deadline.value - Date.parse(seen.get('warn')!.deadline!) / 1000) < 1,
      `deadline ${JSON.stringify(deadline)} vs ${seen.get('warn')!.deadline}`,
    );
    assert.equal(one('zerto_fleet_site_deadline_timestamp_seconds', { site: 'ok' }).length, 0);

    const attempts = (site: string, result: string) =>
      one('zerto_fleet_attempts_total', { site, result })[0]?.value ?? NaN;
    assert.ok(attempts('ok', 'passed') >= 1, 'passed attempts of ok');
    assert.equal(attempts('ok', 'cannot-see'), 0, 'every result of every site, zeros included');
    assert.ok(attempts('warn', 'failed') >= 1, 'failed attempts of warn');
    assert.ok(attempts('down', 'cannot-see') >= 1, 'cannot-see attempts of down');
    assert.equal(
      one('zerto_fleet_webhook_deliveries_total', { webhook: 'down', result: 'delivered' })[0]?.value,
      0,
    );
    for (const gone of ['handles', 'requests', 'resources']) {
      assert.ok(!types.has(`zerto_fleet_nodejs_active_${gone}_total`), `${gone}_total is still there`);
      assert.equal(types.get(`zerto_fleet_nodejs_active_${gone}`), 'gauge');
    }
  });

  test('promtool check rules and promtool test rules pass on docs/prometheus', () => {
    const check = promtool(['check', 'rules', 'zerto-fleet.rules.yml']);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /SUCCESS: 7 rules found/);
    const unit = promtool(['test', 'rules', 'zerto-fleet.rules.test.yml']);
    assert.equal(unit.code, 0, unit.out);
  });
});
