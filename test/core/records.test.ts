// Every stored record that could buy grace (a later deadline, an alert silenced, a countdown restarted) is
// named here in the product's words and shown refused by both validators (`parseGraceState`: zod and the
// coherence rules; `isGraceState`: the page's predicate), or salvaged to a state that buys no grace: its
// deadline no later than the earliest one the record can prove, its phase right at the time of the salvage.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import {
  createState,
  DAY,
  DEFAULT_POLICY,
  FAILURE_KINDS,
  graceMs,
  HOUR,
  isGraceState,
  parseGraceState,
  parsePolicy,
  parseWith,
  PolicySchema,
  reduce,
  settle,
  type GraceEvent,
  type GraceState,
  type Policy,
  type Site,
} from '../../src/core/index.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import {
  applyEvent,
  salvageState,
  storageEvents,
  type QuarantineDetail,
} from '../../src/world/storage/repo.ts';
import { fail, fresh, ok, run, site, T0, tick } from './helpers.ts';

const ALERT = DEFAULT_POLICY.alertAfter;
const GRACE = graceMs(DEFAULT_POLICY);
const YEAR = 365.25 * DAY;

/** A stored record, as anything read from IndexedDB is: plain data of unknown shape. */
type Rec = Record<string, unknown>;
const damage = (s: GraceState, patch: Rec): Rec => ({ ...structuredClone(s), ...patch });

/** Never succeeded since T0, one failure an hour later: no alert yet (the countdown runs from T0). */
const unknownState = () => run(fresh(), [[fail, T0 + HOUR]]);
/** A success at T0, then an hour later: ok. */
const okState = () =>
  run(fresh(), [
    [ok, T0],
    [tick, T0 + HOUR],
  ]);
/** A success at T0, then a failure when alertAfter passed: the warning, first alert T0 + 24 h, 15 days on. */
const warningState = (policy: Policy = DEFAULT_POLICY) =>
  run(fresh(policy), [
    [ok, T0],
    [fail, T0 + ALERT],
  ]);
/** The same, 20 days later: past the deadline, disconnected. */
const disconnectedState = () =>
  run(fresh(), [
    [ok, T0],
    [fail, T0 + ALERT],
    [tick, T0 + 20 * DAY],
  ]);

/** Refused by both validators, the message naming the field. */
function expectRefused(x: unknown, field: string): string {
  const parsed = parseGraceState(x);
  expect(parsed.ok, 'parseGraceState accepted it').to.equal(false);
  const error = parsed.ok ? '' : parsed.error;
  expect(error).to.contain(`state.${field}`);
  expect(isGraceState(x), 'isGraceState accepted it').to.equal(false);
  return error;
}

/**
 * The record salvaged at `now` buys no grace: a valid state; the alert on if the record proves it due by
 * `now` (proved first alert at or before now); the deadline (once the proved alert is due) no later than the
 * proved one; and the phase right at `now` for the deadline it keeps.
 */
function expectSalvaged(
  x: unknown,
  now: number,
  proved: { firstAlertAt: number; deadline: number },
  policy: Policy = DEFAULT_POLICY,
  who: Site = site,
): GraceState {
  const s = salvageState(x, who, policy, now);
  const parsed = parseGraceState(s);
  expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
  expect(isGraceState(s)).to.equal(true);
  expect(s.latestSeen).to.equal(now);
  if (proved.firstAlertAt <= now) {
    expect(s.phase, 'the alert the record proves due is on').to.be.oneOf(['warning', 'disconnected']);
  }
  // When the proved alert is due (now or later), the salvaged state's deadline is no later than the proof.
  const due = settle(s, Math.max(now, proved.firstAlertAt));
  expect(due.deadline, 'a deadline once the proved alert is due').to.not.equal(null);
  expect(due.deadline!, 'salvaged deadline').to.be.at.most(proved.deadline);
  // The phase at `now` for the deadline it keeps.
  if (s.deadline === null) {
    expect(s.phase).to.be.oneOf(['unknown', 'ok']);
  } else {
    expect(s.phase).to.equal(now >= s.deadline ? 'disconnected' : 'warning');
    if (s.phase === 'disconnected') expect(s.disconnectedAt).to.equal(s.deadline);
  }
  return s;
}

