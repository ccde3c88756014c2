import { expect } from '@open-wc/testing';
import {
  activeAlerts,
  createState,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  parseGraceState,
  READING_LIMIT,
  reduce,
  viewOf,
  type GraceEvent,
} from '../../src/core/index.ts';
import { fail, fresh, ok, run, site, T0, tick } from './helpers.ts';

const ALERT = DEFAULT_POLICY.alertAfter;
const GRACE = 15 * DAY;

describe('grace engine: before any alert', () => {
  it('starts unknown: nothing is shown on trust before a transmission was seen', () => {
    const s = fresh();
    expect(s.phase).to.equal('unknown');
    expect(viewOf(s, T0).message).to.equal(null);
  });

  it('is ok after a successful transmission', () => {
    const s = reduce(fresh(), ok, T0 + HOUR);
    expect(s.phase).to.equal('ok');
    expect(s.lastSuccessAt).to.equal(T0 + HOUR);
  });

  it('stays ok through failures until alertAfter has passed since the last success', () => {
    const s = run(fresh(), [
      [ok, T0],
      [fail, T0 + HOUR],
      [fail, T0 + ALERT - 1],
    ]);
    expect(s.phase).to.equal('ok');
    expect(s.lastFailure).to.deep.equal({ kind: 'timeout' });
    expect(s.lastAttemptAt).to.equal(T0 + ALERT - 1);
    expect(activeAlerts(s)).to.have.length(0);
  });

  it('shows no alert one millisecond before alertAfter', () => {
    const s = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT - 1],
    ]);
    expect(s.phase).to.equal('ok');
  });
});

describe('grace engine: the warning', () => {
  it('turns the alert on exactly at alertAfter since the last success and fixes the deadline 15 days on', () => {
    const s = run(fresh(), [
      [ok, T0],
      [fail, T0 + ALERT],
    ]);
    expect(s.phase).to.equal('warning');
    expect(s.firstAlertAt).to.equal(T0 + ALERT);
    expect(s.deadline).to.equal(T0 + ALERT + GRACE);
    expect(s.alertSource).to.equal('engine');
    const [alert] = activeAlerts(s);
    expect(alert?.kind).to.equal('usage-not-sent');
    expect(alert?.level).to.equal('warning');
    expect(alert?.turnedOn).to.equal(T0 + ALERT);
    // This console observed it: what it saw, never a claim about the ZVM.
    expect(alert?.description).to.equal(
      'This console saw no usage information for billing reach Zerto servers (site Amsterdam DR).',
    );
  });

  it('counts alertAfter from when tracking began when nothing ever succeeded', () => {
    expect(reduce(fresh(), fail, T0 + ALERT - 1).phase).to.equal('unknown');
    const s = reduce(fresh(), fail, T0 + ALERT);
    expect(s.phase).to.equal('warning');
    expect(s.firstAlertAt).to.equal(T0 + ALERT);
  });

  it('dates the alert from when the condition began even if nothing polled at that moment', () => {
    const s = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT + 3 * DAY],
    ]);
    expect(s.firstAlertAt).to.equal(T0 + ALERT);
    expect(viewOf(s, T0 + ALERT + 3 * DAY).daysLeft).to.equal(12);
  });

  it('never moves the deadline once fixed, whatever failures, ticks or policy changes follow', () => {
    const warned = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT],
    ]);
    const later = run(warned, [
      [fail, T0 + ALERT + DAY],
      [{ type: 'configure', policy: { ...DEFAULT_POLICY, graceDays: 30 } }, T0 + ALERT + 2 * DAY],
      [tick, T0 + ALERT + 3 * DAY],
    ]);
    expect(later.deadline).to.equal(warned.deadline);
    expect(later.firstAlertAt).to.equal(warned.firstAlertAt);
    expect(activeAlerts(later)).to.have.length(1);
  });

  it('opens the alert at the change, never before it, when alertAfter is shortened past the time already without success', () => {
    const s = run(fresh(), [
      [ok, T0],
      [{ type: 'configure', policy: { ...DEFAULT_POLICY, alertAfter: 2 * HOUR } }, T0 + 3 * HOUR],
    ]);
    expect(s.phase).to.equal('warning');
    expect(s.firstAlertAt).to.equal(T0 + 3 * HOUR);
    expect(s.deadline).to.equal(T0 + 3 * HOUR + GRACE);
  });

  it('shows a warning, not a backdated disconnection, when alertAfter drops from 90 days to 1 on day 83', () => {
    const long = { ...DEFAULT_POLICY, alertAfter: 90 * DAY };
    const s = run(fresh(long), [
      [ok, T0],
      [{ type: 'configure', policy: { ...long, alertAfter: DAY } }, T0 + 83 * DAY],
    ]);
    expect(s.phase).to.equal('warning');
    expect(s.firstAlertAt).to.equal(T0 + 83 * DAY);
    expect(viewOf(s, T0 + 83 * DAY).daysLeft).to.equal(15);
  });

  it('keeps a disconnection that was due when graceDays is raised afterwards', () => {
    const short = { ...DEFAULT_POLICY, graceDays: 1 };
    const s = run(fresh(short), [
      [ok, T0],
      [tick, T0 + ALERT + 2 * DAY],
      [{ type: 'configure', policy: { ...short, graceDays: 15 } }, T0 + ALERT + 2 * DAY + 1],
    ]);
    expect(s.phase).to.equal('disconnected');
    expect(s.deadline).to.equal(T0 + ALERT + DAY);
  });

  it('settles the time before a policy change under the old policy', () => {
    // Raising graceDays later does not undo a disconnection that the old policy made due, unseen.
    const short = { ...DEFAULT_POLICY, graceDays: 1 };
    const s = run(fresh(short), [
      [ok, T0],
      [{ type: 'configure', policy: { ...short, graceDays: 15 } }, T0 + ALERT + 3 * DAY],
    ]);
    expect(s.phase).to.equal('disconnected');
    expect(s.firstAlertAt).to.equal(T0 + ALERT);
  });

  it('renames the site in later alerts when configured with a new name', () => {
    const s = run(fresh(), [
      [{ type: 'configure', siteName: 'Rotterdam' }, T0],
      [tick, T0 + ALERT],
    ]);
    expect(s.site).to.deep.equal({ id: 'site-a', name: 'Rotterdam' });
    expect(activeAlerts(s)[0]?.description).to.contain('Rotterdam');
  });
});

