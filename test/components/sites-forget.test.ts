// Forgetting one site in the sites overview, over real IndexedDB in Chromium: its state, log, alerts and notes
// go; its waiting usage reports and usage history stay (billing data); every other site is left as it was.
import { expect, fixture, html } from '@open-wc/testing';
import { createState, DAY, DEFAULT_POLICY, HOUR } from '../../src/core/index.ts';
import type { ZertoBillingSites } from '../../components/index.ts';
import { forgetSite } from '../../src/world/forget.ts';
import { CHANNEL_NAME } from '../../src/world/poller/channel.ts';
import { openBillingDb, type Db, type OutboxRecord } from '../../src/world/storage/db.ts';
import { appendLog } from '../../src/world/storage/repo.ts';
import { recordUsage } from '../../src/world/usage-history.ts';
import { part, seedWarning, T0, testClock, uniqueSite, useOwnDb, visibleText } from './harness.ts';

useOwnDb('zbb-test-forget');

const NOW = T0 + 3 * DAY;

const report = (siteId: string, reportId: string, refused: OutboxRecord['refused'] = null): OutboxRecord => ({
  reportId,
  siteId,
  endpoint: 'https://billing.example/v1/usage',
  body: {},
  createdAt: NOW - 2 * HOUR,
  attempts: 1,
  lastError: null,
  refused,
});

/** A site in its grace period (an active alert), with a log entry, two waiting reports, a note and usage. */
async function seedSite(db: Db, name: string) {
  const site = uniqueSite(name);
  await seedWarning(site, T0, NOW);
  await appendLog(db, { siteId: site.id, at: NOW - HOUR, ok: false, kind: 'network', reportId: null });
  await db.put('outbox', report(site.id, `${site.id}-r1`));
  await db.put('outbox', report(site.id, `${site.id}-r2`));
  await db.put('meta', NOW - HOUR, `period-end:${site.id}`);
  await db.put('meta', { at: NOW - DAY, receiverEnd: NOW - 2 * DAY }, `no-local-record:${site.id}`);
  await recordUsage(db, {
    siteId: site.id,
    siteName: site.name,
    at: NOW - HOUR,
    protectedVms: 12,
    licenseType: null,
    reportId: `${site.id}-r2`,
    acknowledgedAt: null,
  });
  return site;
}

/** Everything the database holds of one site, counted per store. */
async function holdings(db: Db, siteId: string) {
  const range = IDBKeyRange.bound([siteId, -Infinity], [siteId, Infinity]);
  return {
    state: await db.count('sites', siteId),
    log: await db.countFromIndex('log', 'bySite', range),
    alerts: await db.countFromIndex('alerts', 'bySite', siteId),
    outbox: await db.countFromIndex('outbox', 'bySite', range),
    usage: await db.countFromIndex('usage', 'bySite', range),
    periodEnd: await db.get('meta', `period-end:${siteId}`),
    note: (await db.get('meta', `no-local-record:${siteId}`)) !== undefined,
  };
}

async function storedList(): Promise<ZertoBillingSites> {
  const el = await fixture<ZertoBillingSites>(
    html`<zerto-billing-sites .clock=${testClock(NOW)}></zerto-billing-sites>`,
  );
  await el.reload();
  await el.updateComplete;
  return el;
}

const rowOf = (el: ZertoBillingSites, siteId: string) =>
  el.shadowRoot!.querySelector(`[part~="row"][data-site="${siteId}"]`);
const forgetButtonOf = (el: ZertoBillingSites, siteId: string) =>
  rowOf(el, siteId)?.querySelector<HTMLButtonElement>('[part~="forget-button"]') ?? null;
const confirmButton = (el: ZertoBillingSites, action: 'confirm' | 'cancel') =>
  part(el, 'forget-confirm')!.querySelector<HTMLButtonElement>(`[data-action="${action}"]`)!;