/** The proof a record with a readable first alert gives: that alert, and the policy's grace from it. */
const fromFirstAlert = (firstAlertAt: number, policy: Policy = DEFAULT_POLICY) => ({
  firstAlertAt,
  deadline: firstAlertAt + graceMs(policy),
});

describe('records that could buy grace: refused, or salvaged to a state that buys none', () => {
  it('1. a warning whose deadline is 100 years after its first alert is refused; salvage keeps firstAlertAt + 15 days', () => {
    const w = warningState();
    const first = w.firstAlertAt!;
    // The deadline alone moved (the recorded grace still 15 days)...
    const moved = damage(w, { deadline: first + 100 * YEAR });
    expectRefused(moved, 'deadline');
    // ...or with a grace recorded to match it.
    const forged = damage(w, { deadline: first + 100 * YEAR, graceMs: 100 * YEAR });
    expectRefused(forged, 'graceMs');
    for (const x of [moved, forged]) {
      for (const now of [w.latestSeen, first + 10 * DAY, first + 15 * DAY, first + 30 * DAY]) {
        const s = expectSalvaged(x, now, fromFirstAlert(first));
        expect(s.deadline).to.equal(first + 15 * DAY);
      }
    }
  });

  it('2. a 366-day grace (deadline and graceMs both 366 days on) is refused: beyond the 365-day limit', () => {
    const policy: Policy = { ...DEFAULT_POLICY, graceDays: 365 };
    const w = warningState(policy);
    const first = w.firstAlertAt!;
    expect(w.deadline).to.equal(first + 365 * DAY);
    const x = damage(w, { deadline: first + 366 * DAY, graceMs: 366 * DAY });
    expectRefused(x, 'graceMs');
    const s = expectSalvaged(x, w.latestSeen, fromFirstAlert(first, policy), policy);
    expect(s.deadline).to.equal(first + 365 * DAY);
    // Salvaged under the default policy, the proof is 15 days.
    expectSalvaged(x, w.latestSeen, fromFirstAlert(first));
  });

  it('3. a deadline that is not firstAlertAt + the recorded grace is refused', () => {
    const w = warningState();
    const first = w.firstAlertAt!;
    const records = [
      damage(w, { deadline: first + 20 * DAY }), // graceMs still 15 days
      damage(w, { graceMs: 20 * DAY }), // deadline still 15 days on
      damage(w, { deadline: first + 15 * DAY + 2 }), // off by more than the 1 ms of rounding allowed
    ];
    for (const x of records) {
      expectRefused(x, 'deadline');
      expectSalvaged(x, w.latestSeen, fromFirstAlert(first));
      expectSalvaged(x, first + 16 * DAY, fromFirstAlert(first));
    }
  });

  it('4. a last success dated after the latest clock reading is refused; the countdown runs from what is proved', () => {
    const o = okState();
    const x = damage(o, { lastSuccessAt: o.latestSeen + YEAR });
    expectRefused(x, 'lastSuccessAt');
    // The success cannot be believed: the alert clock runs at the latest from the record's own success
    // (T0), which is also when tracking began.
    const proved = { firstAlertAt: T0 + ALERT, deadline: T0 + ALERT + GRACE };
    expectSalvaged(x, o.latestSeen, proved);
    const s = expectSalvaged(x, T0 + 2 * DAY, proved);
    expect(s.phase).to.equal('warning');
    expectSalvaged(x, T0 + 30 * DAY, proved);
  });

  it('5. a tracking start dated after the latest clock reading is refused and restarts no countdown', () => {
    // In a warning, the first alert proves the deadline.
    const w = warningState();
    const xw = damage(w, { trackingSince: w.latestSeen + YEAR });
    expectRefused(xw, 'trackingSince');
    expectSalvaged(xw, w.latestSeen + DAY, fromFirstAlert(w.firstAlertAt!));

    // Never succeeded: the alert clock runs from the tracking start, which a coherent record never dates
    // after its latest reading; so the record proves the alert due by latestSeen + alertAfter at the latest.
    const u = unknownState();
    const xu = damage(u, { trackingSince: u.latestSeen + YEAR });
    expectRefused(xu, 'trackingSince');
    const proved = { firstAlertAt: u.latestSeen + ALERT, deadline: u.latestSeen + ALERT + GRACE };
    expectSalvaged(xu, u.latestSeen, proved);
    // Read back two days later (a tab reopened): the alert is due, it must be on.
    const s = expectSalvaged(xu, u.latestSeen + 2 * DAY, proved);
    expect(s.phase).to.equal('warning');
  });

  it('6. an alert turned on (or resolved) after the latest clock reading is refused', () => {
    const w = warningState();
    const alerts = w.alerts.map((a) => ({ ...a, turnedOn: w.latestSeen + YEAR }));
    const x = damage(w, { alerts });
    expectRefused(x, 'alerts');
    expectSalvaged(x, w.latestSeen, fromFirstAlert(w.firstAlertAt!));

    const d = disconnectedState();
    const resolved = d.alerts.map((a) =>
      a.resolvedAt === null ? a : { ...a, resolvedAt: d.latestSeen + 1 },
    );
    const y = damage(d, { alerts: resolved });
    expectRefused(y, 'alerts');
    expectSalvaged(y, d.latestSeen, fromFirstAlert(d.firstAlertAt!));
  });

  it('7. phase ok with an active (unresolved) alert is refused; salvage keeps the alert and its deadline', () => {
    const w = warningState();
    const first = w.firstAlertAt!;
    // Only the phase turned to ok: the alert's dates remain.
    const flipped = damage(w, { phase: 'ok' });
    expectRefused(flipped, 'phase');
    const s = expectSalvaged(flipped, w.latestSeen, fromFirstAlert(first));
    expect(s.phase).to.equal('warning');
    // The alert's dates cleared as well: only the active alert in the list is left of it.
    const cleared = damage(w, {
      phase: 'ok',
      firstAlertAt: null,
      deadline: null,
      graceMs: null,
      alertSource: null,
    });
    expectRefused(cleared, 'alerts');
    const [active] = w.alerts.filter((a) => a.resolvedAt === null);
    expectSalvaged(cleared, w.latestSeen, fromFirstAlert(active!.turnedOn));
    expectSalvaged(cleared, first + 20 * DAY, fromFirstAlert(active!.turnedOn));
  });

  it('8. phase warning with no active usage alert is refused', () => {
    const w = warningState();
    const resolved = w.alerts.map((a) => ({ ...a, resolvedAt: w.latestSeen, resolution: 'usage-sent' }));
    for (const x of [damage(w, { alerts: resolved }), damage(w, { alerts: [] })]) {
      expectRefused(x, 'alerts');
      const s = expectSalvaged(x, w.latestSeen, fromFirstAlert(w.firstAlertAt!));
      expect(s.alerts.filter((a) => a.resolvedAt === null).map((a) => a.kind)).to.deep.equal([
        'usage-not-sent',
      ]);
    }
  });

  it('9. phase disconnected without disconnectedAt is refused; salvage stays disconnected at the deadline', () => {
    const d = disconnectedState();
    expect(d.phase).to.equal('disconnected');
    const x = damage(d, { disconnectedAt: null });
    expectRefused(x, 'disconnectedAt');
    const s = expectSalvaged(x, d.latestSeen, fromFirstAlert(d.firstAlertAt!));
    expect(s.phase).to.equal('disconnected');
    expect(s.disconnectedAt).to.equal(d.deadline);
  });

  it('10. times outside the JavaScript Date range are refused by both, and the engine ignores such a reading', () => {
    const w = warningState();
    const first = w.firstAlertAt!;
    const records: Array<[string, Rec]> = [
      ['deadline', damage(w, { deadline: 9e15 })],
      ['latestSeen', damage(w, { latestSeen: -9e15 })],
      ['latestSeen', damage(w, { latestSeen: 9e15 })],
      ['firstAlertAt', damage(w, { firstAlertAt: -9e15 })],
      ['graceMs', damage(w, { graceMs: 9e15 })],
    ];
    for (const [field, x] of records) {
      expectRefused(x, field);
      expectSalvaged(x, w.latestSeen, fromFirstAlert(first));
    }
    // The engine: a clock reading outside the range (or no time at all) changes nothing.
    for (const s of [fresh(), okState(), w, disconnectedState()]) {
      for (const reading of [9e15, -9e15, Number.NaN, Infinity, -Infinity]) {
        expect(reduce(s, { type: 'tick' }, reading), `tick at ${reading}`).to.deep.equal(s);
      }
    }
  });

  it('11. a policy whose interval is not below alertAfter is refused by parsePolicy, PolicySchema and in a stored state', () => {
    for (const bad of [
      { interval: DAY, alertAfter: DAY, graceDays: 15 },
      { interval: 2 * DAY, alertAfter: DAY, graceDays: 15 },
    ]) {
      const p = parsePolicy(bad);
      expect(p.ok).to.equal(false);
      if (!p.ok) expect(p.error).to.contain('policy.interval');
      const z = parseWith(PolicySchema, 'policy', bad);
      expect(z.ok).to.equal(false);
      if (!z.ok) expect(z.error).to.contain('policy.interval');
      const w = warningState();
      const x = damage(w, { policy: bad });
      expectRefused(x, 'policy.interval');
      // Salvaged under the site's configured (valid) policy.
      const s = expectSalvaged(x, w.latestSeen, fromFirstAlert(w.firstAlertAt!));
      expect(s.policy).to.deep.equal(DEFAULT_POLICY);
    }
  });

  it('12. names are counted in code points by both: 200 emoji (400 UTF-16 units) accepted, 201 refused', () => {
    const named = (name: string) =>
      run(createState({ id: 'site-a', name }, DEFAULT_POLICY, T0), [
        [ok, T0],
        [fail, T0 + ALERT],
      ]);
    const n200 = named('😀'.repeat(200));
    expect(n200.site.name.length).to.equal(400);
    expect(n200.alerts).to.have.length(1);
    const parsed = parseGraceState(n200);
    expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
    expect(isGraceState(n200)).to.equal(true);

    const n201 = named('😀'.repeat(201));
    expectRefused(n201, 'site.name');
    // A site's name alone at 201 (its alerts' copies still 200), and its id.
    expectRefused(damage(n200, { site: { ...n200.site, name: '😀'.repeat(201) } }), 'site.name');
    expectRefused(damage(n200, { site: { ...n200.site, id: '😀'.repeat(201) } }), 'site.id');
    const id200 = damage(n200, { site: { ...n200.site, id: '😀'.repeat(200) } });
    expect(parseGraceState(id200).ok).to.equal(true);
    expect(isGraceState(id200)).to.equal(true);
  });
});

