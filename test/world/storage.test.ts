import { expect } from '@open-wc/testing';
import { DAY, DEFAULT_POLICY, HOUR } from '../../src/core/index.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import {
  appendLog,
  appendLogIn,
  applyEvent,
  LOG_LIMIT,
  readAlertHistory,
  readLog,
  readState,
  storageEvents,
} from '../../src/world/storage/repo.ts';

// The origin remembers the latest time it has seen (a clock turned back never extends grace), so each test
// lives in its own later era of the same database.
let T0 = Date.UTC(2026, 10, 1, 9);
let db: Db;
let n = 0;
const site = () => ({ id: `storage-site-${++n}`, name: `Site ${n}` });
beforeEach(() => {
  T0 += 100 * DAY;
});

before(async () => {
  storageConfig.dbName = `zbb-test-storage-${Math.random().toString(36).slice(2)}`;
  db = await openBillingDb();
});
after(async () => {
  db.close();
  await new Promise((r) => {
    const req = indexedDB.deleteDatabase(storageConfig.dbName);
    req.onsuccess = req.onerror = req.onblocked = r;
  });
});

/** Captures console.error while `fn` runs (the damage report goes there by design). */
async function withConsoleErrors<T>(fn: () => Promise<T>): Promise<{ value: T; errors: string[] }> {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.map(String).join(' '));
  try {
    return { value: await fn(), errors };
  } finally {
    console.error = original;
  }
}

describe('storage: grace state in IndexedDB', () => {
  it('creates every store on first open', () => {
    expect([...db.objectStoreNames].sort()).to.deep.equal([
      'alerts',
      'log',
      'meta',
      'outbox',
      'quarantine',
      'sites',
      'usage',
    ]);
  });

  it('persists the state an event produces and reads it back validated', async () => {
    const s = site();
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    const { after } = await applyEvent(db, s, DEFAULT_POLICY, { type: 'tick' }, T0 + 2 * DAY);
    expect(after.phase).to.equal('warning');
    const read = await readState(db, s, DEFAULT_POLICY, T0 + 2 * DAY);
    expect(read.status).to.equal('ok');
    expect(read.status === 'ok' && read.state).to.deep.equal(after);
  });

  it('reads a site with no stored state as absent, never as ok', async () => {
    const read = await readState(db, site(), DEFAULT_POLICY, T0);
    expect(read.status).to.equal('absent');
    const { after } = await applyEvent(db, site(), DEFAULT_POLICY, { type: 'tick' }, T0);
    expect(after.phase).to.equal('unknown');
  });

  it('keeps every alert in history after it is resolved', async () => {
    const s = site();
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'tick' }, T0 + 20 * DAY);
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'succeeded' }, T0 + 21 * DAY);
    const history = await readAlertHistory(db, s.id);
    expect(history.map((a) => [a.kind, a.resolution])).to.deep.equal([
      ['vra-disconnected', 'usage-sent'],
      ['usage-not-sent', 'superseded'],
    ]);
  });

  it('applies concurrent events from several writers without losing one', async () => {
    const s = site();
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    const fails = Array.from({ length: 20 }, (_, i) =>
      applyEvent(
        db,
        s,
        DEFAULT_POLICY,
        { type: 'failed', reason: { kind: 'timeout', detail: `#${i}` } },
        T0 + i * HOUR,
      ),
    );
    await Promise.all(fails);
    const read = await readState(db, s, DEFAULT_POLICY, T0 + DAY);
    expect(read.status === 'ok' && read.state.lastAttemptAt).to.equal(T0 + 19 * HOUR);
  });
});

