// The operator's words, pinned per mode and phase: zvm mode reports what the ZVM says (the vendor's own
// wording); direct and custom modes say what this console observed and what the vendor's rule implies.
import { expect } from '@open-wc/testing';
import {
  causeText,
  chipText,
  DAY_WORDS,
  dayText,
  describeStrip,
  EXPORT_ACTION,
  exportActionLabel,
  formatDuration,
  messageText,
  noteTexts,
  phaseLabel,
  reasonText,
  technicalText,
  testFailedText,
  titleText,
  whatToCheck,
  type FailureReason,
  type Message,
  type Source,
} from '../../src/core/index.ts';

const at = { deadline: Date.UTC(2026, 11, 2, 15, 3), since: Date.UTC(2026, 11, 2, 15, 3) };
const date = (t: number) => new Date(t).toISOString().slice(0, 16);
const siteName = 'Amsterdam DR';

const words: Record<Source, Array<[Message, string, string]>> = {
  zvm: [
    [
      { key: 'usage-not-sent', source: 'zvm', siteName, remaining: { unit: 'days', value: 3 } },
      'Billing usage not sent: VRAs stop in 3 days, 2026-12-02T15:03',
      'Zerto Virtual Manager of site Amsterdam DR did not send site usage information for billing purposes to Zerto servers. If this is not resolved within 3 days, Zerto Virtual Manager will stop communicating with its VRAs.',
    ],
    [
      { key: 'vra-disconnected', source: 'zvm', siteName },
      'VRAs disconnected since 2026-12-02T15:03',
      'Zerto Virtual Manager of site Amsterdam DR did not send site usage information for billing purposes to Zerto servers and has stopped communicating with its VRAs. It will not communicate with them until this issue is resolved.',
    ],
    [
      { key: 'recovered', source: 'zvm', siteName },
      'Billing usage sent',
      'Usage information for billing reached Zerto servers again: the Zerto Virtual Manager of site Amsterdam DR resolved its billing alerts.',
    ],
    [
      { key: 'blind', source: 'zvm', siteName, reason: { kind: 'auth', status: 401 } },
      "Cannot read the ZVM's billing status",
      'This console cannot read the billing alerts of the Zerto Virtual Manager of site Amsterdam DR: the credentials were refused (HTTP 401). Nothing is counted down while it cannot see them.',
    ],
    [
      { key: 'overdue', source: 'zvm', siteName },
      "Billing usage not sent: the ZVM's deadline passed on 2026-12-02T15:03",
      'The deadline of the Zerto Virtual Manager of site Amsterdam DR has passed, but it has not reported that it stopped communicating with its VRAs; this console is reading its alerts again.',
    ],
    [
      { key: 'unconfirmed', source: 'zvm', siteName, reason: null, ever: false },
      'Billing status not confirmed since 2026-12-02T15:03',
      'No transmission has confirmed billing usage of site Amsterdam DR yet.',
    ],
  ],
  console: [
    [
      { key: 'usage-not-sent', source: 'console', siteName, remaining: { unit: 'hours', value: 5 } },
      "Billing usage not sent: by the vendor's rule, VRAs stop in 5 hours, 2026-12-02T15:03",
      "This console has not seen usage information for billing reach Zerto servers. By the vendor's rule, if this is not resolved within 5 hours, the Zerto Virtual Manager of site Amsterdam DR stops communicating with its VRAs.",
    ],
    [
      { key: 'vra-disconnected', source: 'console', siteName },
      "Billing usage not sent: by the vendor's rule, VRAs stopped on 2026-12-02T15:03",
      "This console has not seen usage information for billing reach Zerto servers since the alert. By the vendor's rule, the Zerto Virtual Manager of site Amsterdam DR stops communicating with its VRAs at the deadline, until usage is sent. This console cannot see the VRAs: check them on the ZVM.",
    ],
    [
      { key: 'recovered', source: 'console', siteName },
      'Billing usage sent',
      'Usage information for billing was sent and acknowledged again; the billing alerts are resolved.',
    ],
    [
      {
        key: 'blind',
        source: 'console',
        siteName,
        reason: { kind: 'misconfigured', detail: 'no usage provider' },
      },
      'Billing usage cannot be checked',
      'This console cannot check billing usage: the settings cannot work: no usage provider.',
    ],
    [
      {
        key: 'unconfirmed',
        source: 'console',
        siteName,
        reason: { kind: 'timeout', detail: 'no answer within 3 s' },
        ever: true,
      },
      'Billing status not confirmed since 2026-12-02T15:03',
      'No transmission has confirmed billing usage of site Amsterdam DR since the last one that did: no answer in time: no answer within 3 s.',
    ],
  ],
};

