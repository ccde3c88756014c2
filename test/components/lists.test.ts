// The alerts and sites lists over real IndexedDB: a read that fails says so (never an unmeasured all-clear),
// Retry reads again, and a success heard from the poller resolves the alerts every list shows.
import { expect, fixture, html } from '@open-wc/testing';
import { LitElement } from 'lit';
import { DAY, DEFAULT_POLICY, type GraceState } from '../../src/core/index.ts';
import type { ZertoBillingAlerts, ZertoBillingSites } from '../../components/index.ts';
import { StoredListController } from '../../components/shared/stored-list-controller.ts';
import { CHANNEL_NAME, publishState } from '../../src/world/poller/channel.ts';
import { DB_VERSION, openBillingDb, storageConfig } from '../../src/world/storage/db.ts';
import { applyEvent } from '../../src/world/storage/repo.ts';
import { part, seedWarning, T0, testClock, uniqueSite, useOwnDb, visibleText } from './harness.ts';

useOwnDb('zbb-test-lists');

type ListElement = (ZertoBillingAlerts | ZertoBillingSites) & { updateComplete: Promise<boolean> };

/** Waits (2 s at most) until `done` holds after an update of `el`. */
async function until(el: ListElement, done: () => boolean, what: string): Promise<void> {
  const end = performance.now() + 2000;
  for (;;) {
    await el.updateComplete;
    if (done()) return;
    if (performance.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });

/** The database this test's elements use, created at the current version but without any object store. */
async function createWithoutStores(name: string): Promise<void> {
  const db = await request(indexedDB.open(name, DB_VERSION));
  db.close();
}

/** The database this test's elements use, upgraded by a newer copy of the product (an embedded other copy). */
async function createNewerVersion(name: string): Promise<void> {
  const db = await request(indexedDB.open(name, DB_VERSION + 1));
  db.close();
}

/** The cause goes away: the database is deleted (the elements' open connection gives way to the deletion). */
const deleteDb = (name: string) => request(indexedDB.deleteDatabase(name));

const activeRows = (el: ListElement) =>
  [...el.shadowRoot!.querySelectorAll('[part~="row"]')].filter((r) => r.textContent!.includes('Active'));

describe('<zerto-billing-alerts> when the history cannot be read', () => {
  it('says the alerts could not be read and why, with Retry, and never "No billing alerts."', async () => {
    const name = storageConfig.dbName;
    await createWithoutStores(name); // the read fails for real: the database has no alerts store
    const el = await fixture<ZertoBillingAlerts>(html`<zerto-billing-alerts></zerto-billing-alerts>`);
    await until(el, () => el.status !== 'loading', 'the read answered');

    expect(el.status).to.equal('failed');
    const failure = part(el, 'failure')!;
    expect(failure.getAttribute('role')).to.equal('alert');
    expect(failure.textContent).to.contain('The billing alerts could not be read');
    // The browser's own words for the missing store: Chromium's, then Firefox's.
    expect(part(el, 'failure-reason')!.textContent).to.match(
      /object stores? was not found|is not a known object store name/i,
    );
    expect(part(el, 'empty')).to.equal(null);
    expect(visibleText(el)).not.to.contain('No billing alerts');
    expect(el.alerts).to.deep.equal([]);
    expect((part(el, 'retry-button') as HTMLButtonElement).textContent!.trim()).to.equal('Retry');
  });

  it('shows the alerts once Retry is pressed after the cause is gone, and nothing but "reading" meanwhile', async () => {
    const name = storageConfig.dbName;
    await createWithoutStores(name);
    const el = await fixture<ZertoBillingAlerts>(html`<zerto-billing-alerts></zerto-billing-alerts>`);
    await until(el, () => el.status === 'failed', 'the read failed');

    await deleteDb(name);
    const site = uniqueSite('Porto DR');
    await seedWarning(site, T0, T0 + DAY); // opens the database afresh, with its stores, and a warning in it

    (part(el, 'retry-button') as HTMLButtonElement).click();
    await el.updateComplete;
    expect(el.status).to.equal('loading');
    expect(part(el, 'loading')?.textContent).to.contain('Reading the billing alerts');
    expect(part(el, 'failure')).to.equal(null);
    expect(part(el, 'empty')).to.equal(null);

    await until(el, () => el.status === 'ready', 'the retry answered');
    expect(part(el, 'failure')).to.equal(null);
    expect(activeRows(el)).to.have.length(1);
    expect(activeRows(el)[0]!.textContent).to.contain('Porto DR');
    expect(el.alerts.map((a) => [a.Level, a.ResolvedOn])).to.deep.equal([['Warning', null]]);
  });

  it('says "No billing alerts." only after a read that found none', async () => {
    const el = await fixture<ZertoBillingAlerts>(html`<zerto-billing-alerts></zerto-billing-alerts>`);
    if (el.status === 'loading') expect(part(el, 'empty')).to.equal(null);
    await until(el, () => el.status === 'ready', 'the read answered');
    expect(part(el, 'empty')?.textContent).to.equal('No billing alerts.');
    expect(part(el, 'failure')).to.equal(null);
  });
});

describe('<zerto-billing-sites> when the stored sites cannot be read', () => {
  it('says the sites could not be read and why, and Retry shows them once the cause is gone', async () => {
    const name = storageConfig.dbName;
    await createNewerVersion(name); // the read fails for real: a newer copy upgraded the database
    const now = T0 + 3 * DAY;
    const el = await fixture<ZertoBillingSites>(
      html`<zerto-billing-sites .clock=${testClock(now)}></zerto-billing-sites>`,
    );
    await until(el, () => el.status !== 'loading', 'the read answered');

    expect(el.status).to.equal('failed');
    const failure = part(el, 'failure')!;
    expect(failure.getAttribute('role')).to.equal('alert');
    expect(failure.textContent).to.contain('The watched sites could not be read');
    expect(part(el, 'failure-reason')!.textContent).to.match(/version/i);
    expect(visibleText(el)).not.to.contain('No sites are watched yet');
    expect(el.rows).to.have.length(0);

    await deleteDb(name);
    const site = uniqueSite('Stored after the retry');
    await seedWarning(site, T0, now);
    (part(el, 'retry-button') as HTMLButtonElement).click();
    await el.updateComplete;
    expect(part(el, 'loading')?.textContent).to.contain('Reading the watched sites');
    expect(visibleText(el)).not.to.contain('No sites are watched yet');

    await until(el, () => el.status === 'ready', 'the retry answered');
    expect(part(el, 'failure')).to.equal(null);
    expect(part(el, 'row')?.textContent).to.contain('Stored after the retry');
    expect(part(el, 'row')?.textContent).to.contain('12 days');
  });

  it('says "No sites are watched yet." only after a read that found none', async () => {
    const el = await fixture<ZertoBillingSites>(html`<zerto-billing-sites></zerto-billing-sites>`);
    if (el.status === 'loading') expect(part(el, 'empty')).to.equal(null);
    await until(el, () => el.status === 'ready', 'the read answered');
    expect(part(el, 'empty')?.textContent).to.equal('No sites are watched yet.');
  });
});

describe('a success resolves every active alert in every list', () => {
  /** Stores a site whose usage stopped getting through until the VRAs were disconnected, as the poller does. */
  async function outage(site: { id: string; name: string }): Promise<GraceState> {
    const db = await openBillingDb();
    await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    const failures = [T0 + 2 * DAY, T0 + 20 * DAY];
    let state: GraceState | null = null;
    for (const at of failures) {
      ({ after: state } = await applyEvent(
        db,
        site,
        DEFAULT_POLICY,
        { type: 'failed', reason: { kind: 'network' } },
        at,
      ));
      publishState(state);
    }
    return state!;
  }

  async function mountBoth(site: { id: string }): Promise<ZertoBillingAlerts[]> {
    const one = await fixture<ZertoBillingAlerts>(
      html`<zerto-billing-alerts site-id=${site.id}></zerto-billing-alerts>`,
    );
    const all = await fixture<ZertoBillingAlerts>(html`<zerto-billing-alerts></zerto-billing-alerts>`);
    for (const el of [one, all]) {
      await until(el, () => el.status === 'ready' && activeRows(el).length > 0, 'the outage is listed');
      expect(el.alerts.filter((a) => a.ResolvedOn === null).map((a) => a.Level)).to.include('Error');
    }
    return [one, all];
  }

  it('lists neither the warning nor the disconnection as active once usage is sent (in-page poller)', async () => {
    const site = uniqueSite('Madrid DR');
    await outage(site);
    const lists = await mountBoth(site);
    const counted = lists.map((el) => el.alerts.length);

    const db = await openBillingDb();
    const { after } = await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, T0 + 21 * DAY);
    publishState(after); // as transmitOnce does after every attempt

    for (const [i, el] of lists.entries()) {
      await until(el, () => activeRows(el).length === 0, 'no alert is active');
      expect(el.alerts).to.have.length(counted[i]!);
      expect(el.alerts.every((a) => a.ResolvedOn !== null)).to.equal(true);
      expect(visibleText(el)).not.to.contain('Active');
    }
  });

  it('lists no active alert once the shared worker reports usage sent over the channel', async () => {
    const site = uniqueSite('Seville DR');
    await outage(site);
    const lists = await mountBoth(site);

    const db = await openBillingDb();
    const { after } = await applyEvent(db, site, DEFAULT_POLICY, { type: 'succeeded' }, T0 + 21 * DAY);
    // Another context of the origin (the shared worker) publishes on its own channel object.
    const worker = new BroadcastChannel(CHANNEL_NAME);
    worker.postMessage({ type: 'state', state: after });
    worker.close();

    for (const el of lists) {
      await until(el, () => activeRows(el).length === 0, 'no alert is active');
      expect(el.alerts.every((a) => a.ResolvedOn !== null)).to.equal(true);
    }
  });
});

