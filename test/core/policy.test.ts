import { expect } from '@open-wc/testing';
import { DAY, DEFAULT_POLICY, HOUR, parsePolicy } from '../../src/core/index.ts';

describe('policy', () => {
  it('defaults to an attempt every hour, the alert after 24 hours and 15 days of grace', () => {
    const p = parsePolicy(undefined);
    expect(p).to.deep.equal({ ok: true, value: { interval: HOUR, alertAfter: DAY, graceDays: 15 } });
    expect(DEFAULT_POLICY).to.deep.equal({ interval: HOUR, alertAfter: DAY, graceDays: 15 });
  });

  it('fills missing fields with the defaults and keeps the given ones', () => {
    const p = parsePolicy({ graceDays: 3 });
    expect(p.ok && p.value).to.deep.equal({ interval: HOUR, alertAfter: DAY, graceDays: 3 });
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['interval', { interval: -1 }],
    ['interval', { interval: 0 }],
    ['interval', { interval: Number.NaN }],
    ['alertAfter', { alertAfter: Number.POSITIVE_INFINITY }],
    ['alertAfter', { alertAfter: 365 * DAY }],
    ['graceDays', { graceDays: -15 }],
    ['graceDays', { graceDays: 0 }],
    ['graceDays', { graceDays: 1e9 }],
    ['graceDays', { graceDays: '15' }],
    ['interval', { interval: 1 }],
  ];
  for (const [field, input] of bad) {
    it(`refuses ${field} = ${String(Object.values(input)[0])} with a message naming ${field}`, () => {
      const p = parsePolicy(input);
      expect(p.ok).to.equal(false);
      if (!p.ok) expect(p.error).to.contain(`policy.${field}`).and.contain(field);
    });
  }

  it('refuses a policy that is not an object', () => {
    const p = parsePolicy('15 days');
    expect(p.ok).to.equal(false);
    if (!p.ok) expect(p.error).to.match(/^policy: must be an object/);
  });

  it('names every bad field at once', () => {
    const p = parsePolicy({ interval: -1, graceDays: 0 });
    expect(p.ok).to.equal(false);
    if (!p.ok) expect(p.error).to.contain('policy.interval').and.contain('policy.graceDays');
  });
});
