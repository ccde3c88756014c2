// The check's perfdata read with the Nagios range grammar: every value lies inside or outside its ranges as
// the exit code says, in every state, with the same labels; and a listed billing alert is never OK.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DAY } from '../../../src/core/index.ts';
import { DEFAULT_BILLING_ALERT_IDS, type ZvmBillingAlert } from '../../../src/protocol/zvm.ts';
import { EXIT, judge, thresholds, type Judged, type UnplacedAlert } from '../../../fleet/check.ts';
import { alerts, holdsToExit, parseRange } from './nagios.ts';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

describe('the Nagios range grammar of the test itself (the guidelines’ own examples)', () => {
  const cases: Array<[string, number, boolean]> = [
    ['10', -1, true],
    ['10', 0, false],
    ['10', 10, false],
    ['10', 11, true],
    ['10:', 9.99, true],
    ['10:', 10, false],
    ['10:', 1e9, false],
    ['~:10', -1e9, false],
    ['~:10', 10.01, true],
    ['10:20', 9, true],
    ['10:20', 15, false],
    ['10:20', 21, true],
    ['@10:20', 10, true],
    ['@10:20', 21, false],
    ['0', 1, true],
    ['0', 0, false],
  ];
  for (const [range, value, alerting] of cases) {
    test(`${range} ${alerting ? 'alerts' : 'does not alert'} on ${value}`, () => {
      assert.equal(alerts(parseRange(range), value), alerting);
    });
  }
  test('what is not a range is refused', () => {
    for (const bad of ['', '@', 'x', '1:2:3', '20:10', '~', '1;2']) assert.throws(() => parseRange(bad), bad);
  });
});

function alert(p: Partial<ZvmBillingAlert> & Pick<ZvmBillingAlert, 'kind' | 'turnedOn'>): ZvmBillingAlert {
  return {
    key: `a-${p.turnedOn}`,
    recognised: true,
    helpIdentifier: p.kind === 'usage' ? 'LIC0012' : 'LIC0013',
    level: p.kind === 'usage' ? 'Warning' : 'Error',
    entity: 'License',
    description: 'The ZVM did not send site usage information for billing purposes.',
    dismissed: false,
    ...p,
  };
}

function judged(p: Partial<Judged> = {}): Judged {
  return {
    name: 'Oslo',
    zvmNow: NOW,
    clock: 'server',
    billing: [],
    unplaced: [],
    unreadable: 0,
    listed: 3,
    known: null,
    graceDays: 15,
    warningDays: 15,
    criticalDays: 1,
    ids: DEFAULT_BILLING_ALERT_IDS,
    explicit: { usage: false, disconnection: false },
    ...p,
  };
}

/** The result's perfdata, held to the grammar and to the exit code. */
const consistent = (r: { state: keyof typeof EXIT; line: string }) => holdsToExit(r.line, EXIT[r.state]);