describe('records the property below finds salvaged to a later deadline', () => {
  it('15. a first alert moved past its own deadline (a disconnected site) is not salvaged back into a warning', () => {
    const d = disconnectedState();
    const deadline = d.deadline!;
    expect(deadline).to.equal(T0 + ALERT + GRACE);
    const x = damage(d, { firstAlertAt: deadline + 2 * DAY }); // still before latestSeen (T0 + 20 days)
    expectRefused(x, 'deadline');
    // The record still holds its deadline and its disconnection: nothing later can be proved.
    const s = expectSalvaged(x, d.latestSeen, { firstAlertAt: d.firstAlertAt!, deadline });
    expect(s.phase).to.equal('disconnected');
  });

  it('16. a deadline moved forward after the grace was lengthened keeps the grace recorded with the alert', () => {
    const short: Policy = { ...DEFAULT_POLICY, graceDays: 3 };
    const w = run(fresh(short), [
      [ok, T0],
      [fail, T0 + ALERT],
      // The policy changes: the deadline already fixed (3 days on) stays where it is.
      [{ type: 'configure', policy: DEFAULT_POLICY }, T0 + ALERT + HOUR],
    ]);
    const first = w.firstAlertAt!;
    expect(w.deadline).to.equal(first + 3 * DAY);
    expect(w.policy).to.deep.equal(DEFAULT_POLICY);
    const x = damage(w, { deadline: first + 10 * DAY });
    expectRefused(x, 'deadline');
    const proved = { firstAlertAt: first, deadline: first + 3 * DAY };
    expectSalvaged(x, w.latestSeen, proved);
    // Five days on, the site the record describes is disconnected.
    const s = expectSalvaged(x, first + 5 * DAY, proved);
    expect(s.phase).to.equal('disconnected');
  });

  it('17. a first alert moved to within an hour of its deadline is not given a later deadline', () => {
    const w = run(warningState(), [[tick, T0 + ALERT + GRACE - 10 * 60_000]]);
    const deadline = w.deadline!;
    const x = damage(w, { firstAlertAt: deadline - 30 * 60_000 });
    expectRefused(x, 'deadline');
    expectSalvaged(x, w.latestSeen, { firstAlertAt: w.firstAlertAt!, deadline });
  });
});