describe('grace engine: disconnection', () => {
  const warned = run(fresh(), [
    [ok, T0],
    [tick, T0 + ALERT],
  ]);
  const deadline = T0 + ALERT + GRACE;

  it('is still a warning one millisecond before the deadline', () => {
    const s = reduce(warned, fail, deadline - 1);
    expect(s.phase).to.equal('warning');
    expect(viewOf(s, deadline - 1).vraCommunicationAllowed).to.equal(true);
  });

  it('disconnects exactly at the deadline and replaces the warning with the disconnection alert', () => {
    const s = reduce(warned, tick, deadline);
    expect(s.phase).to.equal('disconnected');
    const active = activeAlerts(s);
    expect(active).to.have.length(1);
    expect(active[0]?.kind).to.equal('vra-disconnected');
    expect(active[0]?.level).to.equal('error');
    expect(active[0]?.turnedOn).to.equal(deadline);
    const superseded = s.alerts.find((a) => a.kind === 'usage-not-sent');
    expect(superseded?.resolvedAt).to.equal(deadline);
    expect(superseded?.resolution).to.equal('superseded');
    expect(viewOf(s, deadline).vraCommunicationAllowed).to.equal(false);
  });

  it('goes straight to disconnected when first evaluated after the whole grace period', () => {
    const s = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT + GRACE + DAY],
    ]);
    expect(s.phase).to.equal('disconnected');
    expect(s.alerts.map((a) => a.kind)).to.deep.equal(['usage-not-sent', 'vra-disconnected']);
  });

  it('stays disconnected through further failures', () => {
    const s = run(warned, [
      [tick, deadline],
      [fail, deadline + DAY],
    ]);
    expect(s.phase).to.equal('disconnected');
    expect(activeAlerts(s)).to.have.length(1);
  });
});

