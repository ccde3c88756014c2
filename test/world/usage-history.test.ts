import { expect, fixture, html } from '@open-wc/testing';
import { DAY, DEFAULT_POLICY, HOUR } from '../../src/core/index.ts';
import type { ZertoBillingAlerts, ZertoBillingBanner } from '../../components/index.ts';
import { exportUsage } from '../../src/world/export-usage.ts';
import { DB_VERSION, openBillingDb, storageConfig } from '../../src/world/storage/db.ts';
import { applyEvent, storageEvents } from '../../src/world/storage/repo.ts';
import { markAcknowledged, pruneUsage, readUsage, recordUsage } from '../../src/world/usage-history.ts';
import { parseSiteConfig } from '../../src/world/probes/index.ts';
import { transmitOnce } from '../../src/world/poller/monitor.ts';
import { part, settle, testClock } from '../components/harness.ts';
import { startServers } from '../support/servers.ts';

const T0 = Date.UTC(2026, 9, 1, 8);
const snap = (siteId: string, at: number, vms: number, acked: boolean) => ({
  siteId,
  siteName: 'Amsterdam DR',
  at,
  protectedVms: vms,
  licenseType: 'Enterprise',
  reportId: `r-${siteId}-${at}`,
  acknowledgedAt: acked ? at + 1000 : null,
});

beforeEach(() => {
  storageConfig.dbName = `zbb-test-usage-${Math.random().toString(36).slice(2)}`;
});

