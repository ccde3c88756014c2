// The sites overview over damaged stored records, in real IndexedDB: whatever the outbox and the sites store
// hold, it renders its rows and says which record it set aside or left out, and why, in escaped text; each
// damaged outbox record is set aside once, however often the list is read.
import { expect, fixture, html } from '@open-wc/testing';
import { DAY, HOUR } from '../../src/core/index.ts';
import type { ZertoBillingSites } from '../../components/index.ts';
import { formatAgo, formatDateTime, formatDeadline, formatSpan } from '../../components/shared/format.ts';
import { openBillingDb, type OutboxRecord } from '../../src/world/storage/db.ts';
import { storageEvents, type QuarantineDetail } from '../../src/world/storage/repo.ts';
import { part, seedWarning, T0, testClock, uniqueSite, useOwnDb, visibleText } from './harness.ts';

useOwnDb('zbb-test-sites-damaged');

const NOW = T0 + 3 * DAY;
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

async function storedList(): Promise<ZertoBillingSites> {
  const el = await fixture<ZertoBillingSites>(
    html`<zerto-billing-sites .clock=${testClock(NOW)}></zerto-billing-sites>`,
  );
  await el.reload();
  await el.updateComplete;
  return el;
}

const record = (over: Record<string, unknown>) =>
  ({
    endpoint: 'https://billing.example/v1/usage',
    body: {},
    createdAt: NOW - 2 * HOUR,
    attempts: 0,
    lastError: null,
    ...over,
  }) as unknown as OutboxRecord;

describe('<zerto-billing-sites> over damaged stored records', () => {
  it('renders every row and a notice naming each outbox and sites record it set aside or left out', async () => {
    const db = await openBillingDb();
    const good = uniqueSite('Lisbon DR');
    await seedWarning(good, T0, NOW);
    const damagedSite = `broken-${HOSTILE}`;
    await db.put('sites', { v: 2, site: { id: damagedSite }, phase: 'warning' }, damagedSite);
    // A queued report with a number for its id, one dated in words, one of no site (whose site id is markup).
    await db.put('outbox', record({ reportId: 87654321, siteId: good.id }));
    await db.put(
      'outbox',
      record({ reportId: `text-time-${good.id}`, siteId: good.id, createdAt: '2026-11-05' }),
    );
    await db.put('outbox', record({ reportId: 'no-site-report-1', siteId: undefined }));
    await db.put('outbox', record({ reportId: 'markup-site-1', siteId: HOSTILE, createdAt: 'yesterday' }));
    // A well-formed waiting report of the good site, shown as waiting.
    await db.put('outbox', record({ reportId: `waiting-${good.id}`, siteId: good.id }));

    const heard: QuarantineDetail[] = [];
    const listener = (e: Event) => heard.push((e as CustomEvent<QuarantineDetail>).detail);
    storageEvents.addEventListener('quarantine', listener);
    let el: ZertoBillingSites;
    try {
      el = await storedList();
      // Read again: nothing is set aside twice.
      await el.reload();
      await el.updateComplete;
    } finally {
      storageEvents.removeEventListener('quarantine', listener);
    }
    expect(el.status).to.equal('ready');
    expect(el.rows.map((r) => r.view.site.id)).to.deep.equal([good.id]);
    const text = visibleText(el);
    expect(text).to.not.contain('Reading the watched sites');
    expect(text).to.not.contain('undefined');
    expect(text).to.not.contain('NaN');
    // The good site's waiting report, counted and dated as usual.
    expect(part(el, 'backlog')?.textContent).to.contain('1 waiting, the oldest made 2 hours ago');

    const notice = part(el, 'set-aside')!;
    expect(notice, 'the set-aside notice').to.not.equal(null);
    const items = [...notice.querySelectorAll('li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    const about = (needle: string) => items.filter((t) => t.includes(needle));
    expect(about(`The stored state of site “${damagedSite}” cannot be read`)).to.have.length(1);
    expect(about('A usage report “87654321” of Lisbon DR was set aside')).to.have.length(1);
    expect(about('reportId: not a report id of the protocol (the number 87654321)')).to.have.length(1);
    expect(about(`A usage report “text-time-${good.id}” of Lisbon DR was set aside`)).to.have.length(1);
    expect(about('createdAt: not a time (the text "2026-11-05")')).to.have.length(1);
    expect(about('A usage report “no-site-report-1” that names no site was set aside')).to.have.length(1);
    expect(about(`A usage report “markup-site-1” of site “${HOSTILE}” was set aside`)).to.have.length(1);
    // Markup in a stored record is shown as text, never made into elements.
    expect(el.shadowRoot!.querySelector('img')).to.equal(null);
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);

    // Each damaged outbox record set aside and reported once; the damaged state reported, left for its check.
    const outbox = heard.filter((d) => d.store === 'outbox').map((d) => d.key);
    expect(outbox.sort()).to.deep.equal(
      ['87654321', `text-time-${good.id}`, 'no-site-report-1', 'markup-site-1'].sort(),
    );
    expect(await db.count('outbox')).to.equal(1);
    expect(await db.count('quarantine')).to.equal(4);
    // The damaged site can be forgotten from the notice, as a row can.
    const forget = notice.querySelector<HTMLButtonElement>('[part~="forget-button"]');
    expect(forget?.dataset.site).to.equal(damagedSite);
    // The notice is read as well as the rows (axe-core, WCAG A and AA).
    await expect(el).to.be.accessible();
  });

  it('a stored state the site check set aside is named in the notice, with why', async () => {
    const db = await openBillingDb();
    const site = uniqueSite('Porto DR');
    await seedWarning(site, T0, NOW);
    await db.put('quarantine', {
      store: 'sites',
      key: site.id,
      value: { v: 2 },
      error: 'latestSeen: is required',
      at: NOW - HOUR,
    });
    const el = await storedList();
    const notice = part(el, 'set-aside')!;
    expect(notice.textContent!.replace(/\s+/g, ' ')).to.contain(
      'The stored state of Porto DR was set aside 1 hour ago: latestSeen: is required. It was rebuilt from what could be read.',
    );
  });

  it('without damaged records there is no notice', async () => {
    const site = uniqueSite('Clean DR');
    await seedWarning(site, T0, NOW);
    const el = await storedList();
    expect(part(el, 'set-aside')).to.equal(null);
  });

  it('times that are no times are written as such, never thrown', () => {
    for (const t of [NaN, Infinity, -Infinity, 1e300, '2026-11-05' as unknown as number]) {
      expect(formatAgo(t)).to.equal('at a time not known');
      expect(formatDateTime(t)).to.equal('a time not known');
      expect(formatDeadline(t)).to.equal('a time not known');
      expect(formatSpan(t)).to.equal('a time not known');
    }
    expect(formatAgo(2 * HOUR, 'not a language tag!')).to.equal('2 hours ago');
  });
});
