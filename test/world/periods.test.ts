// The period rule (src/protocol/usage.ts) end to end: direct-mode reports against the real billing receiver,
// made by a schedule and a manual test a minute apart, and by two contexts at once, bill consecutive periods
// that never overlap; a long unwatched stretch is a gap, said as such.
import { expect } from '@open-wc/testing';
import { DEFAULT_POLICY, HOUR, MINUTE } from '../../src/core/index.ts';
import { nextPeriod, periodsOverlap } from '../../src/protocol/usage.ts';
import { parseSiteConfig, probeFor, type SiteConfig } from '../../src/world/probes/index.ts';
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
    // As two tabs would: both build a report at the same moment; the second has nothing new to bill.
    const [a, b] = await Promise.all([transmit(c, t0 + 2 * MINUTE), transmit(c, t0 + 2 * MINUTE)]);
    expect(a.outcome.ok && b.outcome.ok).to.equal(true);
    const periods = await periodsOf(c.siteId);
    expect(periods).to.have.length(2);
    for (let i = 1; i < periods.length; i++) {
      expect(periods[i]!.period.from).to.equal(periods[i - 1]!.period.to);
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

  it('a second browser sending for the same site finds its time covered: not resent, not set aside, sent', async () => {
    const c = config();
    const t0 = Date.now();
    expect((await transmit(c, t0)).outcome.ok).to.equal(true);
    // Another browser: a database of its own, no record of the first one's periods.
    const name = storageConfig.dbName;
    storageConfig.dbName = `${name}-second-browser`;
    const other = await openBillingDb();
    storageConfig.dbName = name;
    try {
      const r = await probeFor('direct', other).transmit({ config: c, secrets: {}, now: () => t0 + MINUTE });
      expect(r.outcome.ok).to.equal(true);
      expect(await other.count('outbox')).to.equal(0);
      expect(await periodsOf(c.siteId)).to.have.length(1);
    } finally {
      other.close();
    }
  });

  it('nextPeriod: a clock turned back, or a second attempt in the same instant, bills nothing new', () => {
    expect(nextPeriod(1000, 1000, HOUR)).to.equal(null);
    expect(nextPeriod(5000, 1000, HOUR)).to.equal(null);
    expect(nextPeriod(null, 10 * HOUR, HOUR)).to.deep.equal({ from: 9 * HOUR, to: 10 * HOUR });
  });
});