describe('grace engine: recovery', () => {
  const deadline = T0 + ALERT + GRACE;
  const disconnected = run(fresh(), [
    [ok, T0],
    [tick, deadline],
  ]);

  it('returns to ok on a success during the warning and resolves the alert, keeping it in history', () => {
    const w = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT + DAY],
      [ok, T0 + ALERT + 2 * DAY],
    ]);
    expect(w.phase).to.equal('ok');
    expect(w.firstAlertAt).to.equal(null);
    expect(w.deadline).to.equal(null);
    expect(activeAlerts(w)).to.have.length(0);
    expect(w.alerts).to.have.length(1);
    expect(w.alerts[0]?.resolvedAt).to.equal(T0 + ALERT + 2 * DAY);
    expect(w.alerts[0]?.resolution).to.equal('usage-sent');
  });

  it('reconnects the VRAs on a success after disconnection and shows a recovery notice', () => {
    const s = reduce(disconnected, ok, deadline + HOUR);
    expect(s.phase).to.equal('ok');
    expect(s.recoveredAt).to.equal(deadline + HOUR);
    const v = viewOf(s, deadline + 2 * HOUR);
    expect(v.vraCommunicationAllowed).to.equal(true);
    expect(v.recovered).to.equal(true);
    expect(v.message?.key).to.equal('recovered');
    expect(s.alerts.every((a) => a.resolvedAt !== null)).to.equal(true);
  });

  it('lets the recovery notice lapse a day after the recovery', () => {
    const s = run(disconnected, [
      [ok, deadline + HOUR],
      [ok, deadline + 12 * HOUR],
    ]);
    expect(viewOf(s, deadline + HOUR + DAY - 1).recovered).to.equal(true);
    expect(viewOf(s, deadline + HOUR + DAY).recovered).to.equal(false);
    expect(viewOf(s, deadline + HOUR + DAY).message).to.equal(null);
  });

  it('starts a new grace period, with a new alert, after the next outage', () => {
    const s = run(disconnected, [
      [ok, deadline + HOUR],
      [tick, deadline + HOUR + ALERT],
    ]);
    expect(s.phase).to.equal('warning');
    expect(s.deadline).to.equal(deadline + HOUR + ALERT + GRACE);
    expect(activeAlerts(s)).to.have.length(1);
    expect(new Set(s.alerts.map((a) => a.id)).size).to.equal(s.alerts.length);
  });
});

