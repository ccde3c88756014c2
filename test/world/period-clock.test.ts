// The period rule in the site's clock frame, against the real billing receiver and real IndexedDB: a clock a
// year ahead for one attempt and then set right bills the time since the last report at the next attempt (the
// period mark moves with the site's other times), an attempt that would bill nothing is never "sent", and a
// period mark in the clock's future that no clock step explains is set aside like any damaged record.
import { expect, fixture, html } from '@open-wc/testing';
import { DAY, DEFAULT_POLICY, HOUR, MINUTE, viewOf, type GraceState } from '../../src/core/index.ts';
import type { ZertoBillingBanner } from '../../components/index.ts';
import { periodEnd } from '../../src/world/outbox.ts';
import { checkSite, transmitOnce, type WatchedSite } from '../../src/world/poller/monitor.ts';
import { parseSiteConfig } from '../../src/world/probes/index.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import { periodFromKey, periodKey } from '../../src/world/storage/period-mark.ts';
import { readLog, readState, storageEvents } from '../../src/world/storage/repo.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { testClock, visibleText } from '../components/harness.ts';
import { until } from './frames.ts';

const YEAR = 365 * DAY;

let servers: Servers;
let db: Db;
let n = 0;

before(async () => {
  storageConfig.dbName = `zbb-test-period-clock-${Math.random().toString(36).slice(2)}`;
  db = await openBillingDb();
  servers = await startServers();
});
after(async () => {
  await servers.stop();
  db.close();
});