describe('storage: damaged records', () => {
  it('quarantines a damaged state, reports it, and keeps its deadline rather than granting new grace', async () => {
    const s = site();
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    const { after } = await applyEvent(db, s, DEFAULT_POLICY, { type: 'tick' }, T0 + 5 * DAY);
    await db.put('sites', { ...after, phase: 'exploded', alerts: 'garbage' }, s.id);

    const seen: unknown[] = [];
    const listener = (e: Event) => seen.push((e as CustomEvent).detail);
    storageEvents.addEventListener('quarantine', listener);
    const { value: read, errors } = await withConsoleErrors(() =>
      readState(db, s, DEFAULT_POLICY, T0 + 5 * DAY),
    );
    storageEvents.removeEventListener('quarantine', listener);

    expect(read.status).to.equal('damaged');
    if (read.status !== 'damaged') return;
    expect(read.error).to.contain('state.phase');
    expect(read.state.phase).to.equal('warning');
    expect(read.state.deadline).to.equal(after.deadline);
    expect(seen).to.deep.equal([{ store: 'sites', key: s.id, error: read.error }]);
    expect(errors.join('\n')).to.contain(`damaged sites record "${s.id}"`);
    const quarantined = await db.getAll('quarantine');
    const mine = quarantined.find((q) => q.key === s.id);
    expect(mine?.value).to.include({ phase: 'exploded' });
    // The salvaged state replaced the damaged one: the next read is clean.
    expect((await readState(db, s, DEFAULT_POLICY, T0 + 5 * DAY)).status).to.equal('ok');
  });

  it('falls back to unknown, not ok, when nothing in a damaged record can be read', async () => {
    const s = site();
    await db.put('sites', 'not a state at all', s.id);
    const { value: read } = await withConsoleErrors(() => readState(db, s, DEFAULT_POLICY, T0));
    expect(read.status).to.equal('damaged');
    expect(read.status === 'damaged' && read.state.phase).to.equal('unknown');
  });

  it('skips and reports a damaged alert record without hiding the good ones', async () => {
    const s = site();
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'succeeded' }, T0);
    await applyEvent(db, s, DEFAULT_POLICY, { type: 'tick' }, T0 + 2 * DAY);
    await db.put('alerts', { id: 'bad', site: { id: s.id }, turnedOn: 'never' }, 'bad');
    const { value: history, errors } = await withConsoleErrors(() => readAlertHistory(db, s.id));
    expect(history).to.have.length(1);
    expect(errors.join()).to.contain('damaged alerts record "bad"');
  });
});

describe('storage: the clock and the transmission log', () => {
  it("starts a new site at its own reading: one site's clock a year ahead does not silence another", async () => {
    const a = site();
    await applyEvent(db, a, DEFAULT_POLICY, { type: 'tick' }, T0 + 365 * DAY);
    const b = site();
    const { after } = await applyEvent(db, b, DEFAULT_POLICY, { type: 'tick' }, T0);
    expect(after.trackingSince).to.equal(T0);
    const later = await applyEvent(db, b, DEFAULT_POLICY, { type: 'tick' }, T0 + DEFAULT_POLICY.alertAfter);
    expect(later.after.phase).to.equal('warning');
  });

  it('stores nothing of an attempt whose log line is refused at commit, and throws the reason', async () => {
    // The state, alert and log writes are queued together in one transaction: a request failing after it was
    // queued (a log line whose key is taken) must take the whole attempt with it, and its reason is thrown.
    const a = site();
    await applyEvent(db, a, DEFAULT_POLICY, { type: 'tick' }, T0);
    await appendLog(db, { siteId: a.id, at: T0, ok: true, kind: null, reportId: null });
    const [line] = await readLog(db, a.id);
    const failed = await applyEvent(db, a, DEFAULT_POLICY, { type: 'succeeded' }, T0 + HOUR, {
      stores: ['log'],
      write: (tx) => appendLogIn(tx, { ...line!, at: T0 + HOUR }),
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failed).to.be.instanceOf(DOMException);
    expect((failed as DOMException).name).to.equal('ConstraintError');
    const stored = await readState(db, a, DEFAULT_POLICY, T0 + HOUR);
    expect(stored.status === 'ok' ? stored.state.latestSeen : null).to.equal(T0);
    expect(stored.status === 'ok' ? stored.state.lastSuccessAt : 'absent').to.equal(null);
    expect(await readLog(db, a.id)).to.have.length(1);
  });

  it(`keeps the last ${LOG_LIMIT} transmission results per site`, async () => {
    const a = site();
    const b = site();
    await appendLog(db, { siteId: b.id, at: T0, ok: true, kind: null, reportId: null });
    for (let i = 0; i < LOG_LIMIT + 10; i++) {
      await appendLog(db, {
        siteId: a.id,
        at: T0 + i,
        ok: i % 2 === 0,
        kind: i % 2 ? 'timeout' : null,
        reportId: null,
      });
    }
    const log = await readLog(db, a.id);
    expect(log).to.have.length(LOG_LIMIT);
    expect(log[0]?.at).to.equal(T0 + 10);
    expect(await readLog(db, b.id)).to.have.length(1);
  });
});