describe('grace engine: the clock', () => {
  const warned = run(fresh(), [
    [ok, T0],
    [tick, T0 + ALERT + 5 * DAY],
  ]);

  it('moves every time of the site by the step when the clock is turned back, so the time left is unchanged', () => {
    const back = 30 * DAY;
    const s = reduce(warned, tick, warned.latestSeen - back);
    expect(s.latestSeen).to.equal(warned.latestSeen - back);
    expect(s.deadline).to.equal(warned.deadline! - back);
    expect(s.firstAlertAt).to.equal(warned.firstAlertAt! - back);
    expect(s.lastSuccessAt).to.equal(T0 - back);
    expect(s.clockJumps).to.deep.equal({
      count: 1,
      last: { at: warned.latestSeen - back, step: -back },
      setBack: back,
    });
    expect(viewOf(s, s.latestSeen).daysLeft).to.equal(10);
    expect(viewOf(s, s.latestSeen).clockJump?.step).to.equal(-back);
  });

  it('moves the dates back again when the clock is set right while the poller runs: no grace stolen', () => {
    const back = 30 * DAY;
    const turnedBack = reduce(warned, tick, warned.latestSeen - back);
    // Set right an hour later: the wall clock stepped 30 days and an hour, the monotonic clock only an hour.
    const now = warned.latestSeen + HOUR;
    const setRight = reduce(turnedBack, { type: 'clock-step', step: back }, now);
    expect(setRight.deadline).to.equal(warned.deadline);
    expect(setRight.clockJumps.setBack).to.equal(0);
    expect(viewOf(setRight, now).msLeft).to.equal(viewOf(warned, now).msLeft);
  });

  it('counts a step the monotonic clock did not confirm as time that passed when nothing was turned back (a sleep)', () => {
    const now = warned.latestSeen + 11 * DAY;
    const slept = reduce(warned, { type: 'clock-step', step: 11 * DAY }, now);
    expect(slept.deadline).to.equal(warned.deadline);
    expect(slept.phase).to.equal('disconnected');
    expect(slept.clockJumps.last).to.deep.equal({ at: now, step: 11 * DAY });
  });

  it('does not take sleeps for a clock set right after a year-ahead reading came back: no grace bought', () => {
    // One reading a year ahead (elapsed: it cannot be disproved), then the clock back (a jump of a year).
    let s = reduce(fresh(), ok, T0);
    s = reduce(s, tick, T0 + 365 * DAY);
    s = reduce(s, ok, T0 + HOUR);
    expect(s.clockJumps.setBack).to.be.above(300 * DAY);
    // A new outage, then ten nights of an 8-hour sleep each (steps the monotonic clock did not confirm).
    let t = T0 + HOUR;
    s = reduce(s, tick, (t += ALERT + DAY));
    const deadline = s.deadline;
    for (let night = 0; night < 10; night++)
      s = reduce(s, { type: 'clock-step', step: 8 * HOUR }, (t += 8 * HOUR));
    expect(s.deadline).to.equal(deadline);
  });

  it('refuses a reading too close to the end of the Date range for a deadline to follow it', () => {
    expect(reduce(warned, tick, -8.64e15)).to.deep.equal(warned);
    expect(reduce(warned, tick, 8.64e15)).to.deep.equal(warned);
  });

  it('refuses a reading that would move a stored time out of the Date range', () => {
    // Tracked for three years, then a reading near the start of the range: the oldest time would fall out.
    const old = run(fresh(), [
      [ok, T0],
      [ok, T0 + 3 * 365 * DAY],
    ]);
    expect(reduce(old, tick, -READING_LIMIT)).to.deep.equal(old);
  });

  it('treats a few seconds back as the jitter of several readers, not a jump', () => {
    const s = reduce(warned, tick, warned.latestSeen - 2000);
    expect(s.latestSeen).to.equal(warned.latestSeen);
    expect(s.clockJumps.count).to.equal(0);
  });

  it('ignores a reading that is not a time, or is outside the Date range', () => {
    for (const bad of [Number.NaN, Infinity, 9e15, -9e15]) {
      const s = reduce(warned, tick, bad);
      expect(s).to.deep.equal(warned);
    }
  });

  it('cannot escape disconnection by turning the clock back', () => {
    const s = run(warned, [
      [tick, T0 + ALERT + GRACE],
      [fail, T0],
    ]);
    expect(s.phase).to.equal('disconnected');
    expect(viewOf(s, T0).vraCommunicationAllowed).to.equal(false);
  });

  it('is not silenced by one reading a year ahead: normal readings after it still bring the alert', () => {
    // The reading a year ahead is taken as elapsed time (it cannot be disproved); the readings after it are
    // a jump back, which moves the frame, so 90 days of failures still alert and disconnect.
    let s = reduce(fresh(), ok, T0);
    s = reduce(s, tick, T0 + 365 * DAY);
    expect(s.phase).to.equal('disconnected');
    let t = T0 + HOUR;
    s = reduce(s, ok, t);
    for (let day = 1; day <= 90; day++) s = reduce(s, fail, (t += DAY));
    expect(s.phase).to.equal('disconnected');
    expect(viewOf(s, t).vraCommunicationAllowed).to.equal(false);
  });
});