describe("the operator's words, per mode and phase", () => {
  for (const source of ['zvm', 'console'] as const) {
    for (const [m, title, message] of words[source]) {
      it(`${source === 'zvm' ? 'zvm mode' : 'direct and custom modes'}: ${m.key}`, () => {
        expect(titleText(m, at, date)).to.equal(title);
        expect(messageText(m)).to.equal(message);
      });
    }
  }

  it('never states a ZVM fact in direct or custom mode', () => {
    for (const [m] of words.console) {
      const text = `${titleText(m, at, date)} ${messageText(m)}`;
      expect(text).to.not.match(
        /has stopped communicating|will stop communicating|resolved its billing alerts/,
      );
    }
  });

  it('says the fleet service, not this console, cannot see, for a banner in service mode', () => {
    const m = {
      key: 'blind' as const,
      source: 'zvm' as const,
      siteName: 'Amsterdam DR',
      reason: { kind: 'auth' as const, status: 401 },
    };
    expect(messageText(m, 'service')).to.match(
      /^The fleet service cannot read the billing alerts of the Zerto Virtual Manager of site Amsterdam DR: /,
    );
    expect(messageText(m)).to.match(/^This console cannot read/);
  });

  it('names the phase the same way on every surface, by what the mode can know', () => {
    expect(
      ['unknown', 'ok', 'warning', 'disconnected'].map((p) => phaseLabel(p as never, 'zvm')),
    ).to.deep.equal(['Not confirmed', 'Usage sent', 'Usage not sent', 'VRAs disconnected']);
    expect(phaseLabel('disconnected', 'console')).to.equal("VRAs stopped (vendor's rule)");
  });
});

describe("the operator's words beside the message", () => {
  const f = {
    date,
    ago: (ms: number) => `${Math.round(ms / 3_600_000)} hours ago`,
    span: (ms: number) => `${Math.abs(ms) / 86_400_000} days`,
  };
  const base = {
    phase: 'warning' as const,
    source: 'zvm' as const,
    at: 10 * 3_600_000,
    lastSuccessAt: 3_600_000,
    lastAttemptAt: 9 * 3_600_000,
    lastFailure: null,
    blind: null,
    skew: null,
    clockJump: null,
  };

  it('says the ZVM cannot be read now and how old its last known state is (zvm mode only)', () => {
    const blind = { reason: { kind: 'auth' as const, status: 401 }, lastKnownAge: 2 * 3_600_000 };
    expect(noteTexts({ ...base, blind }, f)).to.deep.equal([
      'This console cannot read the ZVM now (the credentials were refused (HTTP 401)); this is its last known state, read 2 hours ago.',
    ]);
    expect(noteTexts({ ...base, source: 'console', blind }, f)).to.deep.equal([]);
  });

  it("shows the ZVM's own words for its billing alert, and the identifier to add for one no setting names", () => {
    const zvmAlerts = [
      {
        key: 'a',
        kind: 'usage' as const,
        recognised: true,
        helpIdentifier: 'LIC0012',
        description: 'Usage <b>not</b> sent',
      },
      { key: 'b', kind: 'usage' as const, recognised: false, helpIdentifier: 'LIC0099', description: null },
    ];
    const zvm = { alerts: zvmAlerts, unknownIds: ['CUSTOM1'] };
    const lines = noteTexts({ ...base, zvm }, f);
    expect(lines[0]).to.equal("The ZVM's own words (alert LIC0012): “Usage <b>not</b> sent”");
    expect(lines[1]).to.match(
      /looks like a billing alert.*Add LIC0099 to this site's usage alert identifiers/,
    );
    expect(lines[2]).to.match(/does not know the billing alert identifier CUSTOM1 set for this site/);
    // This console's own rule (direct, custom) has no ZVM words to show.
    expect(noteTexts({ ...base, source: 'console', zvm }, f)).to.deep.equal([]);
    // A damaged stored word shows nothing of it (a first paint reads the record unchecked).
    expect(noteTexts({ ...base, zvm: { alerts: [{ key: 1 }], unknownIds: 'x' } }, f)).to.deep.equal([]);
  });

  it("names the ZVM's skew and a clock turned back", () => {
    expect(
      noteTexts({ ...base, skew: 2 * 86_400_000, clockJump: { at: at.deadline, step: -3 * 86_400_000 } }, f),
    ).to.deep.equal([
      "The ZVM's clock is 2 days ahead of this computer's; days left are counted on the ZVM's clock.",
      "This computer's clock was turned back 3 days on 2026-12-02T15:03; every date was moved with it, so the time left is unchanged.",
    ]);
  });

  it('the chip says when usage was sent, or what the last check found while unconfirmed', () => {
    expect(chipText({ ...base, phase: 'ok' }, f)).to.equal('Billing usage sent 9 hours ago');
    expect(
      chipText(
        { ...base, phase: 'unknown', lastFailure: { kind: 'timeout', detail: 'no answer within 3 s' } },
        f,
      ),
    ).to.equal('Billing usage: last check failed 1 hours ago: no answer in time: no answer within 3 s');
  });

  it('a failed test says what failed, by mode', () => {
    expect(testFailedText('reachability', { kind: 'network' })).to.equal(
      'This browser could not reach the billing host: the server could not be reached',
    );
    expect(testFailedText('direct', { kind: 'http', status: 503 })).to.equal(
      'Usage was not sent: the server answered HTTP 503',
    );
  });
});