describe('usage history', () => {
  it('upgrades a version 1 database to version 2 keeping what it held', async () => {
    const name = storageConfig.dbName;
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('sites').put({ kept: true }, 'old-site');
        const outbox = db.createObjectStore('outbox', { keyPath: 'reportId' });
        outbox.createIndex('bySite', ['siteId', 'createdAt']);
        outbox.createIndex('byCreated', 'createdAt');
        const log = db.createObjectStore('log', { keyPath: 'id', autoIncrement: true });
        log.createIndex('bySite', ['siteId', 'at']);
        db.createObjectStore('alerts').createIndex('bySite', 'site.id');
        db.createObjectStore('meta');
        db.createObjectStore('quarantine', { keyPath: 'id', autoIncrement: true });
      };
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const db = await openBillingDb();
    expect(db.version).to.equal(DB_VERSION);
    expect([...db.objectStoreNames]).to.include('usage');
    expect(await db.get('sites', 'old-site')).to.deep.equal({ kept: true });
  });

  it('reads snapshots back by site and range, validated', async () => {
    const db = await openBillingDb();
    await recordUsage(db, snap('a', T0, 10, true));
    await recordUsage(db, snap('a', T0 + DAY, 12, false));
    await recordUsage(db, snap('b', T0 + DAY, 99, true));
    expect(
      (await readUsage(db, { siteIds: ['a'], from: T0, to: T0 + 2 * DAY })).map((s) => s.protectedVms),
    ).to.deep.equal([10, 12]);
    expect(await readUsage(db, { from: T0 + HOUR, to: T0 + 2 * DAY })).to.have.length(2);
  });

  it('reads a long history week by week: edges included once, sites merged in time order', async () => {
    const db = await openBillingDb();
    // Three sites, one snapshot every 5 hours for 30 days: across several read windows.
    const all: ReturnType<typeof snap>[] = [];
    for (let t = T0; t < T0 + 30 * DAY; t += 5 * HOUR)
      for (const site of ['c', 'a', 'b']) all.push(snap(site, t, Math.floor((t - T0) / HOUR), true));
    const tx = db.transaction('usage', 'readwrite');
    for (const x of all) void tx.store.add(x);
    await tx.done;
    const every = await readUsage(db, { from: -Infinity, to: Infinity });
    expect(every).to.have.length(all.length);
    expect(every.every((x, i) => i === 0 || every[i - 1]!.at <= x.at)).to.equal(true);
    const from = T0 + 35 * 5 * HOUR; // on a snapshot, in the second week: both ends are inclusive
    const to = T0 + 21 * DAY;
    const want = all.filter((x) => x.at >= from && x.at <= to && x.siteId !== 'c');
    const some = await readUsage(db, { siteIds: ['b', 'a', 'a'], from, to });
    expect(some.map((x) => x.reportId).sort()).to.deep.equal(want.map((x) => x.reportId).sort());
    expect(some.every((x, i) => i === 0 || some[i - 1]!.at <= x.at)).to.equal(true);
    expect(some[0]?.at).to.equal(from);
    expect(await readUsage(db, { siteIds: ['nobody'], from: 0, to: Infinity })).to.deep.equal([]);
    expect(await readUsage(db, { from: to, to: from })).to.deep.equal([]);
  });

  it('refuses to record a malformed snapshot', async () => {
    const db = await openBillingDb();
    let error = '';
    await recordUsage(db, { ...snap('a', T0, 10, true), protectedVms: -1 }).catch((e: Error) => {
      error = e.message;
    });
    expect(error).to.contain('usage.protectedVms');
    expect(await db.count('usage')).to.equal(0);
  });

  it('quarantines and reports a damaged snapshot without losing the others', async () => {
    const db = await openBillingDb();
    await recordUsage(db, snap('a', T0, 10, true));
    await db.add('usage', { siteId: 'a', at: T0 + HOUR, protectedVms: 'lots' });
    const seen: unknown[] = [];
    const listener = (e: Event) => seen.push((e as CustomEvent).detail);
    storageEvents.addEventListener('quarantine', listener);
    const original = console.error;
    console.error = () => {};
    try {
      const read = await readUsage(db, { from: T0, to: T0 + DAY });
      expect(read).to.have.length(1);
    } finally {
      console.error = original;
      storageEvents.removeEventListener('quarantine', listener);
    }
    expect(seen).to.have.length(1);
    expect((await db.getAll('quarantine')).some((q) => q.store === 'usage')).to.equal(true);
  });

  it('sets a damaged snapshot aside once, however many readers meet it', async () => {
    const db = await openBillingDb();
    await recordUsage(db, snap('a', T0, 10, true));
    await db.add('usage', { ...snap('a', T0 + HOUR, 1, true), acknowledgedAt: 'soon' });
    const logged: string[] = [];
    const original = console.error;
    console.error = (m: string) => logged.push(m);
    try {
      const [one, two] = await Promise.all([
        readUsage(db, { from: T0, to: T0 + DAY }),
        readUsage(db, { siteIds: ['a'], from: T0, to: T0 + DAY }),
      ]);
      expect([one.length, two.length]).to.deep.equal([1, 1]);
    } finally {
      console.error = original;
    }
    const q = (await db.getAll('quarantine')).filter((x) => x.store === 'usage');
    expect(q).to.have.length(1);
    expect(q[0]?.error).to.contain('usage.acknowledgedAt');
    expect((q[0]?.value as { acknowledgedAt: unknown }).acknowledgedAt).to.equal('soon');
    expect(logged).to.have.length(1);
    expect(logged[0]).to.contain('damaged usage record');
    expect(await db.count('usage')).to.equal(1);
  });

  it('drops only snapshots older than the age limit', async () => {
    const db = await openBillingDb();
    const now = T0 + 500 * DAY;
    await recordUsage(db, snap('a', now - 401 * DAY, 1, true));
    await recordUsage(db, snap('a', now - 399 * DAY, 2, true));
    await recordUsage(db, snap('a', now - DAY, 3, true));
    expect(await pruneUsage(db, now)).to.equal(1);
    expect((await readUsage(db, { from: 0, to: now })).map((s) => s.protectedVms)).to.deep.equal([2, 3]);
    expect(await pruneUsage(db, now, 30)).to.equal(1);
  });

  it('marks a snapshot acknowledged when its report goes through late', async () => {
    const db = await openBillingDb();
    const s = snap('a', T0, 10, false);
    await recordUsage(db, s);
    await markAcknowledged(db, [s.reportId], T0 + DAY);
    expect((await readUsage(db, { from: 0, to: T0 + DAY }))[0]?.acknowledgedAt).to.equal(T0 + DAY);
    // One id, or one site's only; an acknowledgement already recorded keeps its time.
    const t = snap('b', T0 + HOUR, 3, false);
    await recordUsage(db, t);
    expect(await markAcknowledged(db, t.reportId, T0 + 2 * DAY, { siteId: 'a' })).to.equal(0);
    expect(await markAcknowledged(db, t.reportId, T0 + 2 * DAY, { siteId: 'b' })).to.equal(1);
    expect(await markAcknowledged(db, [s.reportId, t.reportId, 'unknown'], T0 + 3 * DAY)).to.equal(0);
    expect((await readUsage(db, { from: 0, to: T0 + DAY })).map((x) => x.acknowledgedAt)).to.deep.equal([
      T0 + DAY,
      T0 + 2 * DAY,
    ]);
  });

  it('marks the snapshot of a report acknowledged when the outbox sends it after an outage', async function () {
    this.timeout(20_000);
    const servers = await startServers();
    try {
      const db = await openBillingDb();
      const parsed = parseSiteConfig({
        siteId: 'direct-site',
        siteName: 'Direct',
        mode: 'direct',
        billingUrl: servers.billingUrl,
        protectedVms: 9,
        policy: DEFAULT_POLICY,
        timeoutMs: 800,
        retries: 0,
      });
      if (!parsed.ok) throw new Error(parsed.error);
      const site = { config: parsed.value, secrets: {} };
      const clock = testClock(T0);
      await servers.fault('error', { status: 503 });
      const down = await transmitOnce({ db, clock, publish: () => {} }, site);
      expect(down.result.outcome.ok).to.equal(false);
      let usage = await readUsage(db, { from: 0, to: Infinity });
      expect(usage.map((x) => [x.protectedVms, x.acknowledgedAt])).to.deep.equal([[9, null]]);
      expect(usage[0]?.reportId).to.be.a('string');
      await servers.fault('none');
      clock.set(T0 + HOUR);
      const up = await transmitOnce({ db, clock, publish: () => {} }, site);
      expect(up.result.outcome.ok).to.equal(true);
      usage = await readUsage(db, { from: 0, to: Infinity });
      expect(usage.map((x) => x.acknowledgedAt)).to.deep.equal([T0 + HOUR, T0 + HOUR]);
    } finally {
      await servers.fault('none');
      await servers.stop();
    }
  });

  it('exports a site with no usage at all as a run of no-data days', async () => {
    const db = await openBillingDb();
    await recordUsage(db, snap('other', T0, 10, true));
    const file = await exportUsage(db, {
      siteIds: ['silent'],
      siteNames: { silent: 'Silent DR' },
      range: { from: Date.UTC(2026, 9, 1), to: Date.UTC(2026, 9, 4) - 1 },
      format: 'csv',
      now: T0 + 3 * DAY,
    });
    expect(file.fileName).to.equal('zerto-usage_silent-dr_2026-10-01_2026-10-03.csv');
    expect(file.text.split('\r\n').slice(1, 4)).to.deep.equal([
      '2026-10-01,silent,Silent DR,,0,0,no-data',
      '2026-10-02,silent,Silent DR,,0,0,no-data',
      '2026-10-03,silent,Silent DR,,0,0,no-data',
    ]);
  });

  it('records a snapshot for every transmission that collected usage', async () => {
    const db = await openBillingDb();
    const parsed = parseSiteConfig({
      siteId: 'custom-site',
      siteName: 'Custom',
      mode: 'custom',
      policy: DEFAULT_POLICY,
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const clock = testClock(T0);
    await transmitOnce(
      { db, clock, publish: () => {} },
      {
        config: parsed.value,
        secrets: {},
        extras: { custom: async () => ({ ok: true, reportId: 'r1', protectedVms: 12 }) },
      },
    );
    const usage = await readUsage(db, { from: 0, to: T0 });
    expect(usage).to.deep.equal([
      {
        siteId: 'custom-site',
        siteName: 'Custom',
        at: T0,
        protectedVms: 12,
        licenseType: null,
        reportId: 'r1',
        acknowledgedAt: T0,
      },
    ]);
  });
});

describe('export from the elements', () => {
  it('exports this site’s usage in one click from the disconnection notice, with its checksum', async () => {
    const db = await openBillingDb();
    const site = { id: 'gone-site', name: 'Amsterdam DR' };
    const now = T0 + 20 * DAY;
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'tick' }, now);
    for (let d = 0; d < 20; d++)
      await recordUsage(db, { ...snap(site.id, T0 + d * DAY + HOUR, 40 + d, d === 0), siteName: site.name });
    const el = await fixture<ZertoBillingBanner>(
      html`<zerto-billing-banner
        site-id=${site.id}
        site-name=${site.name}
        mode="custom"
        .clock=${testClock(now)}
        .probe=${() => ({ ok: false, reason: { kind: 'network' } })}
      ></zerto-billing-banner>`,
    );
    await settle(el);
    expect(el.view?.phase).to.equal('disconnected');
    (part(el, 'export-button') as HTMLButtonElement).click();
    for (let i = 0; i < 50 && !part(el, 'result'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      await el.updateComplete;
    }
    const result = part(el, 'result')!;
    expect(result.textContent).to.contain('zerto-usage_amsterdam-dr_2026-09-30_2026-10-21.csv');
    expect(result.textContent).to.contain('19 with usage the billing server never acknowledged');
    const again = await exportUsage(db, {
      siteIds: [site.id],
      range: { from: Date.UTC(2026, 8, 30), to: Date.UTC(2026, 9, 22) - 1 },
      format: 'csv',
      now,
    });
    expect(result.querySelector('code')?.textContent).to.equal(again.sha256);
  });

  it('opens the export from the alerts view, and explains a bad range', async () => {
    const el = await fixture<ZertoBillingAlerts>(html`<zerto-billing-alerts></zerto-billing-alerts>`);
    await el.reload();
    await el.updateComplete;
    (part(el, 'export-button') as HTMLButtonElement).click();
    await new Promise((r) => setTimeout(r, 100));
    await el.updateComplete;
    const exporter = el.shadowRoot!.querySelector('zerto-usage-export')!;
    await exporter.updateComplete;
    const file = await exporter.exportNow({ from: '2026-11-10', to: '2026-11-01', download: false });
    expect(file).to.equal(null);
    await exporter.updateComplete;
    expect(part(exporter, 'error')?.textContent).to.equal('from (2026-11-10) is after to (2026-11-01)');
  });
});