describe('grace engine: the ZVM as the authority', () => {
  const zvm = (e: Partial<Extract<GraceEvent, { type: 'zvm' }>>): Extract<GraceEvent, { type: 'zvm' }> => ({
    type: 'zvm',
    usageAlertAt: null,
    disconnectedAt: null,
    passed: false,
    skew: 0,
    ...e,
  });
  const governed = () => createState(site, DEFAULT_POLICY, T0, true);

  it('takes the first-alert time and the deadline from the usage alert the ZVM reports', () => {
    const turnedOn = T0 - 2 * DAY;
    const s = reduce(governed(), zvm({ usageAlertAt: turnedOn }), T0 + HOUR);
    expect(s.phase).to.equal('warning');
    expect(s.alertSource).to.equal('authority');
    expect(s.firstAlertAt).to.equal(turnedOn);
    expect(s.deadline).to.equal(turnedOn + GRACE);
    expect(viewOf(s, T0 + HOUR).daysLeft).to.equal(13);
    expect(viewOf(s, T0 + HOUR).message).to.include({ key: 'usage-not-sent', source: 'zvm' });
  });

  it('reads the disconnection alert as disconnected since its TurnedOn, never as a new warning', () => {
    const first = T0;
    const off = T0 + GRACE;
    let s = reduce(governed(), zvm({ usageAlertAt: first }), T0 + DAY);
    s = reduce(s, zvm({ disconnectedAt: off }), off + HOUR);
    expect(s.phase).to.equal('disconnected');
    expect(s.disconnectedAt).to.equal(off);
    expect(s.firstAlertAt).to.equal(first);
    const active = activeAlerts(s);
    expect(active.map((a) => a.kind)).to.deep.equal(['vra-disconnected']);
    expect(s.alerts.find((a) => a.kind === 'usage-not-sent')?.resolution).to.equal('superseded');
    // Polled again and again: still disconnected, since the same time.
    const again = run(s, [
      [zvm({ disconnectedAt: off }), off + 2 * HOUR],
      [zvm({ disconnectedAt: off }), off + 3 * DAY],
    ]);
    expect(again.phase).to.equal('disconnected');
    expect(viewOf(again, off + 3 * DAY).disconnectedAt).to.equal(off);
    expect(parseGraceState(again).ok).to.equal(true);
  });

  it('reads a disconnection alert seen first, with no usage alert, as disconnected', () => {
    const off = T0 + 3 * DAY;
    const s = reduce(governed(), zvm({ disconnectedAt: off }), off + HOUR);
    expect(s.phase).to.equal('disconnected');
    expect(s.disconnectedAt).to.equal(off);
    expect(parseGraceState(s).ok).to.equal(true);
  });

  it('counts a dismissed alert (the probe reports it like any other) and never escalates on its own', () => {
    const s = run(governed(), [
      [zvm({ usageAlertAt: T0 }), T0 + HOUR],
      [tick, T0 + GRACE + DAY],
    ]);
    // The ZVM enforces: past its deadline, this console waits for its word rather than guessing.
    expect(s.phase).to.equal('warning');
    expect(viewOf(s, T0 + GRACE + DAY).msLeft).to.equal(0);
    expect(viewOf(s, T0 + GRACE + DAY).message?.key).to.equal('overdue');
  });

  it('is ok when the ZVM lists no billing alert and the transmission passed, resolving every alert', () => {
    const s = run(governed(), [
      [zvm({ usageAlertAt: T0 }), T0 + HOUR],
      [zvm({ disconnectedAt: T0 + GRACE }), T0 + GRACE + HOUR],
      [zvm({ passed: true }), T0 + GRACE + 2 * HOUR],
    ]);
    expect(s.phase).to.equal('ok');
    expect(activeAlerts(s)).to.have.length(0);
    expect(viewOf(s, T0 + GRACE + 2 * HOUR).recovered).to.equal(true);
  });

  it('never opens a countdown of its own while the ZVM lists no alert, even when its sends fail', () => {
    let s = reduce(governed(), zvm({ passed: true }), T0);
    for (let t = T0 + HOUR; t < T0 + 40 * DAY; t += DAY) s = reduce(s, zvm({ passed: false }), t);
    // Failed with no alert is not ok (PRODUCT.md: ok needs neither alert and a transmission that passed),
    // and no countdown of this console's own.
    expect(s.phase).to.equal('unknown');
    expect(s.firstAlertAt).to.equal(null);
    expect(s.lastFailure).to.deep.equal({ kind: 'rejected' });
  });

  it('is ok when the ZVM took the request (no verdict) and lists no billing alert', () => {
    const s = run(governed(), [
      [zvm({ passed: false }), T0],
      [zvm({ passed: null }), T0 + HOUR],
    ]);
    expect(s.phase).to.equal('ok');
  });

  it('keeps the same ZVM alert, known by its identifier, when the skew and the policy change between reads', () => {
    const note = {
      key: 'a-1',
      kind: 'usage' as const,
      recognised: true,
      helpIdentifier: 'LIC0012',
      description: 'x',
    };
    let s = reduce(governed(), { ...zvm({ usageAlertAt: T0 }), alerts: [note] }, T0 + 8 * DAY);
    const deadline = s.deadline;
    s = reduce(s, { type: 'configure', policy: { ...s.policy, graceDays: 30 } }, T0 + 8 * DAY + HOUR);
    // The same alert read with a skew one day different: its time in this frame moves, the alert does not.
    s = reduce(
      s,
      { ...zvm({ usageAlertAt: T0 + DAY, skew: -DAY }), alerts: [note] },
      T0 + 8 * DAY + 2 * HOUR,
    );
    expect(s.phase).to.equal('warning');
    // Its deadline is fixed on the ZVM's clock, with the grace of its first read (not the new 30 days).
    expect(s.deadline! - DAY).to.equal(deadline);
    expect(s.graceMs).to.equal(15 * DAY);
    // Another alert (another identifier) is a new one.
    const other = { ...note, key: 'a-2' };
    s = reduce(s, { ...zvm({ usageAlertAt: T0 + 9 * DAY }), alerts: [other] }, T0 + 9 * DAY + HOUR);
    expect(s.firstAlertAt).to.equal(T0 + 9 * DAY);
  });

  it('shows "cannot see" when the ZVM cannot be read, keeping the last known state and its age', () => {
    const reason = { kind: 'auth' as const, status: 401 };
    const s = run(governed(), [
      [zvm({ usageAlertAt: T0 }), T0 + HOUR],
      [{ type: 'blind', reason }, T0 + 3 * DAY],
    ]);
    expect(s.phase).to.equal('warning');
    expect(s.deadline).to.equal(T0 + GRACE);
    const v = viewOf(s, T0 + 3 * DAY);
    expect(v.blind).to.deep.equal({ since: T0 + 3 * DAY, reason, lastKnownAge: 3 * DAY - HOUR });
  });

  it('starts no countdown when the ZVM was never readable', () => {
    let s = governed();
    for (let t = T0; t < T0 + 30 * DAY; t += DAY)
      s = reduce(s, { type: 'blind', reason: { kind: 'network' } }, t);
    expect(s.phase).to.equal('unknown');
    expect(viewOf(s, T0 + 30 * DAY).message?.key).to.equal('blind');
  });

  it('never dates the alert in the future', () => {
    const s = reduce(governed(), zvm({ usageAlertAt: T0 + 10 * DAY }), T0);
    expect(s.firstAlertAt).to.equal(T0);
  });
});