describe('causes and advice fitted to the address', () => {
  it('gives no DNS advice for an IP literal, and names a port the browser refuses', () => {
    for (const url of ['http://127.0.0.1:9', 'http://[::1]:9']) {
      const hints = whatToCheck({ kind: 'network' }, url).join(' | ');
      expect(hints, url).to.not.match(/DNS/);
      expect(hints, url).to.match(/ERR_UNSAFE_PORT/);
      expect(hints, url).to.match(/on port 9\b/);
      expect(hints, url).to.not.match(/port 443/);
    }
    expect(whatToCheck({ kind: 'network' }, 'https://autologs.zerto.com').join(' | ')).to.match(
      /autologs\.zerto\.com resolves in DNS.*HTTPS to autologs\.zerto\.com on port 443/,
    );
    expect(whatToCheck({ kind: 'network' }, 'https://autologs.zerto.com').join(' ')).to.not.match(/UNSAFE/);
  });

  it('speaks of the real port and scheme of the address, never "on port 443" for another', () => {
    expect(whatToCheck({ kind: 'timeout' }, 'http://127.0.0.1:8080/usage')[0]).to.equal(
      'the firewall allows HTTP to 127.0.0.1 on port 8080 (a silent drop looks like this)',
    );
    expect(whatToCheck({ kind: 'timeout' }, 'billing.example:8443')[0]).to.equal(
      'the firewall allows HTTPS to billing.example on port 8443 (a silent drop looks like this)',
    );
  });

  it('says the cause once, in words: exception names, browser codes and schema paths are kept apart', () => {
    const threw: FailureReason = { kind: 'network', detail: 'the probe threw: TypeError: Failed to fetch' };
    expect(reasonText(threw)).to.equal('the server could not be reached: the probe threw');
    expect(technicalText(threw)).to.equal('TypeError: Failed to fetch');
    const shape: FailureReason = { kind: 'bad-answer', detail: 'probe answer.ok: Invalid input (got "yes")' };
    expect(causeText(shape)).to.equal('The answer was not what the API returns');
    expect(technicalText(shape)).to.equal('probe answer.ok: Invalid input (got "yes")');
    // A detail that only repeats the words is not said twice.
    expect(reasonText({ kind: 'http', status: 503, detail: 'HTTP 503' })).to.equal(
      'the server answered HTTP 503',
    );
    expect(reasonText({ kind: 'auth', status: 401, detail: 'credentials refused' })).to.equal(
      'the credentials were refused (HTTP 401)',
    );
  });

  it('writes durations in the unit they were given', () => {
    expect(formatDuration(3000)).to.equal('3 s');
    expect(formatDuration(1500)).to.equal('1.5 s');
    expect(formatDuration(250)).to.equal('250 ms');
    expect(formatDuration(120_000)).to.equal('2 min');
    expect(reasonText({ kind: 'timeout', detail: 'no answer within 3000 ms' })).to.equal(
      'no answer in time: no answer within 3 s',
    );
  });

  it('names each day of the strip in words, reachability apart from usage', () => {
    expect(dayText('yesterday', 'unreachable')).to.equal('yesterday: billing host not reachable');
    expect(DAY_WORDS.unreachable).to.not.match(/fail|usage/i);
    expect(DAY_WORDS.reached).to.not.match(/sent|usage/i);
    expect(describeStrip(['ok', 'ok', 'fail', 'none', 'none', 'none', 'unreachable'])).to.equal(
      'Last 7 days: 2 usage sent, 1 usage not sent, 1 billing host not reachable, 3 no check',
    );
  });

  it('offers the export in the same words everywhere', () => {
    expect(exportActionLabel(false)).to.equal(EXPORT_ACTION);
    expect(exportActionLabel(false, true)).to.equal(`${EXPORT_ACTION} (all sites)`);
    expect(exportActionLabel(true)).to.equal('Exporting usage…');
  });
});