function watched(): WatchedSite {
  const parsed = parseSiteConfig({
    siteId: `clock-site-${++n}-${Math.random().toString(36).slice(2, 7)}`,
    siteName: 'Clock site',
    mode: 'direct',
    billingUrl: servers.billingUrl,
    protectedVms: 7,
    policy: DEFAULT_POLICY,
    timeoutMs: 2000,
    retries: 0,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return { config: parsed.value, secrets: {} };
}

type Period = { from: string; to: string };
async function periodsOf(siteId: string): Promise<Period[]> {
  const reports = (await servers.reports()) as unknown as Array<{ site: { id: string }; period: Period }>;
  return reports.filter((r) => r.site.id === siteId).map((r) => r.period);
}

const iso = (t: number) => new Date(t).toISOString();

async function stored(site: WatchedSite, now: number): Promise<GraceState> {
  const read = await readState(db, { id: site.config.siteId, name: '' }, site.config.policy, now);
  if (read.status !== 'ok') throw new Error(`no stored state (${read.status})`);
  return read.state;
}

/** A banner fed the site's stored state (as the extension feeds one), with `show-ok`: the words a person reads. */
async function bannerOf(site: WatchedSite, clock: () => number): Promise<() => Promise<string>> {
  const el = await fixture<ZertoBillingBanner>(
    html`<zerto-billing-banner
      external
      show-ok
      site-id=${site.config.siteId}
      mode="direct"
      .clock=${clock}
    ></zerto-billing-banner>`,
  );
  return async () => {
    const state = await stored(site, clock());
    document.dispatchEvent(
      new CustomEvent('zerto-billing-external-state', { detail: JSON.stringify({ state }) }),
    );
    const view = viewOf(state, clock());
    await until(
      () => el.view?.at === view.at && el.view.lastSuccessAt === view.lastSuccessAt,
      5000,
      'the banner to take the stored state',
    );
    el.requestUpdate();
    await el.updateComplete;
    await until(() => visibleText(el) !== '', 5000, 'the banner to say something');
    return visibleText(el);
  };
}

describe('the period rule follows the site clock frame', () => {
  it('a clock a year ahead for one attempt and back: the next attempt bills the time since the last report, and the banner says "sent" only when a report went', async () => {
    const site = watched();
    const id = site.config.siteId;
    const t0 = Date.now();
    const clock = testClock(t0);
    const deps = { db, clock, publish: () => {} };
    const words = await bannerOf(site, clock);

    /** One scheduled check at `at`: whether it attempted, what it said, how many reports reached the receiver. */
    const check = async (at: number) => {
      clock.set(at);
      const received = (await periodsOf(id)).length;
      const logged = (await readLog(db, id)).length;
      await checkSite(deps, site);
      const after = await stored(site, at);
      const sent = (await periodsOf(id)).length - received;
      const attempted = (await readLog(db, id)).length > logged;
      return { attempted, sent, after, words: await words() };
    };

    const first = await check(t0);
    expect([first.attempted, first.sent]).to.deep.equal([true, 1]);
    expect(first.words).to.equal('Billing usage sent this minute');

    // The clock is a year ahead for one attempt: a report goes, for the hour before that reading.
    const ahead = await check(t0 + YEAR + HOUR);
    expect([ahead.attempted, ahead.sent]).to.deep.equal([true, 1]);
    expect(await periodEnd(db, id)).to.equal(t0 + YEAR + HOUR);

    // Set right a minute later: the site's times move back by the step, the period mark with them.
    const back = t0 + HOUR + MINUTE;
    const turned = await check(back);
    expect(turned.attempted, 'nothing was due').to.equal(false);
    expect(turned.sent).to.equal(0);
    expect(turned.after.clockJumps.count).to.equal(1);
    expect(await periodEnd(db, id)).to.equal(back);
    // The "sent" it shows is the year-ahead report's, a moment ago in this frame: no new claim was made.
    expect(turned.after.lastSuccessAt).to.equal(back);
    expect(turned.words).to.contain('Billing usage sent');

    // Every attempt from then on bills the time since the last report, and says "sent" because one went.
    let last = back;
    for (let i = 1; i <= 3; i++) {
      const at = back + i * HOUR;
      const r = await check(at);
      expect([r.attempted, r.sent], `attempt ${i} after the clock was set right`).to.deep.equal([true, 1]);
      expect(r.after.lastSuccessAt).to.equal(at);
      expect(r.words).to.contain('Billing usage sent');
      const periods = await periodsOf(id);
      expect(periods[periods.length - 1]).to.deep.equal({ from: iso(last), to: iso(at) });
      last = at;
    }
    // Five reports, none overlapping another.
    const all = (await periodsOf(id)).map((p) => [Date.parse(p.from), Date.parse(p.to)] as const);
    expect(all).to.have.length(5);
    for (const [i, a] of all.entries())
      for (const b of all.slice(i + 1))
        expect(a[0] < b[1] && b[0] < a[1], 'two periods overlap').to.equal(false);
  });

  it('an attempt in the very instant the clock is set right bills nothing, and is not "sent"', async () => {
    const site = watched();
    const id = site.config.siteId;
    const t0 = Date.now();
    const clock = testClock(t0);
    const deps = { db, clock, publish: () => {} };
    const words = await bannerOf(site, clock);
    await transmitOnce(deps, site);
    clock.set(t0 + YEAR);
    await transmitOnce(deps, site);
    const received = (await periodsOf(id)).length;
    // A manual "test usage transmission" at the first reading after the clock was set right (a clock that
    // stands still: no time has passed since the last report in this frame).
    clock.set(t0 + MINUTE);
    const before = await words();
    const { result, state } = await transmitOnce(deps, site);
    expect(result.outcome.ok).to.equal(false);
    expect(result.outcome.ok === false && result.outcome.reason.detail).to.contain('nothing new to bill');
    expect((await periodsOf(id)).length).to.equal(received);
    // The last success stays the last report's: the banner says nothing new.
    expect(state.lastSuccessAt).to.equal(t0 + MINUTE);
    expect(await words()).to.equal(before);
    // The scheduled attempt an hour on bills that hour.
    clock.set(t0 + MINUTE + HOUR);
    const next = await transmitOnce(deps, site);
    expect(next.result.outcome.ok).to.equal(true);
    const periods = await periodsOf(id);
    expect(periods).to.have.length(received + 1);
    expect(periods[periods.length - 1]).to.deep.equal({
      from: iso(t0 + MINUTE),
      to: iso(t0 + MINUTE + HOUR),
    });
  });

  it('a clock turned back within the last period keeps the mark: no time is billed twice, none is lost', async () => {
    const site = watched();
    const id = site.config.siteId;
    const t0 = Date.now();
    const clock = testClock(t0);
    const deps = { db, clock, publish: () => {} };
    await transmitOnce(deps, site); // [t0 - 1h, t0)
    // Turned back ten minutes: the reading is inside the period just billed.
    clock.set(t0 - 10 * MINUTE);
    const early = await transmitOnce(deps, site);
    expect(early.result.outcome.ok, 'nothing new to bill yet').to.equal(false);
    expect(await periodEnd(db, id)).to.equal(t0);
    // Once the clock passes the mark, the report starts there: the receiver takes it (no overlap refused).
    clock.set(t0 + 50 * MINUTE);
    const next = await transmitOnce(deps, site);
    expect(next.result.outcome.ok).to.equal(true);
    expect(await periodsOf(id)).to.deep.equal([
      { from: iso(t0 - HOUR), to: iso(t0) },
      { from: iso(t0), to: iso(t0 + 50 * MINUTE) },
    ]);
  });

  it('a period mark in the clock future that no clock step explains is set aside and reported, not believed', async () => {
    const site = watched();
    const id = site.config.siteId;
    const t0 = Date.now();
    const clock = testClock(t0);
    const deps = { db, clock, publish: () => {} };
    await transmitOnce(deps, site);
    // The mark is a year ahead of the site's own latest reading: no clock step of the site explains it.
    await db.put('meta', t0 + YEAR, periodKey(id));
    await db.put('meta', t0 + YEAR - HOUR, periodFromKey(id));
    const reported: Array<{ store: string; key: string }> = [];
    const listener = (e: Event) => reported.push((e as CustomEvent<{ store: string; key: string }>).detail);
    storageEvents.addEventListener('quarantine', listener);
    try {
      clock.set(t0 + HOUR);
      const r = await transmitOnce(deps, site);
      expect(r.result.outcome.ok).to.equal(true);
    } finally {
      storageEvents.removeEventListener('quarantine', listener);
    }
    expect(reported.map((d) => [d.store, d.key])).to.deep.equal([['meta', periodKey(id)]]);
    const aside = (await db.getAll('quarantine')).filter((x) => x.key === periodKey(id));
    expect(aside.map((x) => [x.store, x.value])).to.deep.equal([['meta', t0 + YEAR]]);
    expect(aside[0]?.error).to.contain('later than this clock');
    // Not believed: the next report starts where the receiver's end, which is this site's first report's end.
    expect((await periodsOf(id)).map((p) => p.from)).to.deep.equal([iso(t0 - HOUR), iso(t0)]);
    expect(await periodEnd(db, id)).to.equal(t0 + HOUR);
  });

  it('a period mark that is no time at all is set aside too, once', async () => {
    const site = watched();
    const id = site.config.siteId;
    const t0 = Date.now();
    const clock = testClock(t0);
    const deps = { db, clock, publish: () => {} };
    await transmitOnce(deps, site);
    await db.put('meta', '2026-11-02T09:00:00Z', periodKey(id));
    clock.set(t0 + HOUR);
    expect((await transmitOnce(deps, site)).result.outcome.ok).to.equal(true);
    clock.set(t0 + 2 * HOUR);
    expect((await transmitOnce(deps, site)).result.outcome.ok).to.equal(true);
    const aside = await db.getAll('quarantine');
    expect(aside.filter((x) => x.key === periodKey(id)).map((x) => x.error)).to.deep.equal([
      'not a time (the text "2026-11-02T09:00:00Z")',
    ]);
    expect((await periodsOf(id)).map((p) => p.to)).to.deep.equal([
      iso(t0),
      iso(t0 + HOUR),
      iso(t0 + 2 * HOUR),
    ]);
  });
});