describe('grace engine: cannot see', () => {
  it('does not keep an ok it cannot confirm: after alertAfter blind, the site is not confirmed, with no countdown', () => {
    let s = reduce(fresh(), ok, T0);
    for (let t = T0 + HOUR; t < T0 + 30 * DAY; t += DAY)
      s = reduce(s, { type: 'blind', reason: { kind: 'misconfigured' } }, t);
    expect(s.phase).to.equal('unknown');
    expect(s.deadline).to.equal(null);
    expect(viewOf(s, T0 + 30 * DAY).message?.key).to.equal('blind');
  });
});

describe('grace engine: settling before a success', () => {
  it('records the warning and the disconnection that happened unseen before a late success', () => {
    const s = run(fresh(), [
      [ok, T0],
      [ok, T0 + 17 * DAY],
    ]);
    expect(s.phase).to.equal('ok');
    expect(s.alerts.map((a) => [a.kind, a.resolution])).to.deep.equal([
      ['usage-not-sent', 'superseded'],
      ['vra-disconnected', 'usage-sent'],
    ]);
    expect(viewOf(s, T0 + 17 * DAY).recovered).to.equal(true);
  });
});

describe('grace state records', () => {
  it('survive a JSON round trip and validate', () => {
    const s = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT + GRACE],
      [tick, T0],
    ]);
    expect(s.clockJumps.count).to.equal(1);
    const back = parseGraceState(JSON.parse(JSON.stringify(s)));
    expect(back).to.deep.equal({ ok: true, value: s });
  });

  it('are refused with a message when a warning has no deadline', () => {
    const s = { ...run(fresh(), [[tick, T0 + ALERT]]), deadline: null };
    const p = parseGraceState(s);
    expect(p.ok).to.equal(false);
    if (!p.ok) expect(p.error).to.equal('state.phase: alerting without its dates');
  });

  it('are refused with a message naming the damaged field', () => {
    const p = parseGraceState({ ...fresh(), latestSeen: 'yesterday' });
    expect(p.ok).to.equal(false);
    if (!p.ok) expect(p.error).to.contain('state.latestSeen');
  });

  it('keep at most 50 alerts and never drop an active one', () => {
    let s = fresh({ ...DEFAULT_POLICY, alertAfter: 2 * HOUR, graceDays: 1 });
    let t = T0;
    for (let i = 0; i < 40; i++) {
      s = run(s, [
        [tick, (t += 2 * DAY)],
        [ok, (t += HOUR)],
      ]);
    }
    s = reduce(s, tick, t + 3 * HOUR);
    expect(s.alerts.length).to.be.at.most(50);
    expect(activeAlerts(s)).to.have.length(1);
    expect(parseGraceState(s).ok).to.equal(true);
  });
});
