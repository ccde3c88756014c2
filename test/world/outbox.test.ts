import { expect } from '@open-wc/testing';
import { DAY, DEFAULT_POLICY, HOUR } from '../../src/core/index.ts';
import { exportUsage } from '../../src/world/export-usage.ts';
import { recordUsage } from '../../src/world/usage-history.ts';
import { countPending, flush, pendingFor, readBacklog } from '../../src/world/outbox.ts';
import { sweepUnwatched } from '../../src/world/poller/monitor.ts';
import { deliver, sendReport } from '../../src/world/probes/direct.ts';
import { parseSiteConfig, probeFor } from '../../src/world/probes/index.ts';
import { openBillingDb, storageConfig, type Db, type OutboxRecord } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { openFrame, until } from './frames.ts';

let servers: Servers;
let db: Db;
let n = 0;
const dbName = `zbb-test-outbox-${Math.random().toString(36).slice(2)}`;

before(async () => {
  storageConfig.dbName = dbName;
  db = await openBillingDb();
  servers = await startServers();
});
after(async () => {
  await servers.stop();
});
afterEach(() => servers.fault('none'));

/** The report as the server stored it, without the server's own receipt time. */
async function storedReport(reportId: string): Promise<unknown> {
  const stored = (await servers.reports()).find((r) => r.reportId === reportId) as
    Record<string, unknown> | undefined;
  if (!stored) return undefined;
  const report = { ...stored };
  delete report.receivedAt;
  return report;
}