describe('records in IndexedDB: carried over or quarantined, never granting grace', () => {
  let db: Db;
  let n = 0;
  const dbSite = () => ({ id: `records-site-${++n}`, name: `Records ${n}` });

  before(async () => {
    storageConfig.dbName = `zbb-test-records-${Math.random().toString(36).slice(2)}`;
    db = await openBillingDb();
  });
  after(async () => {
    db.close();
    await new Promise((r) => {
      const req = indexedDB.deleteDatabase(storageConfig.dbName);
      req.onsuccess = req.onerror = req.onblocked = r;
    });
  });

  /** Applies a tick at `now`, counting quarantine reports (their console line silenced). */
  async function tickCounting(who: Site, now: number) {
    const seen: QuarantineDetail[] = [];
    const listener = (e: Event) => seen.push((e as CustomEvent<QuarantineDetail>).detail);
    const original = console.error;
    console.error = () => {};
    storageEvents.addEventListener('quarantine', listener);
    try {
      const result = await applyEvent(db, who, DEFAULT_POLICY, { type: 'tick' }, now);
      return { ...result, seen };
    } finally {
      storageEvents.removeEventListener('quarantine', listener);
      console.error = original;
    }
  }

  /** A warning of `who`, first alert at T0 + 24 h. */
  const warningOf = (who: Site) =>
    run(createState(who, DEFAULT_POLICY, T0), [
      [ok, T0],
      [fail, T0 + ALERT],
    ]);

  it('13. a record of the previous version (v: 1) is refused by both, and carried over without a quarantine report', async () => {
    const who = dbSite();
    const w = warningOf(who);
    const first = w.firstAlertAt!;
    // Version 1's shape: no recorded grace, no disconnectedAt, no policySince, no ZVM word, `rollbacks`.
    const v1: Rec = {
      v: 1,
      site: w.site,
      policy: w.policy,
      phase: w.phase,
      trackingSince: w.trackingSince,
      latestSeen: w.latestSeen,
      lastSuccessAt: w.lastSuccessAt,
      lastAttemptAt: w.lastAttemptAt,
      lastFailure: w.lastFailure,
      firstAlertAt: first,
      deadline: w.deadline,
      alertSource: w.alertSource,
      recoveredAt: null,
      rollbacks: { count: 0, last: null },
      alerts: w.alerts,
    };
    expectRefused(v1, 'v');
    expectRefused({ ...structuredClone(w), v: 1 }, 'v');

    await db.put('sites', v1, who.id);
    const now = w.latestSeen + 3 * DAY;
    const { before, after, seen } = await tickCounting(who, now);
    expect(before).to.equal(null);
    expect(seen, 'no quarantine report for an older record').to.deep.equal([]);
    const quarantined = (await db.getAll('quarantine')).filter((q) => q.key === who.id);
    expect(quarantined).to.deep.equal([]);
    const stored = await db.get('sites', who.id);
    expect(stored).to.deep.equal(after);
    expect((stored as GraceState).v).to.equal(2);
    expectSalvaged(v1, now, fromFirstAlert(first), DEFAULT_POLICY, who);
    const parsed = parseGraceState(stored);
    expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
    expect(after.phase).to.equal('warning');
    expect(after.deadline!).to.be.at.most(first + GRACE);
  });

  it('14. a damaged record (a deadline that is a string) is quarantined once and its salvage keeps the proved deadline', async () => {
    const who = dbSite();
    const w = warningOf(who);
    const first = w.firstAlertAt!;
    const damaged = damage(w, { deadline: 'in 100 years' });
    expectRefused(damaged, 'deadline');
    await db.put('sites', damaged, who.id);

    const now = w.latestSeen + 3 * DAY;
    const { after, seen } = await tickCounting(who, now);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ store: 'sites', key: who.id });
    expect(seen[0]!.error).to.contain('state.deadline');
    const quarantined = (await db.getAll('quarantine')).filter((q) => q.key === who.id);
    expect(quarantined).to.have.length(1);
    expect(quarantined[0]!.value).to.deep.equal(damaged);

    const stored = await db.get('sites', who.id);
    expect(stored).to.deep.equal(after);
    const parsed = parseGraceState(stored);
    expect(parsed.ok, parsed.ok ? '' : parsed.error).to.equal(true);
    expect(after.phase).to.equal('warning');
    expect(after.deadline).to.not.equal(null);
    expect(after.deadline!).to.be.at.most(first + GRACE);

    // The next event reads a clean record: no second report.
    const again = await tickCounting(who, now + HOUR);
    expect(again.seen).to.deep.equal([]);
    expect(again.after.deadline).to.equal(after.deadline);
  });
});

