// The outbox delivers each endpoint's reports on its own, against real receivers on loopback: reports queued for
// an old billing URL whose receiver is dead (or hangs) never hold up the reports for the current one, and they
// stay queued for their own receiver, not lost and not set aside.
import { expect } from '@open-wc/testing';
import { DEFAULT_POLICY, HOUR } from '../../src/core/index.ts';
import { pendingFor, readBacklog } from '../../src/world/outbox.ts';
import { transmitOnce, type WatchedSite } from '../../src/world/poller/monitor.ts';
import { parseSiteConfig, type SiteConfig } from '../../src/world/probes/index.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';

let current: Servers;
let db: Db;
let n = 0;

before(async () => {
  storageConfig.dbName = `zbb-test-outbox-endpoints-${Math.random().toString(36).slice(2)}`;
  db = await openBillingDb();
  current = await startServers();
});
after(async () => {
  await current.stop();
  db.close();
});

function config(billingUrl: string, id?: string): SiteConfig {
  const parsed = parseSiteConfig({
    siteId: id ?? `endpoint-site-${++n}-${Math.random().toString(36).slice(2, 7)}`,
    siteName: 'Moved site',
    mode: 'direct',
    billingUrl,
    protectedVms: 4,
    policy: DEFAULT_POLICY,
    timeoutMs: 1500,
    retries: 0,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const reportsAt = async (servers: Servers, siteId: string) =>
  (await servers.reports()).filter((r) => r.site.id === siteId).map((r) => r.reportId);

describe('outbox: each endpoint on its own', () => {
  it('after billing-url changes, reports queued for a dead receiver never block the new one: the next attempt reaches it', async () => {
    // The old receiver: started, then gone (its port refuses connections).
    const old = await startServers();
    const oldUrl = old.billingUrl;
    await old.stop();
    const before = config(oldUrl);
    const id = before.siteId;
    const t0 = Date.now();
    let now = t0;
    const deps = { db, clock: () => now, publish: () => {} };
    for (let i = 0; i < 3; i++) {
      now = t0 + i * HOUR;
      const r = await transmitOnce(deps, { config: before, secrets: {} });
      expect(r.result.outcome.ok, `attempt ${i + 1} to the dead receiver`).to.equal(false);
    }
    const queuedOld = (await pendingFor(db, id)).map((r) => r.reportId);
    expect(queuedOld).to.have.length(3);

    // The operator points billing-url at the new receiver.
    const moved: WatchedSite = { config: config(current.billingUrl, id), secrets: {} };
    now = t0 + 3 * HOUR;
    const r = await transmitOnce(deps, moved);
    expect(r.result.outcome.ok).to.equal(true);
    expect(r.state.phase).to.equal('ok');
    expect(await reportsAt(current, id)).to.deep.equal([r.result.reportId]);
    // The old ones wait for their own receiver, tried again at every attempt, neither lost nor set aside.
    const waiting = await pendingFor(db, id);
    expect(waiting.map((x) => x.reportId)).to.deep.equal(queuedOld);
    expect(waiting.every((x) => x.endpoint.startsWith(oldUrl) && !x.refused)).to.equal(true);
    const backlog = (await readBacklog(db)).get(id);
    expect([backlog?.waiting, backlog?.setAside.length]).to.deep.equal([3, 0]);

    // And the next attempt too.
    now = t0 + 4 * HOUR;
    const next = await transmitOnce(deps, moved);
    expect(next.result.outcome.ok).to.equal(true);
    expect(await reportsAt(current, id)).to.have.length(2);
  });

  it('reports queued for a receiver that hangs do not hold up the new one either: it is sent first', async () => {
    const old = await startServers();
    try {
      const before = config(old.billingUrl);
      const id = before.siteId;
      const t0 = Date.now();
      let now = t0;
      const deps = { db, clock: () => now, publish: () => {} };
      await old.fault('error', { status: 503 });
      expect((await transmitOnce(deps, { config: before, secrets: {} })).result.outcome.ok).to.equal(false);
      await old.fault('hang');
      now = t0 + HOUR;
      const moved: WatchedSite = { config: config(current.billingUrl, id), secrets: {} };
      let delivered: number | null = null;
      const started = performance.now();
      const attempt = transmitOnce(deps, moved);
      // The new receiver has the report while the old one is still hanging.
      while (delivered === null && performance.now() - started < 1400) {
        if ((await reportsAt(current, id)).length === 1) delivered = performance.now() - started;
        else await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const r = await attempt;
      expect(delivered, 'the new report reached its receiver before the old one timed out').to.not.equal(
        null,
      );
      expect(r.result.outcome.ok).to.equal(true);
      expect((await pendingFor(db, id)).map((x) => x.endpoint.startsWith(old.billingUrl))).to.deep.equal([
        true,
      ]);
      // Once the old receiver answers again, its report goes to it, where it was queued.
      await old.fault('none');
      now = t0 + 2 * HOUR;
      expect((await transmitOnce(deps, moved)).result.outcome.ok).to.equal(true);
      expect(await reportsAt(old, id)).to.have.length(1);
      expect(await pendingFor(db, id)).to.deep.equal([]);
    } finally {
      await old.stop();
    }
  });
});
