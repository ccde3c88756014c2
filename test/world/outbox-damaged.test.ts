// Queued records that cannot be sent as they are, against the real receiver and real IndexedDB: each is set
// aside once (moved to the quarantine and reported), never sent and never blocking the site's other reports;
// a body the receiver cannot name is refused once by its place in the batch answer, and set aside.
import { expect } from '@open-wc/testing';
import { DEFAULT_POLICY, HOUR } from '../../src/core/index.ts';
import { outboxDamage, readBacklog } from '../../src/world/outbox.ts';
import { sweepUnwatched, transmitOnce, type WatchedSite } from '../../src/world/poller/monitor.ts';
import { buildReport, parseSiteConfig } from '../../src/world/probes/index.ts';
import { openBillingDb, storageConfig, type Db, type OutboxRecord } from '../../src/world/storage/db.ts';
import { storageEvents, type QuarantineDetail } from '../../src/world/storage/repo.ts';
import { startServers, type Servers } from '../support/servers.ts';

let servers: Servers;
let db: Db;
let n = 0;

before(async () => {
  storageConfig.dbName = `zbb-test-outbox-damaged-${Math.random().toString(36).slice(2)}`;
  db = await openBillingDb();
  servers = await startServers();
});
after(async () => {
  await servers.stop();
  db.close();
});

function watched(): WatchedSite {
  const parsed = parseSiteConfig({
    siteId: `damaged-site-${++n}-${Math.random().toString(36).slice(2, 7)}`,
    siteName: 'Damaged site',
    mode: 'direct',
    billingUrl: servers.billingUrl,
    protectedVms: 5,
    policy: DEFAULT_POLICY,
    timeoutMs: 2000,
    retries: 0,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return { config: parsed.value, secrets: {} };
}

/** Damage reports heard while `fn` runs. */
async function reportsDuring(fn: () => Promise<unknown>): Promise<QuarantineDetail[]> {
  const heard: QuarantineDetail[] = [];
  const listener = (e: Event) => heard.push((e as CustomEvent<QuarantineDetail>).detail);
  storageEvents.addEventListener('quarantine', listener);
  try {
    await fn();
  } finally {
    storageEvents.removeEventListener('quarantine', listener);
  }
  return heard;
}

const bodyOf = (site: WatchedSite, reportId: string, t: number) => ({
  ...buildReport(
    { config: site.config, secrets: {}, now: () => t },
    { protectedVms: 2 },
    { from: t - HOUR, to: t },
  ),
  reportId,
});

describe('outbox: a record that cannot be sent as it is', () => {
  it("without a string report id: set aside once and reported, never sent; the site's own report goes on", async () => {
    const site = watched();
    const t0 = Date.now();
    let now = t0;
    const deps = { db, clock: () => now, publish: () => {} };
    await transmitOnce(deps, site);
    // Written by something else (an older version, a hand-edited database): its key is a number.
    const damaged = {
      reportId: 12345678,
      siteId: site.config.siteId,
      endpoint: `${servers.billingUrl}/v1/usage`,
      body: bodyOf(site, '12345678', t0),
      createdAt: t0 - 30 * 60_000,
      attempts: 0,
      lastError: null,
    } as unknown as OutboxRecord;
    await db.put('outbox', damaged);
    const received = (await servers.stats()).received;
    const heard = await reportsDuring(async () => {
      for (let i = 1; i <= 4; i++) {
        now = t0 + i * HOUR;
        const r = await transmitOnce(deps, site);
        expect(r.result.outcome.ok, `attempt ${i}`).to.equal(true);
      }
    });
    // Four reports of its own, each sent once; the damaged record never.
    expect((await servers.stats()).received - received).to.equal(4);
    expect(heard.map((d) => [d.store, d.key])).to.deep.equal([['outbox', '12345678']]);
    expect(heard[0]?.error).to.equal('reportId: not a report id of the protocol (the number 12345678)');
    expect(await db.get('outbox', 12345678 as unknown as string)).to.equal(undefined);
    const aside = (await db.getAll('quarantine')).filter((r) => r.key === '12345678');
    expect(aside.map((r) => [r.store, (r.value as { siteId?: unknown }).siteId])).to.deep.equal([
      ['outbox', site.config.siteId],
    ]);
  });

  it('a body the receiver cannot name is refused by its place in the batch answer: set aside once, not resent', async () => {
    const site = watched();
    const t0 = Date.now();
    let now = t0;
    const deps = { db, clock: () => now, publish: () => {} };
    await transmitOnce(deps, site);
    const reportId = `nameless-${Math.random().toString(36).slice(2, 10)}`;
    const body: Record<string, unknown> = bodyOf(site, reportId, t0 - 5 * HOUR);
    delete body.reportId;
    await db.put('outbox', {
      reportId,
      siteId: site.config.siteId,
      endpoint: `${servers.billingUrl}/v1/usage`,
      body,
      createdAt: t0 - 30 * 60_000,
      attempts: 0,
      lastError: null,
    });
    const rejected = (await servers.stats()).rejected;
    for (let i = 1; i <= 3; i++) {
      now = t0 + i * HOUR;
      expect((await transmitOnce(deps, site)).result.outcome.ok, `attempt ${i}`).to.equal(true);
    }
    expect((await servers.stats()).rejected - rejected).to.equal(1);
    const backlog = (await readBacklog(db)).get(site.config.siteId);
    expect(backlog?.waiting).to.equal(0);
    expect(backlog?.setAside.map((x) => [x.reportId, x.status])).to.deep.equal([[reportId, 400]]);
    expect(backlog?.setAside[0]?.reason).to.contain('reportId');
  });

  it('records in no site queue (no site id, a creation time in words) are set aside once by the sweep, which goes on', async () => {
    const site = watched();
    const t0 = Date.now();
    const records = [
      {
        reportId: `no-site-${t0}`,
        endpoint: '',
        body: {},
        createdAt: t0 - 2 * HOUR,
        attempts: 0,
        lastError: null,
      },
      {
        reportId: `text-time-${t0}`,
        siteId: site.config.siteId,
        endpoint: '',
        body: {},
        createdAt: '2026-11-02T09:00:00Z',
        attempts: 0,
        lastError: null,
      },
    ];
    for (const r of records) await db.put('outbox', r as unknown as OutboxRecord);
    expect(records.map((r) => outboxDamage(r))).to.deep.equal([
      'siteId: missing',
      'createdAt: not a time (the text "2026-11-02T09:00:00Z")',
    ]);
    const heard = await reportsDuring(async () => {
      await sweepUnwatched(db, [], t0 + 2 * HOUR);
      await sweepUnwatched(db, [], t0 + 3 * HOUR);
      await readBacklog(db);
    });
    expect(heard.map((d) => d.key).sort()).to.deep.equal(records.map((r) => r.reportId).sort());
    for (const r of records) expect(await db.get('outbox', r.reportId)).to.equal(undefined);
  });
});