// Random walks of the engine (short alertAfter and grace so that walks cross every phase), then ONE time field
// moved forward.
const policy: Policy = { interval: HOUR, alertAfter: DAY, graceDays: 3 };

const event: fc.Arbitrary<(now: number) => GraceEvent> = fc.oneof(
  { arbitrary: fc.constant(() => ({ type: 'succeeded' }) as GraceEvent), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(...FAILURE_KINDS)
      .map((kind) => () => ({ type: 'failed', reason: { kind } }) as GraceEvent),
    weight: 4,
  },
  { arbitrary: fc.constant(() => ({ type: 'tick' }) as GraceEvent), weight: 4 },
  {
    arbitrary: fc.constant(() => ({ type: 'blind', reason: { kind: 'network' } }) as GraceEvent),
    weight: 1,
  },
  {
    // The ZVM's word, its alerts dated up to 10 days back in this frame.
    arbitrary: fc
      .tuple(
        fc.option(fc.integer({ min: 0, max: 10 * DAY })),
        fc.option(fc.integer({ min: 0, max: 10 * DAY })),
        fc.constantFrom(null, true, false),
      )
      .map(
        ([usage, off, passed]) =>
          (now: number) =>
            ({
              type: 'zvm',
              usageAlertAt: usage === null ? null : now - usage,
              disconnectedAt: off === null ? null : now - off,
              passed,
              skew: 0,
            }) as GraceEvent,
      ),
    weight: 1,
  },
  { arbitrary: fc.constant(() => ({ type: 'configure', authority: false }) as GraceEvent), weight: 1 },
  {
    // A policy change: a deadline already fixed stays where it is.
    arbitrary: fc
      .constantFrom(1, 3, 15)
      .map((graceDays) => () => ({ type: 'configure', policy: { ...policy, graceDays } }) as GraceEvent),
    weight: 1,
  },
);
const step = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2 * DAY }), weight: 8 },
  { arbitrary: fc.integer({ min: -5 * DAY, max: -1 }), weight: 1 },
);
const engineState: fc.Arbitrary<GraceState> = fc
  .array(fc.tuple(event, step), { maxLength: 40 })
  .map((steps) => {
    let clock = T0;
    let s = fresh(policy, T0);
    for (const [e, d] of steps) {
      clock += d;
      s = reduce(s, e(clock), clock);
    }
    return s;
  });

