import { expect, fixture, html } from '@open-wc/testing';
import { createState, DAY, DEFAULT_POLICY, HOUR, LIST_WORDS, reduce } from '../../src/core/index.ts';
import type { ZertoBillingAlerts, ZertoBillingSites } from '../../components/index.ts';
import { dayStrip } from '../../components/sites/strip.ts';
import { openBillingDb, type OutboxRecord } from '../../src/world/storage/db.ts';
import { appendLog, applyEvent } from '../../src/world/storage/repo.ts';
import { mountBanner, part, seedWarning, T0, testClock, uniqueSite, useOwnDb } from './harness.ts';

useOwnDb('zbb-test-views');

describe('<zerto-billing-alerts>', () => {
  it('lists active and resolved billing alerts with ZVM field names, active first', async () => {
    const site = uniqueSite('Lisbon <b>DR</b>');
    const db = await openBillingDb();
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'tick' }, T0 + 20 * DAY);
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, T0 + 21 * DAY);
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'tick' }, T0 + 23 * DAY);
    const el = await fixture<ZertoBillingAlerts>(
      html`<zerto-billing-alerts site-id=${site.id}></zerto-billing-alerts>`,
    );
    await el.reload();
    await el.updateComplete;
    const alerts = el.alerts;
    expect(alerts.map((a) => [a.Level, a.HelpIdentifier, a.ResolvedOn === null])).to.deep.equal([
      ['Warning', 'LIC0012', true],
      ['Error', 'LIC0013', false],
      ['Warning', 'LIC0012', false],
    ]);
    expect(Object.keys(alerts[0]!)).to.include.members([
      'Level',
      'Entity',
      'HelpIdentifier',
      'Site',
      'Description',
      'TurnedOn',
      'IsDismissed',
    ]);
    expect(alerts[0]).to.include({
      Entity: 'Zvm',
      IsDismissed: false,
      TurnedOn: new Date(T0 + 22 * DAY).toISOString(),
    });
    const rows = el.shadowRoot!.querySelectorAll('[part~="row"]');
    expect(rows).to.have.length(3);
    expect(rows[0]!.textContent).to.contain('Active');
    expect(rows[0]!.textContent).to.contain('Lisbon <b>DR</b>');
    expect(el.shadowRoot!.querySelector('b')).to.equal(null);
  });

  it('reads an active alert with the same live words and day count as the banner', async () => {
    const site = uniqueSite('Porto DR');
    // The alert turned on 10 days ago: the banner reads "within 5 days" now, not "within 15 days".
    await seedWarning(site, T0, T0 + 10 * DAY);
    const clock = testClock(T0 + 10 * DAY);
    const alerts = await fixture<ZertoBillingAlerts>(
      html`<zerto-billing-alerts site-id=${site.id} .clock=${clock}></zerto-billing-alerts>`,
    );
    await alerts.reload();
    await alerts.updateComplete;
    const banner = await mountBanner({ site, clock });
    const [active] = alerts.alerts;
    expect(active?.ResolvedOn).to.equal(null);
    expect(active?.Description).to.contain('within 5 days');
    expect(part(banner, 'message')?.textContent?.replace(/\s+/g, ' ').trim()).to.equal(active?.Description);
  });

  it('says a warning was replaced by the disconnection, not that it was fixed', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 16 * DAY);
    const el = await fixture<ZertoBillingAlerts>(
      html`<zerto-billing-alerts
        site-id=${site.id}
        .clock=${testClock(T0 + 16 * DAY)}
      ></zerto-billing-alerts>`,
    );
    await el.reload();
    await el.updateComplete;
    const rows = [...el.shadowRoot!.querySelectorAll('[part~="row"]')].map((r) =>
      r.textContent!.replace(/\s+/g, ' '),
    );
    expect(rows).to.have.length(2);
    expect(rows[0]).to.contain('Active');
    expect(rows[1]).to.contain('(replaced by the disconnection)');
  });

  it('updates live when a site changes', async () => {
    const site = uniqueSite();
    const el = await fixture<ZertoBillingAlerts>(html`<zerto-billing-alerts></zerto-billing-alerts>`);
    await el.reload();
    await el.updateComplete;
    expect(part(el, 'empty')?.textContent).to.equal('No billing alerts.');
    const { publishState } = await import('../../src/world/poller/channel.ts');
    const after = await seedWarning(site, T0, T0 + DAY);
    publishState(after);
    await new Promise((r) => setTimeout(r, 50));
    await el.updateComplete;
    expect(el.alerts).to.have.length(1);
  });
});

