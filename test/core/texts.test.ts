// The operator's words, pinned per mode and phase: zvm mode reports what the ZVM says (the vendor's own
// wording); direct and custom modes say what this console observed and what the vendor's rule implies.
import { expect } from '@open-wc/testing';
import { messageText, phaseLabel, titleText, type Message, type Source } from '../../src/core/index.ts';

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

  it('names the phase the same way on every surface, by what the mode can know', () => {
    expect(
      ['unknown', 'ok', 'warning', 'disconnected'].map((p) => phaseLabel(p as never, 'zvm')),
    ).to.deep.equal(['Not confirmed', 'Usage sent', 'Usage not sent', 'VRAs disconnected']);
    expect(phaseLabel('disconnected', 'console')).to.equal("VRAs stopped (vendor's rule)");
  });
});