/** The paths of every time a state holds (non-null). */
function timePaths(s: GraceState): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const top = [
    'trackingSince',
    'latestSeen',
    'lastSuccessAt',
    'lastAttemptAt',
    'firstAlertAt',
    'deadline',
    'disconnectedAt',
    'recoveredAt',
    'policySince',
  ] as const;
  for (const k of top) if (s[k] !== null) out.push([k]);
  if (s.zvm) out.push(['zvm', 'readAt']);
  if (s.blind) out.push(['blind', 'since']);
  if (s.clockJumps.last) out.push(['clockJumps', 'last', 'at']);
  s.alerts.forEach((a, i) => {
    out.push(['alerts', i, 'turnedOn']);
    if (a.resolvedAt !== null) out.push(['alerts', i, 'resolvedAt']);
  });
  return out;
}

function moveForward(s: GraceState, path: Array<string | number>, by: number): Rec {
  const copy = structuredClone(s) as unknown as Rec;
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  cur[last] = (cur[last] as number) + by;
  return copy;
}

describe('records damaged at random (fast-check)', () => {
  it('one time moved forward by up to 200 years: both validators agree, and the salvage of a refused record never keeps a later deadline', () => {
    let salvaged = 0;
    fc.assert(
      fc.property(
        engineState,
        fc.nat(),
        // Up to 200 years, often within the grace (a first alert or a deadline moved by hours or days).
        fc.oneof(fc.integer({ min: 1, max: 10 * DAY }), fc.integer({ min: 1, max: 200 * 365 * DAY })),
        fc.integer({ min: 0, max: 30 * DAY }),
        (s, pick, by, after) => {
          const paths = timePaths(s);
          const path = paths[pick % paths.length]!;
          const damaged = moveForward(s, path, by);
          const what = `${path.join('.')} + ${by} ms of a ${s.authority ? 'mirrored ' : ''}${s.phase} state`;
          const verdict = parseGraceState(damaged);
          expect(isGraceState(damaged), `isGraceState on ${what}`).to.equal(verdict.ok);
          // A record both accept is used as it is; only a refused one is salvaged.
          if (verdict.ok || s.deadline === null) return;
          salvaged++;
          const now = s.latestSeen + after;
          const out = salvageState(damaged, s.site, s.policy, now, s.authority);
          const valid = parseGraceState(out);
          expect(valid.ok, valid.ok ? '' : valid.error).to.equal(true);
          const at = `${what}, salvaged at latestSeen + ${after} ms`;
          expect(out.deadline, `${at}: no deadline (${out.phase})`).to.not.equal(null);
          expect(out.deadline! - s.deadline, `${at}: ms of grace bought (now ${out.phase})`).to.be.at.most(0);
        },
      ),
      { numRuns: 3000, includeErrorInReport: true },
    );
    expect(salvaged).to.be.greaterThan(300);
  });
});