describe('<zerto-billing-sites>', () => {
  const row = (id: string, name: string, events: Array<['ok' | 'tick', number]>, at: number) => {
    let s = createState({ id, name }, DEFAULT_POLICY, T0);
    for (const [e, t] of events) s = reduce(s, e === 'ok' ? { type: 'succeeded' } : { type: 'tick' }, t);
    return reduce(s, { type: 'tick' }, at);
  };

  it('puts the most urgent site first and shows phase, days left, last success and the 7-day strip', async () => {
    const now = T0 + 20 * DAY;
    const clock = testClock(now);
    const sites = [
      {
        state: row('a', 'Fine', [['ok', now - HOUR]], now),
        strip: dayStrip([{ at: now - HOUR, ok: true }], now),
      },
      { state: row('b', 'Gone', [['ok', T0]], now) },
      {
        state: row('c', 'Three left', [['ok', now - 13 * DAY]], now),
        strip: dayStrip([{ at: now - 2 * DAY, ok: false }], now),
      },
    ];
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .sites=${sites} .clock=${clock}></zerto-billing-sites>`,
    );
    const rows = [...el.shadowRoot!.querySelectorAll('[part~="row"]')].map((r) =>
      [...r.querySelectorAll('[role="cell"]')].slice(0, 3).map((td) => td.textContent!.trim()),
    );
    expect(rows).to.deep.equal([
      ['Gone', "VRAs stopped (vendor's rule)", 'none'],
      ['Three left', 'Usage not sent', '3 days'],
      ['Fine', 'Usage sent', '—'],
    ]);
    const strip = el.shadowRoot!.querySelector('[part~="row"][data-site="c"] [part~="strip"]')!;
    const days = [...strip.children];
    expect(days.map((c) => c.classList[1])).to.deep.equal([
      'none',
      'none',
      'none',
      'none',
      'fail',
      'none',
      'none',
    ]);
    expect(strip.getAttribute('aria-label')).to.equal('Last 7 days: 1 usage not sent, 6 no check');
  });

  it('gives every day of the strip a visible mark and a name of its own, and shows a legend (not colour alone)', async () => {
    const now = T0 + 20 * DAY;
    const sites = [
      {
        state: row('c', 'Three left', [['ok', now - 13 * DAY]], now),
        strip: dayStrip(
          [
            { at: now - 2 * DAY, ok: false },
            { at: now - HOUR, ok: true },
          ],
          now,
        ),
      },
    ];
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .sites=${sites} .clock=${testClock(now)} lang="en"></zerto-billing-sites>`,
    );
    const days = [...el.shadowRoot!.querySelectorAll('[part~="strip"] > *')];
    expect(days.map((d) => d.getAttribute('role'))).to.deep.equal(Array(7).fill('img'));
    expect(days.map((d) => d.getAttribute('aria-label'))).to.deep.equal([
      '6 days ago: no check',
      '5 days ago: no check',
      '4 days ago: no check',
      '3 days ago: no check',
      '2 days ago: usage not sent',
      'yesterday: no check',
      'today: usage sent',
    ]);
    // Each day carries a mark that differs by result, so the strip reads without its colours.
    const marks = days.map((d) => d.textContent!.trim());
    expect(new Set([marks[4], marks[6], marks[0]]).size).to.equal(3);
    const legend = part(el, 'legend')!;
    expect(legend.checkVisibility()).to.equal(true);
    expect(legend.textContent)
      .to.match(/✓\s*usage sent/)
      .and.match(/✗\s*usage not sent/);
    expect(legend.textContent).to.contain('billing host not reachable').and.contain('no check');
  });

  it('calls a day the billing host was unreachable "not reachable", never a usage failure (reachability is not usage)', () => {
    const now = T0 + 20 * DAY;
    const log = [
      { at: now - 3 * DAY, ok: false, kind: 'unobservable' },
      { at: now - DAY, ok: false, kind: 'network' },
    ];
    expect(dayStrip(log, now)).to.deep.equal([
      'none',
      'none',
      'none',
      'reached',
      'none',
      'unreachable',
      'none',
    ]);
    expect(dayStrip([{ at: now - DAY, ok: false, kind: 'network' }], now)[5]).to.equal('fail');
  });

  it('renders only the rows in view for 1,000 sites, and scrolling brings the others', async () => {
    const now = T0 + 20 * DAY;
    const sites = Array.from({ length: 1000 }, (_, i) => ({
      state: row(`s${i}`, `Site ${String(i).padStart(4, '0')}`, [['ok', now - (i % 30) * DAY]], now),
    }));
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .sites=${sites} .clock=${testClock(now)}></zerto-billing-sites>`,
    );
    await el.updateComplete;
    expect(el.rows).to.have.length(1000);
    const rendered = () => el.shadowRoot!.querySelectorAll('[part~="row"]').length;
    expect(rendered()).to.be.below(60);
    const scroller = el.shadowRoot!.querySelector('.scroller')!;
    scroller.scrollTop = 30_000;
    scroller.dispatchEvent(new Event('scroll'));
    await el.updateComplete;
    const indexes = [...el.shadowRoot!.querySelectorAll('[part~="row"]')].map((r) =>
      Number(r.getAttribute('aria-rowindex')),
    );
    expect(Math.min(...indexes)).to.be.above(700);
    expect(el.shadowRoot!.querySelector('[role="table"]')!.getAttribute('aria-rowcount')).to.equal('1001');
  });

  /** A frame painted, then a task: what the element asked to do after that frame has run. */
  const afterFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 20)));
  const thousand = (now: number) =>
    Array.from({ length: 1000 }, (_, i) => ({
      state: row(`s${i}`, `Site ${String(i).padStart(4, '0')}`, [['ok', now - (i % 30) * DAY]], now),
    }));

  it('is a table to assistive technology: named, one header row, a cell under each column header, rows indexed', async () => {
    const now = T0 + 20 * DAY;
    const sites = ['a', 'b', 'c'].map((id, i) => ({
      state: row(id, `Site ${id}`, [['ok', now - i * DAY]], now),
    }));
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .sites=${sites} .clock=${testClock(now)}></zerto-billing-sites>`,
    );
    const root = el.shadowRoot!;
    const table = root.querySelector('[role="table"]')!;
    const name = root.getElementById(table.getAttribute('aria-labelledby') ?? '');
    expect(name?.textContent?.trim()).to.equal(LIST_WORDS.sitesCaption);
    expect(table.getAttribute('aria-rowcount')).to.equal('4');
    const headers = [...table.querySelectorAll('[role="columnheader"]')].map((h) => h.textContent!.trim());
    expect(headers).to.deep.equal([
      LIST_WORDS.site,
      LIST_WORDS.status,
      LIST_WORDS.daysLeft,
      LIST_WORDS.lastSuccess,
      LIST_WORDS.lastDays(7),
    ]);
    const rows = [...table.querySelectorAll('[role="row"]')];
    expect(rows.map((r) => r.getAttribute('aria-rowindex'))).to.deep.equal(['1', '2', '3', '4']);
    expect(rows.map((r) => r.parentElement!.getAttribute('role'))).to.deep.equal(Array(4).fill('rowgroup'));
    expect(rows.slice(1).map((r) => r.querySelectorAll(':scope > [role="cell"]').length)).to.deep.equal([
      5, 5, 5,
    ]);
    await expect(el).to.be.accessible();
  });

  it('renders the rows in view at once, and the rows out of view after the first frame (ready for a scroll)', async () => {
    const now = T0 + 20 * DAY;
    const el = document.createElement('zerto-billing-sites');
    el.clock = testClock(now);
    el.sites = thousand(now);
    document.body.append(el);
    try {
      await el.updateComplete;
      const indexes = () =>
        [...el.shadowRoot!.querySelectorAll('[part~="row"]')].map((r) =>
          Number(r.getAttribute('aria-rowindex')),
        );
      const scroller = el.shadowRoot!.querySelector<HTMLElement>('.scroller')!;
      const inView = Math.ceil(scroller.clientHeight / 40);
      const first = indexes();
      expect(first[0]).to.equal(2);
      // The rows rendered fill the view, also when scrolled by part of a row.
      const lastRow = [...el.shadowRoot!.querySelectorAll('[part~="row"]')].at(-1)!;
      const view = scroller.getBoundingClientRect();
      expect(lastRow.getBoundingClientRect().bottom).to.be.at.least(view.bottom + 40 - 1);
      // Then, once the page is idle after that frame (within 100 ms), the rows out of view below.
      const by = performance.now() + 2000;
      while (indexes().length === first.length && performance.now() < by) await afterFrame();
      await el.updateComplete;
      const later = indexes();
      expect(later.slice(0, first.length)).to.deep.equal(first);
      // A scroll by a few rows finds them rendered before the scroll event is handled.
      expect(Math.max(...later)).to.be.at.least(inView + 1 + 4);
    } finally {
      el.remove();
    }
  });

  it('keeps the header row on top and the site names in view when scrolled down and sideways (a phone)', async () => {
    const now = T0 + 20 * DAY;
    const el = document.createElement('zerto-billing-sites');
    el.clock = testClock(now);
    el.sites = thousand(now);
    el.style.inlineSize = '390px';
    document.body.append(el);
    try {
      await el.updateComplete;
      await afterFrame();
      const root = el.shadowRoot!;
      const scroller = root.querySelector<HTMLElement>('.scroller')!;
      expect(scroller.scrollWidth).to.be.above(scroller.clientWidth);
      const box = scroller.getBoundingClientRect();
      scroller.scrollTop = 400;
      scroller.scrollLeft = 200;
      scroller.dispatchEvent(new Event('scroll'));
      await el.updateComplete;
      await afterFrame();
      const header = root.querySelector('[role="columnheader"]')!.getBoundingClientRect();
      expect(Math.round(header.top - box.top)).to.be.within(0, 1);
      expect(Math.round(header.left - box.left)).to.be.within(0, 1);
      const rows = [...root.querySelectorAll('[part~="row"]')].filter((r) => {
        const b = r.getBoundingClientRect();
        return b.top >= header.bottom && b.bottom <= box.bottom;
      });
      expect(rows.length).to.be.above(3);
      for (const r of rows) {
        const [nameCell, status] = [...r.querySelectorAll('[role="cell"]')].map((c) =>
          c.getBoundingClientRect(),
        );
        expect(Math.round(nameCell!.left - box.left)).to.be.within(0, 1);
        // The other cells went sideways under it.
        expect(status!.left).to.be.below(nameCell!.right);
      }
    } finally {
      el.remove();
    }
  });

  it('reads the watched sites and their logs from storage when given none', async () => {
    const site = uniqueSite('Stored site');
    const now = T0 + 3 * DAY;
    await seedWarning(site, T0, now);
    const db = await openBillingDb();
    await appendLog(db, { siteId: site.id, at: now - HOUR, ok: false, kind: 'network', reportId: null });
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .clock=${testClock(now)}></zerto-billing-sites>`,
    );
    await el.reload();
    await el.updateComplete;
    expect(part(el, 'row')?.textContent).to.contain('Stored site');
    expect(part(el, 'row')?.textContent).to.contain('12 days');
  });
});

describe('<zerto-billing-sites> shows the outbox', () => {
  it('lists the usage reports not yet delivered per site, the oldest, and those set aside with why', async () => {
    const site = uniqueSite('Backlog DR');
    await seedWarning(site, T0, T0 + DAY);
    const db = await openBillingDb();
    const record = (reportId: string, createdAt: number, refused: OutboxRecord['refused'] = null) => ({
      reportId,
      siteId: site.id,
      endpoint: 'https://billing.example/v1/usage',
      body: {},
      createdAt,
      attempts: 1,
      lastError: null,
      refused,
    });
    await db.put('outbox', record('waiting-1', T0 - 3 * HOUR));
    await db.put('outbox', record('waiting-2', T0 - HOUR));
    await db.put(
      'outbox',
      record('refused-1', T0 - 2 * HOUR, {
        at: T0,
        status: 400,
        reason: 'http 400: period.to: must be after period.from',
      }),
    );
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .clock=${testClock(T0)}></zerto-billing-sites>`,
    );
    await el.reload();
    await el.updateComplete;
    const text = part(el, 'backlog')?.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(text).to.contain('Backlog DR: 2 waiting, the oldest made 3 hours ago');
    expect(text).to.contain(
      '1 refused by the billing server and set aside (http 400: period.to: must be after period.from)',
    );
  });
});