// The controller on its own, with an injected read: how many reads a burst of changes costs, and in what order
// their answers are applied.
class ListProbe extends LitElement {
  reads: Array<{ resolve: (v: number) => void; reject: (e: unknown) => void }> = [];
  notify: () => void = () => {};
  readonly list = new StoredListController<number>(this, {
    name: 'list-probe',
    read: () => new Promise<number>((resolve, reject) => this.reads.push({ resolve, reject })),
    subscribe: (changed) => {
      this.notify = changed;
      return () => (this.notify = () => {});
    },
  });
}
customElements.define('zbb-list-probe', ListProbe);

/** A list whose changes can name the items that changed, read again alone (`readSome`). */
class KeyedListProbe extends LitElement {
  reads: Array<{ keys: string[] | 'all'; resolve: (v: Record<string, number>) => void }> = [];
  notify: (keys?: readonly string[]) => void = () => {};
  readonly list = new StoredListController<Record<string, number>>(this, {
    name: 'keyed-list-probe',
    read: () => new Promise((resolve) => this.reads.push({ keys: 'all', resolve })),
    readSome: (keys, current) =>
      new Promise((resolve) =>
        this.reads.push({
          keys: [...keys].sort(),
          resolve: (v) => resolve({ ...current, ...v }),
        }),
      ),
    subscribe: (changed) => {
      this.notify = changed;
      return () => (this.notify = () => {});
    },
  });
}
customElements.define('zbb-keyed-list-probe', KeyedListProbe);

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('StoredListController', () => {
  it('reads once for a burst of changes, and once more for a change heard during a read', async () => {
    const el = await fixture<ListProbe>(html`<zbb-list-probe></zbb-list-probe>`);
    await tick();
    expect(el.reads).to.have.length(1);
    el.reads[0]!.resolve(1);
    await tick();
    expect([el.list.status, el.list.value]).to.deep.equal(['ready', 1]);

    for (let i = 0; i < 5; i++) el.notify();
    await tick();
    expect(el.reads).to.have.length(2);
    for (let i = 0; i < 5; i++) el.notify(); // heard while read 2 runs: it may predate these changes
    await tick();
    expect(el.reads).to.have.length(2);
    el.reads[1]!.resolve(2);
    await tick();
    expect(el.reads).to.have.length(3);
    el.reads[2]!.resolve(3);
    await tick();
    expect([el.list.status, el.list.value]).to.deep.equal(['ready', 3]);
  });

  it('reads again only the items a change names, merging names heard meanwhile, and everything when one does not say', async () => {
    const el = await fixture<KeyedListProbe>(html`<zbb-keyed-list-probe></zbb-keyed-list-probe>`);
    await tick();
    expect(el.reads.map((r) => r.keys)).to.deep.equal(['all']);
    el.reads[0]!.resolve({ a: 1, b: 1, c: 1 });
    await tick();

    el.notify(['a']);
    await tick();
    expect(el.reads[1]!.keys).to.deep.equal(['a']);
    el.notify(['c']); // heard while that read runs: one read follows, for what was named meanwhile
    el.notify(['b', 'c']);
    await tick();
    el.reads[1]!.resolve({ a: 2 });
    await tick();
    expect(el.reads[2]!.keys).to.deep.equal(['b', 'c']);
    expect(el.list.value).to.deep.equal({ a: 2, b: 1, c: 1 });
    el.notify(['a']); // named, then a change that names nothing: everything is read
    el.notify();
    el.reads[2]!.resolve({ b: 3, c: 3 });
    await tick();
    expect(el.reads.map((r) => r.keys)).to.deep.equal(['all', ['a'], ['b', 'c'], 'all']);
    el.reads[3]!.resolve({ a: 4, b: 4, c: 4 });
    await tick();
    expect([el.list.status, el.list.value]).to.deep.equal(['ready', { a: 4, b: 4, c: 4 }]);
  });

  it('fails with the reason, and retry() forgets a read begun before it', async () => {
    const el = await fixture<ListProbe>(html`<zbb-list-probe></zbb-list-probe>`);
    await tick();
    el.reads[0]!.reject(new DOMException('The database connection is closing.', 'InvalidStateError'));
    await tick();
    expect([el.list.status, el.list.error, el.list.value]).to.deep.equal([
      'failed',
      'The database connection is closing.',
      undefined,
    ]);

    el.notify();
    await tick();
    expect(el.reads).to.have.length(2);
    const retried = el.list.retry();
    expect(el.list.status).to.equal('loading');
    el.reads[1]!.resolve(-1); // answers for before the retry: not applied
    await tick();
    expect(el.list.status).to.equal('loading');
    expect(el.reads).to.have.length(3);
    el.reads[2]!.resolve(7);
    await retried;
    expect([el.list.status, el.list.value, el.list.error]).to.deep.equal(['ready', 7, null]);
  });
});
