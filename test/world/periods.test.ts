// The period rule (src/protocol/usage.ts) end to end: direct-mode reports against the real billing receiver,
// made by a schedule and a manual test a minute apart, and by two contexts at once, bill consecutive periods
// that never overlap; a long unwatched stretch is a gap, said as such.
import { expect } from '@open-wc/testing';
import { DEFAULT_POLICY, HOUR, MINUTE } from '../../src/core/index.ts';
import { nextPeriod, periodsOverlap } from '../../src/protocol/usage.ts';
import { buildReport, parseSiteConfig, probeFor, type SiteConfig } from '../../src/world/probes/index.ts';
import { deliver } from '../../src/world/probes/direct.ts';
import { flushBatched, readBacklog } from '../../src/world/outbox.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';

let servers: Servers;
let db: Db;
let n = 0;

before(async () => {
  storageConfig.dbName = `zbb-test-periods-${Math.random().toString(36).slice(2)}`;
  db = await openBillingDb();
  servers = await startServers();
});
after(async () => {
  await servers.stop();
  db.close();
});

function config(): SiteConfig {
  const parsed = parseSiteConfig({
    siteId: `period-site-${++n}-${Math.random().toString(36).slice(2, 7)}`,
    siteName: 'Period site',
    mode: 'direct',
    billingUrl: servers.billingUrl,
    protectedVms: 12,
    policy: DEFAULT_POLICY,
    timeoutMs: 2000,
    retries: 0,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const transmit = (c: SiteConfig, at: number) =>
  probeFor('direct', db).transmit({ config: c, secrets: {}, now: () => at });

async function periodsOf(siteId: string) {
  const reports = (await servers.reports()) as unknown as Array<{
    site: { id: string };
    period: { from: string; to: string };
    gapBefore?: { from: string; to: string };
  }>;
  return reports
    .filter((r) => r.site.id === siteId)
    .sort((a, b) => Date.parse(a.period.from) - Date.parse(b.period.from));
}

/** Queues a report of `c` for `period` directly in the outbox, as another context would have made it. */
async function queueReport(c: SiteConfig, t0: number, period: { from: number; to: number }) {
  const body = buildReport({ config: c, secrets: {}, now: () => t0 }, { protectedVms: 3 }, period);
  const endpoint = `${servers.billingUrl}/v1/usage`;
  await db.put('outbox', {
    reportId: body.reportId,
    siteId: c.siteId,
    endpoint,
    body,
    createdAt: t0,
    attempts: 0,
    lastError: null,
  });
  return body;
}

describe('the period rule: reports never bill the same time twice', () => {
  it('a scheduled attempt and a manual test a minute apart bill consecutive periods', async () => {
    const c = config();
    const t0 = Date.now();
    expect((await transmit(c, t0)).outcome.ok).to.equal(true);
    expect((await transmit(c, t0 + MINUTE)).outcome.ok).to.equal(true);
    const periods = await periodsOf(c.siteId);
    expect(periods.map((p) => [p.period.from, p.period.to])).to.deep.equal([
      [new Date(t0 - HOUR).toISOString(), new Date(t0).toISOString()],
      [new Date(t0).toISOString(), new Date(t0 + MINUTE).toISOString()],
    ]);
    expect(periodsOverlap(periods[0]!.period, periods[1]!.period)).to.equal(false);
  });

  it('two contexts attempting at once get consecutive periods (one IndexedDB transaction each)', async () => {
    const c = config();
    const t0 = Date.now();
    await transmit(c, t0);
    // As two tabs would: both build a report at the same moment (a clock that stands still); the second has
    // nothing new to bill, and says so rather than "sent": it sent nothing.
    const both = await Promise.all([transmit(c, t0 + 2 * MINUTE), transmit(c, t0 + 2 * MINUTE)]);
    expect(both.filter((r) => r.outcome.ok)).to.have.length(1);
    const idle = both.find((r) => !r.outcome.ok)!;
    expect(idle.outcome.ok === false && idle.outcome.reason.detail).to.contain('nothing new to bill');
    expect(idle.reportId).to.equal(undefined);
    const periods = await periodsOf(c.siteId);
    expect(periods).to.have.length(2);
    for (let i = 1; i < periods.length; i++) {
      expect(periods[i]!.period.from).to.equal(periods[i - 1]!.period.to);
    }
  });

  it('two contexts attempting at once on a running clock each bill their own period, consecutive', async () => {
    const c = config();
    await transmit(c, Date.now());
    // The second finds the period ending at its own instant: it waits the millisecond for the clock to pass it.
    const run = () => probeFor('direct', db).transmit({ config: c, secrets: {}, now: () => Date.now() });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.outcome.ok && b.outcome.ok).to.equal(true);
    const periods = await periodsOf(c.siteId);
    expect(periods).to.have.length(3);
    for (let i = 1; i < periods.length; i++) {
      expect(periods[i]!.period.from).to.equal(periods[i - 1]!.period.to);
      expect(Date.parse(periods[i]!.period.to)).to.be.greaterThan(Date.parse(periods[i]!.period.from));
    }
  });

  it('a stretch nobody watched is a gap, said as such, not billed', async () => {
    const c = config();
    const t0 = Date.now() - 3 * 24 * HOUR;
    await transmit(c, t0);
    const later = t0 + 24 * HOUR;
    await transmit(c, later);
    const periods = await periodsOf(c.siteId);
    expect(periods).to.have.length(2);
    expect(periods[1]!.period).to.deep.equal({
      from: new Date(later - HOUR).toISOString(),
      to: new Date(later).toISOString(),
    });
    expect(periods[1]!.gapBefore).to.deep.equal({
      from: new Date(t0).toISOString(),
      to: new Date(later - HOUR).toISOString(),
    });
  });

  it("a browser with no record of the site starts where the receiver's reports end, and says so", async () => {
    const c = config();
    const t0 = Date.now();
    expect((await transmit(c, t0)).outcome.ok).to.equal(true);
    // Another browser, or this one after its storage was cleared: a database with no record of those periods.
    const name = storageConfig.dbName;
    storageConfig.dbName = `${name}-second-browser`;
    const other = await openBillingDb();
    storageConfig.dbName = name;
    try {
      const r = await probeFor('direct', other).transmit({ config: c, secrets: {}, now: () => t0 + MINUTE });
      expect(r.outcome.ok).to.equal(true);
      const periods = await periodsOf(c.siteId);
      expect(periods.map((p) => p.period)).to.deep.equal([
        { from: new Date(t0 - HOUR).toISOString(), to: new Date(t0).toISOString() },
        { from: new Date(t0).toISOString(), to: new Date(t0 + MINUTE).toISOString() },
      ]);
      expect((await readBacklog(other)).get(c.siteId)?.noLocalRecord).to.deep.equal({
        at: t0 + MINUTE,
        receiverEnd: t0,
      });
      // The first browser had the record: nothing to say there.
      expect((await readBacklog(db)).get(c.siteId)?.noLocalRecord ?? null).to.equal(null);
    } finally {
      other.close();
    }
  });

  it('a queued report whose time another sender already billed is covered: removed, not set aside', async () => {
    const c = config();
    const t0 = Date.now();
    expect((await transmit(c, t0)).outcome.ok).to.equal(true);
    // Queued elsewhere before the first report reached the receiver: the same hour, another report id.
    const body = await queueReport(c, t0, { from: t0 - HOUR, to: t0 });
    const r = await deliver(db, c.siteId, { timeoutMs: 2000, retries: 0, windowMs: 5000 });
    expect(r.acked).to.deep.equal([body.reportId]);
    expect(r.refused).to.deep.equal([]);
    expect(await db.count('outbox')).to.equal(0);
    expect(await periodsOf(c.siteId)).to.have.length(1);
  });

  it("a queued report that another sender's report only partly covers is set aside, not dropped", async () => {
    const c = config();
    const t0 = Date.now();
    expect((await transmit(c, t0)).outcome.ok).to.equal(true);
    // Half of its hour is held by the first report, half is billed by nobody: it must not count as billed.
    const body = await queueReport(c, t0, { from: t0 - HOUR / 2, to: t0 + HOUR / 2 });
    const r = await deliver(db, c.siteId, { timeoutMs: 2000, retries: 0, windowMs: 5000 });
    expect(r.acked).to.deep.equal([]);
    expect(r.refused.map((x) => x.reportId)).to.deep.equal([body.reportId]);
    const backlog = (await readBacklog(db)).get(c.siteId);
    expect(backlog?.setAside.map((x) => x.reportId)).to.deep.equal([body.reportId]);
    expect(backlog?.setAside[0]?.reason).to.contain('overlaps report');
  });

  it('halves a batch the receiver finds too large, and sets aside a single report it never takes', async () => {
    // The sender is a stand-in here (the reference receiver's limits are fixed for this test file): it answers
    // 413 to any batch of more than 3 reports and to the report "huge", as a receiver with a small limit would.
    const siteId = `halving-${Math.random().toString(36).slice(2, 7)}`;
    const t0 = Date.now();
    const ids = ['a1', 'a2', 'huge', 'a4', 'a5', 'a6', 'a7'].map((x) => `${x}-${siteId}`);
    for (const [i, id] of ids.entries())
      await db.put('outbox', {
        reportId: id,
        siteId,
        endpoint: 'https://x.example/v1/usage',
        body: { n: i },
        createdAt: t0 + i,
        attempts: 0,
        lastError: null,
      });
    const sizes: number[] = [];
    const r = await flushBatched(db, siteId, async (records) => {
      sizes.push(records.length);
      if (records.length > 3 || records[0]!.reportId.startsWith('huge'))
        return { ok: false, reason: { kind: 'http', status: 413, detail: 'too large' } };
      return { ok: true, items: records.map((x) => ({ reportId: x.reportId, ok: true as const })) };
    });
    // Each refusal of a batch of several is followed by a smaller one; taken batches let the size grow again.
    expect(sizes).to.deep.equal([7, 4, 2, 4, 2, 1, 1, 2, 1]);
    expect(r.acked).to.deep.equal(ids.filter((id) => !id.startsWith('huge')));
    expect(r.refused.map((x) => x.reportId)).to.deep.equal([ids[2]]);
    expect((await readBacklog(db)).get(siteId)?.setAside.map((x) => x.status)).to.deep.equal([413]);
  });

  it('nextPeriod: a clock turned back, or a second attempt in the same instant, bills nothing new', () => {
    expect(nextPeriod(1000, 1000, HOUR)).to.equal(null);
    expect(nextPeriod(5000, 1000, HOUR)).to.equal(null);
    expect(nextPeriod(null, 10 * HOUR, HOUR)).to.deep.equal({ from: 9 * HOUR, to: 10 * HOUR });
  });
});