/** Resolves once `done` holds after an update of `el` (2 s at most). */
async function until(el: ZertoBillingSites, done: () => boolean, what: string): Promise<void> {
  const end = performance.now() + 2000;
  for (;;) {
    await el.updateComplete;
    if (done()) return;
    if (performance.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const rowGone = (el: ZertoBillingSites, siteId: string) =>
  until(el, () => !rowOf(el, siteId), `the row of ${siteId} is gone`);

// Assertions compare booleans, never elements: a failure must be reportable (an element cannot be cloned
// into the test runner's report).
const focused = (el: ZertoBillingSites, target: Element | null) =>
  target !== null && el.shadowRoot!.activeElement === target;

describe('forgetSite()', () => {
  it("removes the site's state, log, alerts and notes, keeps its waiting reports and usage, and leaves another site intact", async () => {
    const db = await openBillingDb();
    const gone = await seedSite(db, 'Typo DR');
    const kept = await seedSite(db, 'Lisbon DR');
    await db.put(
      'outbox',
      report(gone.id, `${gone.id}-refused`, { at: NOW, status: 400, reason: 'http 400' }),
    );
    const before = await holdings(db, kept.id);
    expect(before).to.deep.include({ state: 1, log: 1, outbox: 2, usage: 1, note: true });
    expect(before.alerts).to.be.above(0);

    const result = await forgetSite(gone.id);

    expect(result.removed.state).to.equal(1);
    expect(result.removed.log).to.equal(1);
    expect(result.removed.alerts).to.be.above(0);
    expect(result.removed.meta).to.equal(1); // the note; the period's end stays with the waiting reports
    expect(result.keptWaiting).to.equal(2);
    expect(result.kept).to.deep.equal({ waiting: 2, setAside: 1, usage: 1, periodEnd: true });
    expect(await holdings(db, gone.id)).to.deep.equal({
      state: 0,
      log: 0,
      alerts: 0,
      outbox: 3,
      usage: 1,
      periodEnd: NOW - HOUR,
      note: false,
    });
    expect(await holdings(db, kept.id)).to.deep.equal(before);
  });

  it('removes the end of the last period too when no report of the site is left in the outbox', async () => {
    const db = await openBillingDb();
    const site = await seedSite(db, 'Delivered DR');
    await db.delete('outbox', `${site.id}-r1`);
    await db.delete('outbox', `${site.id}-r2`);
    const result = await forgetSite(site.id);
    expect(result.removed.meta).to.equal(2);
    expect(result.keptWaiting).to.equal(0);
    expect(await db.get('meta', `period-end:${site.id}`)).to.equal(undefined);
  });

  it('tells the other tabs of the origin which site was forgotten', async () => {
    const db = await openBillingDb();
    const site = await seedSite(db, 'Told DR');
    const other = new BroadcastChannel(CHANNEL_NAME);
    const heard = new Promise<unknown>((resolve) => {
      other.onmessage = (e: MessageEvent) => {
        if ((e.data as { type?: string } | null)?.type === 'forgotten') resolve(e.data);
      };
    });
    try {
      await forgetSite(site.id);
      expect(await heard).to.deep.equal({ type: 'forgotten', siteId: site.id });
    } finally {
      other.close();
    }
  });
});

describe('<zerto-billing-sites> forgets a site', () => {
  it('asks first, says what goes and that the waiting reports stay, then removes only that row', async () => {
    const db = await openBillingDb();
    const gone = await seedSite(db, 'Typo <b>DR</b>');
    const kept = await seedSite(db, 'Porto DR');
    const el = await storedList();
    // Another overview of the same origin (another tab, say) follows without being asked.
    const other = await storedList();
    expect(rowOf(el, gone.id) !== null).to.equal(true);
    expect(part(el, 'forget-confirm') === null).to.equal(true);

    const button = forgetButtonOf(el, gone.id)!;
    expect(button.textContent!.trim()).to.equal('Forget…');
    expect(button.getAttribute('aria-label')).to.equal('Forget Typo <b>DR</b>…');
    button.click();
    await el.updateComplete;

    const confirm = part(el, 'forget-confirm')!;
    const text = confirm.textContent!.replace(/\s+/g, ' ');
    expect(text).to.contain('Forget Typo <b>DR</b> in this browser?');
    expect(text).to.contain('billing state, transmission log, billing alerts and notes are removed');
    expect(text).to.contain(
      '2 usage reports still waiting to be delivered are kept and will still be delivered',
    );
    expect(text).to.contain('usage history stays in the manual-billing export');
    // The operator's site name is text, never markup.
    expect(el.shadowRoot!.querySelector('b') === null).to.equal(true);
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    await until(el, () => focused(el, confirmButton(el, 'cancel')), 'Cancel has the focus');
    // Nothing is removed while the question stands.
    expect((await holdings(db, gone.id)).state).to.equal(1);

    confirmButton(el, 'confirm').click();
    await rowGone(el, gone.id);
    await until(el, () => focused(el, part(el, 'forget-status')), 'the outcome is said and focused');

    expect(rowOf(el, kept.id) !== null).to.equal(true);
    expect(part(el, 'forget-confirm') === null).to.equal(true);
    const status = part(el, 'forget-status')!;
    expect(status.getAttribute('role')).to.equal('status');
    expect(status.textContent!.replace(/\s+/g, ' ').trim()).to.equal(
      'Typo <b>DR</b> was forgotten in this browser. 2 usage reports waiting to be delivered were kept.',
    );
    // The kept reports are still listed as not yet delivered, for a site no longer watched.
    expect(visibleText(el)).to.contain(`${gone.id} (no longer watched): 2 waiting`);
    await rowGone(other, gone.id);
    expect(rowOf(other, kept.id) !== null).to.equal(true);

    const left = await holdings(db, gone.id);
    expect(left).to.deep.include({ state: 0, log: 0, alerts: 0, outbox: 2, usage: 1 });
    const other2 = await holdings(db, kept.id);
    expect(other2).to.deep.include({ state: 1, log: 1, outbox: 2, usage: 1, note: true });
    expect(other2.alerts).to.be.above(0);
  });

  it('can be cancelled (button or Escape): nothing is removed and focus returns to the row', async () => {
    const db = await openBillingDb();
    const site = await seedSite(db, 'Keep me DR');
    const el = await storedList();
    const before = await holdings(db, site.id);

    forgetButtonOf(el, site.id)!.click();
    await el.updateComplete;
    confirmButton(el, 'cancel').click();
    await until(el, () => focused(el, forgetButtonOf(el, site.id)), "the row's Forget has the focus again");
    expect(part(el, 'forget-confirm') === null).to.equal(true);
    expect(forgetButtonOf(el, site.id)!.getAttribute('aria-expanded')).to.equal('false');

    forgetButtonOf(el, site.id)!.click();
    await el.updateComplete;
    part(el, 'forget-confirm')!.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }),
    );
    await el.updateComplete;
    expect(part(el, 'forget-confirm') === null).to.equal(true);

    await el.reload();
    await el.updateComplete;
    expect(rowOf(el, site.id) !== null).to.equal(true);
    expect(await holdings(db, site.id)).to.deep.equal(before);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`is accessible with its Forget buttons and the question open (axe-core, WCAG A and AA, ${theme})`, async () => {
      const db = await openBillingDb();
      const site = await seedSite(db, 'Checked DR');
      await seedSite(db, 'Other DR');
      // The element draws no page behind it: a dark theme is used on a dark page.
      const page = await fixture<HTMLDivElement>(
        html`<div style="background: ${theme === 'dark' ? '#1e1e1e' : '#fff'}">
          <zerto-billing-sites theme=${theme} .clock=${testClock(NOW)}></zerto-billing-sites>
        </div>`,
      );
      const el = page.querySelector('zerto-billing-sites')!;
      await el.reload();
      await el.updateComplete;
      await expect(el).to.be.accessible();
      forgetButtonOf(el, site.id)!.click();
      await el.updateComplete;
      await expect(el).to.be.accessible();
    });
  }

  it('offers no Forget when the host gives the rows', async () => {
    const db = await openBillingDb();
    await seedSite(db, 'Given DR');
    const el = await storedList();
    const buttons = () => el.shadowRoot!.querySelectorAll('[part~="forget-button"]').length;
    expect(buttons()).to.equal(1);
    el.sites = [{ state: createState({ id: 'given', name: 'Given DR' }, DEFAULT_POLICY, T0) }];
    await el.updateComplete;
    expect(buttons()).to.equal(0);
    expect(el.shadowRoot!.querySelectorAll('[role="columnheader"]').length).to.equal(5);
  });
});
