import { expect } from '@open-wc/testing';
import {
  activeAlerts,
  DAY,
  DEFAULT_POLICY,
  HOUR,
  parseGraceState,
  reduce,
  viewOf,
} from '../../src/core/index.ts';
import { fail, fresh, ok, run, T0, tick } from './helpers.ts';

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
    expect(alert?.description).to.contain('did not send site usage information for billing purposes');
    expect(alert?.description).to.contain('within 15 days');
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

  it('opens the alert at once when alertAfter is shortened past the time already without success', () => {
    const s = run(fresh(), [
      [ok, T0],
      [{ type: 'configure', policy: { ...DEFAULT_POLICY, alertAfter: 2 * HOUR } }, T0 + 3 * HOUR],
    ]);
    expect(s.phase).to.equal('warning');
    expect(s.firstAlertAt).to.equal(T0 + 2 * HOUR);
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

  it('treats a reading earlier than the latest seen as the latest and records the rollback', () => {
    const s = reduce(warned, tick, T0);
    expect(s.latestSeen).to.equal(T0 + ALERT + 5 * DAY);
    expect(s.rollbacks.count).to.equal(1);
    expect(s.rollbacks.last).to.deep.equal({ reading: T0, latest: T0 + ALERT + 5 * DAY });
    expect(s.deadline).to.equal(warned.deadline);
    expect(viewOf(s, T0).daysLeft).to.equal(10);
  });

  it('records a reading that is not a time at all and ignores it', () => {
    const s = reduce(warned, tick, Number.NaN);
    expect(s.latestSeen).to.equal(warned.latestSeen);
    expect(s.rollbacks.last).to.deep.equal({ reading: null, latest: warned.latestSeen });
  });

  it('cannot escape disconnection by turning the clock back', () => {
    const s = run(warned, [
      [tick, T0 + ALERT + GRACE],
      [fail, T0],
    ]);
    expect(s.phase).to.equal('disconnected');
    expect(viewOf(s, T0).vraCommunicationAllowed).to.equal(false);
  });

  it('dates a success seen under a turned-back clock at the latest time seen', () => {
    const s = reduce(warned, ok, T0);
    expect(s.lastSuccessAt).to.equal(warned.latestSeen);
  });
});

describe('grace engine: the ZVM as the authority', () => {
  it('takes the first-alert time and the deadline from the alert the ZVM reports', () => {
    const zvmTurnedOn = T0 - 2 * DAY;
    const s = reduce(
      reduce(fresh(), fail, T0),
      { type: 'authority-alert', turnedOn: zvmTurnedOn },
      T0 + HOUR,
    );
    expect(s.phase).to.equal('warning');
    expect(s.alertSource).to.equal('authority');
    expect(s.firstAlertAt).to.equal(zvmTurnedOn);
    expect(s.deadline).to.equal(zvmTurnedOn + GRACE);
    expect(viewOf(s, T0 + HOUR).daysLeft).to.equal(13);
  });

  it('replaces a guess of its own with the ZVM date, without a duplicate alert', () => {
    const guessed = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT + DAY],
    ]);
    const zvm = { type: 'authority-alert', turnedOn: T0 + ALERT + HOUR } as const;
    const s = run(guessed, [
      [zvm, T0 + ALERT + DAY + 1],
      [zvm, T0 + ALERT + DAY + 2],
    ]);
    expect(s.deadline).to.equal(T0 + ALERT + HOUR + GRACE);
    expect(activeAlerts(s)).to.have.length(1);
    expect(activeAlerts(s)[0]?.turnedOn).to.equal(T0 + ALERT + HOUR);
  });

  it('never dates the alert in the future', () => {
    const s = reduce(fresh(), { type: 'authority-alert', turnedOn: T0 + 10 * DAY }, T0);
    expect(s.firstAlertAt).to.equal(T0);
  });
});

describe('grace state records', () => {
  it('survive a JSON round trip and validate', () => {
    const s = run(fresh(), [
      [ok, T0],
      [tick, T0 + ALERT + GRACE],
      [tick, T0],
    ]);
    const back = parseGraceState(JSON.parse(JSON.stringify(s)));
    expect(back).to.deep.equal({ ok: true, value: s });
  });

  it('are refused with a message when a warning has no deadline', () => {
    const s = { ...run(fresh(), [[tick, T0 + ALERT]]), deadline: null };
    const p = parseGraceState(s);
    expect(p.ok).to.equal(false);
    if (!p.ok) expect(p.error).to.contain('deadline');
  });

  it('are refused with a message naming the damaged field', () => {
    const p = parseGraceState({ ...fresh(), latestSeen: 'yesterday' });
    expect(p.ok).to.equal(false);
    if (!p.ok) expect(p.error).to.contain('state.latestSeen');
  });

  it('keep at most 50 alerts and never drop an active one', () => {
    let s = fresh({ ...DEFAULT_POLICY, alertAfter: HOUR, graceDays: 1 });
    let t = T0;
    for (let i = 0; i < 40; i++) {
      s = run(s, [
        [tick, (t += 2 * DAY)],
        [ok, (t += HOUR)],
      ]);
    }
    s = reduce(s, tick, t + 2 * HOUR);
    expect(s.alerts.length).to.be.at.most(50);
    expect(activeAlerts(s)).to.have.length(1);
    expect(parseGraceState(s).ok).to.equal(true);
  });
});
