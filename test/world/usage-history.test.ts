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