describe('the check’s perfdata says what its exit code says', () => {
  test('OK: days_left is the full grace, inside every range', () => {
    const r = judge(judged());
    assert.equal(r.state, 'OK');
    assert.match(r.line, / \| billing_alerts=0;0;;0 vra_disconnected=0;;0;0;1 days_left=15;15:;1:;0;15 /);
    const v = consistent(r);
    assert.equal(v.get('seconds_left'), 15 * 86_400);
  });

  test('WARNING: 12 days left reads days_left=12 with -w 7, and the billing alert is outside its warning range', () => {
    const r = judge(judged({ warningDays: 7, billing: [alert({ kind: 'usage', turnedOn: NOW - 3 * DAY })] }));
    assert.equal(r.state, 'WARNING');
    assert.match(r.line, / days_left=12;7:;1:;0;15 /);
    assert.match(r.line, /billing_alerts=1;0;;0/);
    consistent(r);
  });

  test('CRITICAL: the last day reads days_left=0, outside 1:', () => {
    const r = judge(judged({ billing: [alert({ kind: 'usage', turnedOn: NOW - 14.5 * DAY })] }));
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.line, /Usage not sent, 12 hours left/);
    assert.equal(consistent(r).get('days_left'), 0);
  });

  test('CRITICAL: disconnected reads vra_disconnected=1 and days_left=0 (no gap in the graphs)', () => {
    const r = judge(judged({ billing: [alert({ kind: 'disconnection', turnedOn: NOW - DAY })] }));
    assert.equal(r.state, 'CRITICAL');
    assert.match(r.line, /the ZVM stopped communicating with its VRAs since 2026-11-19T12:00:00\.000Z/);
    const v = consistent(r);
    assert.equal(v.get('vra_disconnected'), 1);
    assert.equal(v.get('days_left'), 0);
    assert.equal(v.get('seconds_left'), 0);
  });

  test('a usage alert whose TurnedOn cannot be placed: WARNING, its days U', () => {
    const unplaced: UnplacedAlert = {
      ...alert({ kind: 'usage', turnedOn: 0 }),
      turnedOn: null,
      error: 'a time without a time zone',
    };
    const r = judge(judged({ unplaced: [unplaced] }));
    assert.equal(r.state, 'WARNING');
    assert.equal(consistent(r).get('days_left'), null);
  });

  test('an identifier a flag gives that the ZVM does not know: WARNING, unknown_alert_ids=1', () => {
    const r = judge(
      judged({
        ids: { usage: ['LIC7777'], disconnection: DEFAULT_BILLING_ALERT_IDS.disconnection },
        explicit: { usage: true, disconnection: false },
        known: new Set(['LIC0012', 'LIC0013', 'LIC0021', 'LIC0022', 'VPG0010']),
      }),
    );
    assert.equal(r.state, 'WARNING');
    assert.match(r.line, /--usage-alert-ids names LIC7777, which this ZVM does not know/);
    assert.equal(consistent(r).get('unknown_alert_ids'), 1);
  });

  test('any mix of billing alerts, clocks and thresholds: never OK with a billing alert; perfdata agrees', () => {
    const billingAlert = fc.record({
      kind: fc.constantFrom('usage' as const, 'disconnection' as const),
      recognised: fc.boolean(),
      dismissed: fc.boolean(),
      // From well before the grace to a little after the ZVM's now (its clocks need not agree with ours).
      turnedOnDays: fc.double({ min: -40, max: 1, noNaN: true }),
      placed: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(billingAlert, { maxLength: 4 }),
        fc.constantFrom(15, 7, 30, 2.5, 1, 0.5),
        fc.nat(40),
        fc.nat(40),
        fc.boolean(),
        (list, graceDays, w, c, explicitUnknown) => {
          const whole = Math.floor(graceDays);
          const t = thresholds({
            graceDays,
            warningDays: Math.min(w, whole),
            criticalDays: Math.min(c, whole),
          });
          assert.ok(t.ok);
          const billing = list
            .filter((a) => a.placed)
            .map((a) =>
              alert({
                kind: a.recognised ? a.kind : 'usage',
                // One no setting names keeps the level of its kind: an Error-level one reads as the disconnection.
                level: a.kind === 'disconnection' ? 'Error' : 'Warning',
                recognised: a.recognised,
                dismissed: a.dismissed,
                turnedOn: Math.round(NOW + a.turnedOnDays * DAY),
              }),
            )
            .sort((x, y) => x.turnedOn - y.turnedOn);
          const unplaced: UnplacedAlert[] = list
            .filter((a) => !a.placed)
            .map((a) => ({
              ...alert({
                kind: a.recognised ? a.kind : 'usage',
                level: a.kind === 'disconnection' ? 'Error' : 'Warning',
                recognised: a.recognised,
                turnedOn: 0,
              }),
              turnedOn: null,
              error: 'no time',
            }));
          const r = judge(
            judged({
              billing,
              unplaced,
              graceDays,
              warningDays: t.warningDays,
              criticalDays: t.criticalDays,
              known: new Set(['LIC0012', 'LIC0013']),
              ids: explicitUnknown
                ? { usage: ['LIC0012', 'LIC9999'], disconnection: ['LIC0013'] }
                : DEFAULT_BILLING_ALERT_IDS,
              explicit: { usage: explicitUnknown, disconnection: false },
            }),
          );
          if (list.length > 0) assert.notEqual(r.state, 'OK', r.line);
          if (list.some((a) => a.kind === 'disconnection')) assert.equal(r.state, 'CRITICAL', r.line);
          assert.equal(r.line.split('\n').length, 1);
          consistent(r);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