function cfg(over: object = {}) {
  const p = parseSiteConfig({
    siteId: `outbox-site-${++n}-${Math.random().toString(36).slice(2, 6)}`,
    siteName: 'Outbox site',
    mode: 'direct',
    billingUrl: servers.billingUrl,
    protectedVms: 9,
    policy: DEFAULT_POLICY,
    timeoutMs: 1500,
    retries: 0,
    ...over,
  });
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

const send = (config: ReturnType<typeof cfg>) =>
  probeFor('direct', db).transmit({ config, secrets: {}, now: () => Date.now() });
const idsFor = async (siteId: string) =>
  (await servers.reports()).filter((r) => r.site.id === siteId).map((r) => r.reportId);

describe('outbox: no usage report is ever lost', () => {
  it('keeps every report generated during an outage and delivers them all, once each, when it ends', async () => {
    const config = cfg();
    await servers.fault('error', { status: 503 });
    for (let i = 0; i < 3; i++) expect((await send(config)).outcome.ok).to.equal(false);
    const queued = (await pendingFor(db, config.siteId)).map((r) => r.reportId);
    expect(queued).to.have.length(3);
    await servers.fault('none');
    const last = await send(config);
    expect(last.outcome.ok).to.equal(true);
    const received = await idsFor(config.siteId);
    expect(received).to.have.length(4);
    expect(received).to.include.members(queued);
    expect(await countPending(db, config.siteId)).to.equal(0);
  });

  it('counts a report resent after a lost acknowledgement once', async () => {
    const config = cfg();
    const first = await send(config);
    const reportId = first.outcome.ok ? first.outcome.reportId! : '';
    const sent = await storedReport(reportId);
    // The acknowledgement "was lost": the same report is back in the outbox and goes out again.
    await db.put('outbox', {
      reportId,
      siteId: config.siteId,
      endpoint: '',
      body: sent,
      createdAt: 0,
      attempts: 1,
      lastError: null,
    });
    const before = await servers.stats();
    expect((await send(config)).outcome.ok).to.equal(true);
    const after = await servers.stats();
    expect(after.duplicates - before.duplicates).to.equal(1);
    expect((await idsFor(config.siteId)).filter((id) => id === reportId)).to.have.length(1);
    expect(await countPending(db, config.siteId)).to.equal(0);
  });

  it('resends a report whose page was closed mid-send, and the server counts it once', async () => {
    const config = cfg({ timeoutMs: 10_000 });
    await servers.fault('hang');
    const page = await openFrame('/test/world/outbox-page.html', {
      db: dbName,
      config: JSON.stringify(config),
    });
    await until(async () => (await countPending(db, config.siteId)) === 1, 5000, 'the report to be queued');
    await new Promise((r) => setTimeout(r, 300)); // the request is out, and the server is not answering
    page.remove(); // the tab closes while the request is in flight
    expect(await countPending(db, config.siteId)).to.equal(1);
    await servers.fault('none');
    expect((await send(config)).outcome.ok).to.equal(true);
    expect(await idsFor(config.siteId)).to.have.length(2);
    expect(await countPending(db, config.siteId)).to.equal(0);
  });

  it('survives a restart of the billing server with nothing lost or counted twice', async () => {
    const config = cfg();
    const r1 = await send(config);
    await servers.restartBilling();
    const id1 = r1.outcome.ok ? r1.outcome.reportId! : '';
    const body = await storedReport(id1);
    expect(body, 'the report survived the restart').to.not.equal(undefined);
    await db.put('outbox', {
      reportId: id1,
      siteId: config.siteId,
      endpoint: '',
      body,
      createdAt: 0,
      attempts: 1,
      lastError: null,
    });
    expect((await send(config)).outcome.ok).to.equal(true);
    expect((await idsFor(config.siteId)).filter((id) => id === id1)).to.have.length(1);
  });
});

describe('outbox: no report stranded, none resent forever', () => {
  it('delivers the queued report of a site nobody watches any more (removed, or switched to another mode)', async () => {
    const config = cfg();
    await servers.fault('error', { status: 503 });
    expect((await send(config)).outcome.ok).to.equal(false);
    const [queued] = await pendingFor(db, config.siteId);
    await servers.fault('none');
    // The site was removed: no poller watches it. Whoever polls the origin sweeps it an hour later.
    const acked = await sweepUnwatched(db, [], Date.now() + 2 * HOUR);
    expect(acked).to.include(queued!.reportId);
    expect(await idsFor(config.siteId)).to.deep.equal([queued!.reportId]);
    expect(await countPending(db, config.siteId)).to.equal(0);
  });

  it('dates a report refused in a batch by the clock it is given', async () => {
    const config = cfg();
    const endpoint = `${servers.billingUrl}/v1/usage`;
    const reportId = `refused-batch-${Math.random().toString(36).slice(2, 10)}`;
    await db.put('outbox', {
      reportId,
      siteId: config.siteId,
      endpoint,
      // Never acceptable: its period ends before it starts.
      body: {
        protocol: 1,
        reportId,
        site: { id: config.siteId, name: 'Outbox site' },
        period: { from: '2026-11-02T10:00:00Z', to: '2026-11-02T09:00:00Z' },
        generatedAt: '2026-11-02T10:00:00Z',
        usage: { protectedVms: 3 },
        client: { name: 'test', version: '1' },
      },
      createdAt: Date.now() - 3 * HOUR,
      attempts: 0,
      lastError: null,
    });
    const refusedAt = Date.UTC(2026, 10, 3, 8, 30);
    const r = await deliver(
      db,
      config.siteId,
      { timeoutMs: 2000, retries: 0, windowMs: 5000 },
      undefined,
      undefined,
      {
        now: () => refusedAt,
      },
    );
    expect(r.refused.map((x) => x.reportId)).to.deep.equal([reportId]);
    const setAside = (await readBacklog(db)).get(config.siteId)?.setAside ?? [];
    expect(setAside.map((x) => [x.reportId, x.at])).to.deep.equal([[reportId, refusedAt]]);
  });

  it('sets a report the server refuses as invalid aside once, with its reason, and never resends it', async () => {
    const config = cfg();
    const endpoint = `${servers.billingUrl}/v1/usage`;
    const reportId = `refused-${Math.random().toString(36).slice(2, 10)}`;
    // A report the receiver can never accept: its period ends before it starts.
    const body = {
      protocol: 1,
      reportId,
      site: { id: config.siteId, name: 'Outbox site' },
      period: { from: '2026-11-02T10:00:00Z', to: '2026-11-02T09:00:00Z' },
      generatedAt: '2026-11-02T10:00:00Z',
      usage: { protectedVms: 3 },
      client: { name: 'test', version: '1' },
    };
    await db.put('outbox', {
      reportId,
      siteId: config.siteId,
      endpoint,
      body,
      createdAt: Date.now() - 3 * HOUR,
      attempts: 0,
      lastError: null,
    });
    const sendOne = async (record: OutboxRecord) =>
      (await sendReport(endpoint, record, { timeoutMs: 2000, retries: 0, windowMs: 5000 })).result;
    const before = (await servers.stats()).received;
    // The refusal is dated by the poller's clock (here an injected one), not the system's.
    const refusedAt = Date.UTC(2026, 10, 2, 12, 0);
    const first = await flush(db, config.siteId, sendOne, { now: () => refusedAt });
    expect(first.refused.map((r) => r.reportId)).to.deep.equal([reportId]);
    expect((await readBacklog(db)).get(config.siteId)?.setAside[0]?.at).to.equal(refusedAt);
    expect((await servers.stats()).received).to.equal(before + 1);
    // Five more flushes: the set-aside report is never sent again.
    for (let i = 0; i < 5; i++) await flush(db, config.siteId, sendOne);
    expect((await servers.stats()).received).to.equal(before + 1);
    const backlog = (await readBacklog(db)).get(config.siteId);
    expect(backlog?.waiting).to.equal(0);
    expect(backlog?.setAside.map((r) => r.reportId)).to.deep.equal([reportId]);
    expect(backlog?.setAside[0]?.status).to.equal(400);
    expect(backlog?.setAside[0]?.reason).to.contain('period.to');
    // Its usage is in the manual-billing export, with why it was refused.
    await recordUsage(db, {
      siteId: config.siteId,
      siteName: 'Outbox site',
      at: Date.now() - 3 * HOUR,
      protectedVms: 3,
      licenseType: null,
      reportId,
      acknowledgedAt: null,
    });
    const file = await exportUsage(db, {
      siteIds: [config.siteId],
      range: { from: Date.now() - DAY, to: Date.now() },
      format: 'json',
      now: Date.now(),
    });
    const line = (JSON.parse(file.text) as { reports: Array<Record<string, unknown>> }).reports.find(
      (r) => r.reportId === reportId,
    );
    expect(line?.acknowledged).to.equal(false);
    expect((line?.setAside as { reason: string } | undefined)?.reason).to.contain('period.to');
  });
});
