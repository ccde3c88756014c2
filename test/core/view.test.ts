import { expect } from '@open-wc/testing';
import {
  byUrgency,
  DAY,
  DEFAULT_POLICY,
  formatRemaining,
  HOUR,
  messageText,
  MINUTE,
  viewOf,
} from '../../src/core/index.ts';
import { fresh, ok, run, T0, tick } from './helpers.ts';

const ALERT_AT = T0 + DEFAULT_POLICY.alertAfter;
const DEADLINE = ALERT_AT + 15 * DAY;
const warned = run(fresh(), [
  [ok, T0],
  [tick, ALERT_AT],
]);

describe('grace view', () => {
  it('reads "within 15 days" when the alert first appears', () => {
    const v = viewOf(warned, ALERT_AT);
    expect(v.daysLeft).to.equal(15);
    expect(v.remaining).to.deep.equal({ unit: 'days', value: 15 });
    expect(messageText(v.message!)).to.contain('within 15 days');
  });

  it('shows 3 days left on day 12 of the grace period', () => {
    expect(viewOf(warned, ALERT_AT + 12 * DAY).daysLeft).to.equal(3);
    expect(viewOf(warned, ALERT_AT + 12 * DAY + 1).daysLeft).to.equal(3);
  });

  it('counts a partly spent day as a whole one, as "within N days" reads', () => {
    expect(viewOf(warned, ALERT_AT + 1).daysLeft).to.equal(15);
    expect(viewOf(warned, ALERT_AT + DAY - 1).daysLeft).to.equal(15);
    expect(viewOf(warned, ALERT_AT + DAY).daysLeft).to.equal(14);
  });

  it('switches to hours on the last day', () => {
    expect(viewOf(warned, DEADLINE - DAY).remaining).to.deep.equal({ unit: 'days', value: 1 });
    expect(viewOf(warned, DEADLINE - DAY + 1).remaining).to.deep.equal({ unit: 'hours', value: 24 });
    expect(viewOf(warned, DEADLINE - 5 * HOUR).remaining).to.deep.equal({ unit: 'hours', value: 5 });
    expect(viewOf(warned, DEADLINE - MINUTE).remaining).to.deep.equal({ unit: 'hours', value: 1 });
    expect(formatRemaining({ unit: 'hours', value: 1 })).to.equal('1 hour');
    expect(messageText(viewOf(warned, DEADLINE - 5 * HOUR).message!)).to.contain('within 5 hours');
  });

  it('escalates a stored warning that has gone past its deadline when viewed now', () => {
    const v = viewOf(warned, DEADLINE + HOUR);
    expect(v.phase).to.equal('disconnected');
    expect(v.daysLeft).to.equal(0);
    expect(v.remaining).to.equal(null);
    expect(v.vraCommunicationAllowed).to.equal(false);
    const text = messageText(v.message!);
    // This console saw no usage get through; it did not see the VRAs stop, so it says what the rule implies.
    expect(text).to.contain("By the vendor's rule");
    expect(text).to.contain('This console cannot see the VRAs');
    expect(text).not.to.contain('has stopped communicating');
  });

  it("reports the ZVM's own words when the ZVM says it disconnected its VRAs", () => {
    const text = messageText({ key: 'vra-disconnected', source: 'zvm', siteName: 'Amsterdam DR' });
    expect(text).to.contain('has stopped communicating with its VRAs');
    expect(text).to.contain('until this issue is resolved');
  });

  it('names the site and says the manager will stop talking to its VRAs in the warning', () => {
    const text = messageText(viewOf(warned, ALERT_AT).message!);
    expect(text).to.contain('Amsterdam DR');
    expect(text).to.contain("By the vendor's rule, if this is not resolved within 15 days");
    expect(text).to.contain('stops communicating with its VRAs');
  });

  it('has no countdown and nothing to say while ok', () => {
    const v = viewOf(run(fresh(), [[ok, T0]]), T0 + HOUR);
    expect(v).to.include({ phase: 'ok', daysLeft: null, msLeft: null, deadline: null, message: null });
    expect(v.vraCommunicationAllowed).to.equal(true);
  });

  it('orders sites most urgent first', () => {
    const a = viewOf(warned, ALERT_AT + 10 * DAY); // 5 days left
    const b = viewOf(warned, ALERT_AT + 13 * DAY); // 2 days left
    const c = viewOf(warned, DEADLINE); // disconnected
    const d = viewOf(run(fresh(), [[ok, T0]]), T0);
    const e = viewOf(fresh(), T0);
    const sorted = [d, a, e, c, b].sort(byUrgency).map((v) => [v.phase, v.daysLeft]);
    expect(sorted).to.deep.equal([
      ['disconnected', 0],
      ['warning', 2],
      ['warning', 5],
      ['unknown', null],
      ['ok', null],
    ]);
  });
});
