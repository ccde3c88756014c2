import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { DAY, HOUR } from '../../src/core/index.ts';
import type { StateChangeDetail, ZertoBillingBanner } from '../../components/index.ts';
import { DEADLINE_FORMAT } from '../../components/shared/format.ts';
import { until } from '../world/frames.ts';
import { loadPageHost } from '../../src/world/client.ts';
import {
  mountBanner,
  part,
  seed,
  seedWarning,
  seedZvm,
  T0,
  testClock,
  uniqueSite,
  useOwnDb,
  visibleText,
} from './harness.ts';

useOwnDb('zbb-test-banner');

describe('<zerto-billing-banner> shows what the operator must read', () => {
  it('shows nothing while usage gets through', async () => {
    const site = uniqueSite();
    await seed(site, T0, T0 + HOUR);
    const el = await mountBanner({ site, clock: testClock(T0 + 2 * HOUR), answer: { ok: true } });
    expect(el.view?.phase).to.equal('ok');
    expect(visibleText(el)).to.equal('');
    expect(part(el, 'banner')).to.equal(null);
  });

  it('shows a small status chip while ok when asked with show-ok', async () => {
    const site = uniqueSite();
    // The last attempt half an hour ago: no attempt is due while the test reads the chip.
    await seed(site, T0, T0 + 2.5 * HOUR);
    const el = await mountBanner({
      site,
      clock: testClock(T0 + 3 * HOUR),
      answer: { ok: true },
      attrs: { 'show-ok': '' },
    });
    await el.updateComplete;
    expect(visibleText(el)).to.match(/^Billing usage sent \d+ hours? ago$/);
  });

  it('shows the urgent banner with "within 15 days" on the first day of the warning', async () => {
    const site = uniqueSite();
    const alertAt = T0 + DAY;
    await seedWarning(site, alertAt, alertAt + HOUR);
    const el = await mountBanner({ site, clock: testClock(alertAt + HOUR) });
    const text = visibleText(el);
    // This console observed it (custom mode): what it saw and what the vendor's rule implies, no ZVM fact.
    expect(part(el, 'title')?.textContent).to.match(
      /^Billing usage not sent: by the vendor's rule, VRAs stop in 15 days, /,
    );
    expect(text).to.contain('This console has not seen usage information for billing reach Zerto servers.');
    expect(text).to.contain(
      "By the vendor's rule, if this is not resolved within 15 days, the Zerto Virtual Manager of site Amsterdam DR stops communicating with its VRAs.",
    );
    expect(text).not.to.contain('will stop communicating');
    expect(part(el, 'countdown')?.textContent).to.equal('within 15 days');
    const deadline = part(el, 'deadline') as HTMLTimeElement;
    expect(deadline.dateTime).to.equal(new Date(alertAt + 15 * DAY).toISOString());
    // In UTC for the first paint, then in the operator's locale and zone.
    const local = new Intl.DateTimeFormat(undefined, DEADLINE_FORMAT).format(alertAt + 15 * DAY);
    await until(() => deadline.textContent === local, 2000, `the deadline in the local format: ${local}`);
    expect(part(el, 'test-link')?.textContent?.trim()).to.equal('Test usage transmission to Zerto');
  });

  it('shows 3 days left on day 12 of the grace period', async () => {
    const site = uniqueSite();
    const alertAt = T0;
    await seedWarning(site, alertAt, alertAt + 12 * DAY);
    const el = await mountBanner({ site, clock: testClock(alertAt + 12 * DAY) });
    expect(part(el, 'countdown')?.textContent).to.equal('within 3 days');
    expect(el.view?.daysLeft).to.equal(3);
  });

  it('counts hours on the last day', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 15 * DAY - 5 * HOUR);
    const el = await mountBanner({ site, clock: testClock(T0 + 15 * DAY - 5 * HOUR) });
    expect(part(el, 'countdown')?.textContent).to.equal('within 5 hours');
  });

  it('replaces the banner with the disconnection notice after the deadline', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 16 * DAY);
    const el = await mountBanner({ site, clock: testClock(T0 + 16 * DAY) });
    const text = visibleText(el);
    expect(part(el, 'title')?.textContent).to.match(
      /^Billing usage not sent: by the vendor's rule, VRAs stopped on /,
    );
    expect(text).to.contain('This console cannot see the VRAs: check them on the ZVM.');
    expect(text).not.to.contain('has stopped communicating');
    expect(part(el, 'countdown')).to.equal(null);
    expect(el.view?.vraCommunicationAllowed).to.equal(false);
  });

  it('has no close button while the condition holds, only collapse, which every escalation undoes', async () => {
    const site = uniqueSite();
    const clock = testClock(T0 + 10 * DAY);
    await seedWarning(site, T0, T0 + 10 * DAY);
    const el = await mountBanner({ site, clock });
    const labels = [...el.shadowRoot!.querySelectorAll('button')].map((b) =>
      b.textContent!.trim().toLowerCase(),
    );
    expect(labels.some((l) => /close|dismiss|×/.test(l))).to.equal(false);
    (part(el, 'collapse-button') as HTMLButtonElement).click();
    await el.updateComplete;
    expect(part(el, 'message')).to.equal(null);
    // The collapsed bar carries the time left and the date.
    expect(visibleText(el)).to.contain('VRAs stop in 5 days, ');
    clock.set(T0 + 16 * DAY);
    el.refresh();
    await el.updateComplete;
    expect(part(el, 'message')?.textContent).to.contain('This console cannot see the VRAs');
  });

  it('opens again, expanded, on reload after being collapsed', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 2 * DAY);
    const clock = testClock(T0 + 2 * DAY);
    const first = await mountBanner({ site, clock });
    (part(first, 'collapse-button') as HTMLButtonElement).click();
    first.remove();
    const second = await mountBanner({ site, clock });
    expect(part(second, 'message')).to.not.equal(null);
  });

  it('shows a short recovery notice when usage flows again, and fires reconnect', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 16 * DAY);
    let answer: { ok: boolean; reason?: { kind: 'network' } } = { ok: false, reason: { kind: 'network' } };
    const el = await mountBanner({ site, clock: testClock(T0 + 16 * DAY), answer: () => answer as never });
    expect(visibleText(el)).to.contain("by the vendor's rule, VRAs stopped on");
    answer = { ok: true };
    const reconnect = oneEvent(el, 'zerto-billing-reconnect');
    await (await loadPageHost()).testSite(el.siteHandle!);
    const e = await reconnect;
    expect(e.detail.siteId).to.equal(site.id);
    await el.updateComplete;
    expect(visibleText(el)).to.contain('Usage information for billing was sent and acknowledged again');
  });
});

describe('<zerto-billing-banner> first paint', () => {
  it('shows the stored warning before it reaches the poller, and reaches it once that paint is done', async () => {
    const site = uniqueSite();
    const alertAt = T0 + DAY;
    await seedWarning(site, alertAt, alertAt + HOUR);
    // A renderer that arrives late (a slow network: 90 of the 100 ms the first paint waits for it), after the
    // frames and idle periods a page has meanwhile: the poller is still reached only after the paint.
    const tag = 'zbb-test-slow-renderer-banner';
    if (!customElements.get(tag)) {
      const Banner = customElements.get('zerto-billing-banner') as unknown as new () => ZertoBillingBanner;
      class SlowRenderer extends (Banner as unknown as typeof HTMLElement) {
        protected beforeFirstUpdate(): Promise<unknown> | null {
          const first = (Banner.prototype as unknown as { beforeFirstUpdate(): Promise<unknown> | null })
            .beforeFirstUpdate;
          return new Promise((r) => setTimeout(r, 90)).then(() => first.call(this));
        }
      }
      customElements.define(tag, SlowRenderer);
    }
    const el = document.createElement(tag) as ZertoBillingBanner;
    el.setAttribute('site-id', site.id);
    el.setAttribute('site-name', site.name);
    el.setAttribute('mode', 'custom');
    el.clock = testClock(alertAt + HOUR);
    el.probe = () => ({ ok: false, reason: { kind: 'network', detail: 'link cut by the test' } });
    // Whether the handle was connected to its poller when the banner's text first appeared.
    let connectedAtFirstText: boolean | null = null;
    const handleOf = () => (el as unknown as { handle: { release: unknown } | null }).handle;
    const observer = new MutationObserver(() => {
      if (connectedAtFirstText === null && part(el, 'title')?.textContent)
        connectedAtFirstText = handleOf()?.release != null;
    });
    document.body.append(el);
    observer.observe(el.shadowRoot!, { childList: true, subtree: true, characterData: true });
    try {
      await until(() => connectedAtFirstText !== null, 5000, 'the banner to show its text');
      expect(connectedAtFirstText, 'connected to the poller before the first paint').to.equal(false);
      await until(() => handleOf()?.release != null, 5000, 'the handle to reach its poller after the paint');
    } finally {
      observer.disconnect();
      el.remove();
    }
  });
});

describe('<zerto-billing-banner> is never silent about what it cannot confirm', () => {
  it('says "not confirmed since" once a site stayed unknown for longer than one interval, with the cause', async () => {
    const site = uniqueSite();
    const clock = testClock(T0);
    const el = await mountBanner({ site, clock, attrs: { 'show-ok': '' } });
    await until(() => (el.view?.lastAttemptAt ?? null) !== null, 8000, 'the first attempt');
    await el.updateComplete;
    // Within the first interval: the chip says what the last check found, not "not checked yet".
    expect(part(el, 'chip')?.textContent).to.match(
      /^Billing usage: last check failed .*: the server could not be reached: link cut by the test$/,
    );
    clock.set(T0 + 2 * HOUR);
    el.refresh();
    await el.updateComplete;
    expect(part(el, 'title')?.textContent).to.match(/^Billing status not confirmed since /);
    expect(part(el, 'message')?.textContent).to.equal(
      'No transmission has confirmed billing usage of site Amsterdam DR yet: the server could not be reached: link cut by the test.',
    );
  });

  it('shows nothing without show-ok only while it is confirmed: an unconfirmed site is shown anyway', async () => {
    const site = uniqueSite();
    const clock = testClock(T0);
    const el = await mountBanner({ site, clock });
    await until(() => (el.view?.lastAttemptAt ?? null) !== null, 8000, 'the first attempt');
    await el.updateComplete;
    expect(visibleText(el)).to.equal('');
    clock.set(T0 + 2 * HOUR);
    el.refresh();
    await el.updateComplete;
    expect(visibleText(el)).to.contain('Billing status not confirmed since');
  });
});

describe('<zerto-billing-banner mode="zvm"> reports what the ZVM says', () => {
  const zvmAttrs = { mode: 'zvm', 'zvm-url': 'http://127.0.0.1:9/', timeout: '1s' };

  it("shows the ZVM's usage alert in the vendor's words, and its last known state when it cannot be read now", async () => {
    const site = uniqueSite();
    await seedZvm(site, { usageAlertAt: T0 }, T0 + 2 * DAY);
    const el = await mountBanner({ site, clock: testClock(T0 + 2 * DAY + HOUR), attrs: zvmAttrs });
    // The attributes were set after mounting: the element watches the site anew, in zvm mode.
    await until(() => part(el, 'title') !== null, 5000, 'the stored state in zvm mode');
    expect(part(el, 'title')?.textContent).to.match(/^Billing usage not sent: VRAs stop in 13 days, /);
    expect(visibleText(el)).to.contain(
      'Zerto Virtual Manager of site Amsterdam DR did not send site usage information for billing purposes to Zerto servers. If this is not resolved within 13 days, Zerto Virtual Manager will stop communicating with its VRAs.',
    );
    // Its poll cannot reach this ZVM: it says so, keeps the ZVM's word, and counts nothing down of its own.
    await until(() => part(el, 'note') !== null, 8000, 'the cannot-read note');
    await el.updateComplete;
    expect(part(el, 'note')?.textContent).to.match(
      /^This console cannot read the ZVM now \(the server could not be reached: this browser could not connect to the ZVM at 127\.0\.0\.1:9: check the zvm-url, and that the ZVM is up\); this is its last known state, read 1 hour ago\.$/,
    );
    expect(el.view?.phase).to.equal('warning');
    expect(el.view?.deadline).to.equal(T0 + 15 * DAY);
  });

  it("shows the disconnection since the TurnedOn of the ZVM's disconnection alert, never a new warning", async () => {
    const site = uniqueSite();
    await seedZvm(site, { usageAlertAt: T0 }, T0 + DAY);
    await seedZvm(site, { disconnectedAt: T0 + 15 * DAY }, T0 + 16 * DAY);
    const el = await mountBanner({ site, clock: testClock(T0 + 16 * DAY), attrs: zvmAttrs });
    await until(() => part(el, 'title') !== null, 5000, 'the stored state in zvm mode');
    expect(el.view?.phase).to.equal('disconnected');
    expect(part(el, 'title')?.textContent).to.match(/^VRAs disconnected since /);
    expect(visibleText(el)).to.contain(
      'and has stopped communicating with its VRAs. It will not communicate with them until this issue is resolved.',
    );
    expect(part(el, 'countdown')).to.equal(null);
  });
});

describe('<zerto-billing-banner> announcements and events', () => {
  it('announces an escalation once, not at every tick', async () => {
    const site = uniqueSite();
    const clock = testClock(T0 + 14 * DAY);
    await seedWarning(site, T0, T0 + 14 * DAY);
    const el = await mountBanner({ site, clock });
    const region = el.shadowRoot!.querySelector('[role="alert"]')!;
    const changes: string[] = [];
    new MutationObserver(() => changes.push(region.textContent ?? '')).observe(region, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    for (let i = 0; i < 5; i++) {
      clock.advance(HOUR);
      el.refresh();
      await el.updateComplete;
    }
    expect(changes, 'ticks inside the warning announce nothing').to.deep.equal([]);
    clock.set(T0 + 15 * DAY + HOUR);
    el.refresh();
    await el.updateComplete;
    for (let i = 0; i < 5; i++) {
      clock.advance(HOUR);
      el.refresh();
      await el.updateComplete;
    }
    await new Promise((r) => setTimeout(r, 0));
    expect(changes.filter((c) => c.includes('This console cannot see the VRAs'))).to.have.length(1);
    expect(changes).to.have.length(1);
  });

  it('fires state-change with phase, deadline and days left, and disconnect on the escalation', async () => {
    const site = uniqueSite();
    const clock = testClock(T0 + 14 * DAY);
    await seedWarning(site, T0, T0 + 14 * DAY);
    const changes: StateChangeDetail[] = [];
    const listener = (e: Event) => changes.push((e as CustomEvent<StateChangeDetail>).detail);
    document.addEventListener('zerto-billing-state-change', listener);
    try {
      const el = await mountBanner({ site, clock });
      expect(changes.at(-1)).to.include({
        siteId: site.id,
        phase: 'warning',
        daysLeft: 1,
        deadline: T0 + 15 * DAY,
      });
      const disconnect = oneEvent(el, 'zerto-billing-disconnect');
      clock.set(T0 + 15 * DAY);
      el.refresh();
      const e = await disconnect;
      expect(e.detail).to.deep.equal({ siteId: site.id, deadline: T0 + 15 * DAY });
      expect(e.bubbles && e.composed).to.equal(true);
      expect(changes.at(-1)).to.include({ phase: 'disconnected', previousPhase: 'warning' });
    } finally {
      document.removeEventListener('zerto-billing-state-change', listener);
    }
  });

  it('lets the host read the current state synchronously', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + 5 * DAY);
    const el = await mountBanner({ site, clock: testClock(T0 + 5 * DAY) });
    expect(el.view).to.include({ phase: 'warning', daysLeft: 10, vraCommunicationAllowed: true });
  });
});

describe('<zerto-billing-banner> configuration and safety', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['grace-days', '-1', /grace-days: must be a finite number of days/],
    ['interval', 'soon', /interval: "soon" is not a duration/],
    ['alert-after', '0', /alert-after: must be a finite number of milliseconds/],
    ['mode', 'magic', /mode/],
    ['billing-url', 'javascript:alert(1)', /billing-url: must be an absolute http\(s\) URL/],
  ];
  for (const [attr, value, message] of bad) {
    it(`shows a clear configuration message for ${attr}="${value}" instead of a state`, async () => {
      const errors = oneEvent(document, 'zerto-billing-config-error');
      const original = console.error;
      console.error = () => {};
      try {
        const el = await fixture(
          html`<zerto-billing-banner site-id="s" mode="direct" protected-vms="1"></zerto-billing-banner>`,
        );
        el.setAttribute(attr, value);
        await (el as unknown as { updateComplete: Promise<unknown> }).updateComplete;
        const msg = part(el, 'config-error');
        expect(msg?.textContent).to.match(message);
        expect(msg?.getAttribute('role')).to.equal('alert');
        expect(part(el, 'banner')).to.equal(null);
        expect((await errors).detail.message).to.match(message);
      } finally {
        console.error = original;
      }
    });
  }

  it('renders markup and script in a site name as text', async () => {
    const site = uniqueSite('<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>');
    await seedWarning(site, T0, T0 + DAY);
    const el = await mountBanner({ site, clock: testClock(T0 + DAY) });
    expect(el.shadowRoot!.querySelector('img, script')).to.equal(null);
    expect(part(el, 'message')?.textContent).to.contain('<img src=x onerror=');
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('keeps its look whatever the host page’s CSS says, and keeps its own CSS inside', async () => {
    const style = document.createElement('style');
    style.textContent = `* { color: rgb(255, 0, 0) !important; font-size: 40px !important; letter-spacing: 9px; text-transform: uppercase; }
      section, h2, p { display: none !important; }`;
    document.head.append(style);
    const outside = document.createElement('p');
    outside.className = 'title message banner';
    outside.textContent = 'host text';
    document.body.append(outside);
    try {
      const site = uniqueSite();
      await seedWarning(site, T0, T0 + DAY);
      const el = await mountBanner({ site, clock: testClock(T0 + DAY) });
      el.style.removeProperty('font-size');
      const title = part(el, 'title')!;
      const cs = getComputedStyle(title);
      expect(cs.display).to.not.equal('none');
      expect(cs.textTransform).to.equal('none');
      expect(cs.letterSpacing).to.equal('normal');
      expect(getComputedStyle(part(el, 'banner')!).borderInlineStartWidth).to.equal('6px');
      // The banner's rules for .title, .message and .banner do not reach the page.
      expect(getComputedStyle(outside).borderInlineStartWidth).to.equal('0px');
      expect(getComputedStyle(outside).fontWeight).to.equal('400');
    } finally {
      style.remove();
      outside.remove();
    }
  });
});

describe('<zerto-billing-banner> test usage transmission', () => {
  it('runs the usage transmission (not a reachability check) and shows its result in place', async () => {
    const site = uniqueSite();
    await seedWarning(site, T0, T0 + DAY);
    const el = await mountBanner({ site, clock: testClock(T0 + DAY) });
    const result = oneEvent(el, 'zerto-billing-test-result');
    (part(el, 'test-link') as HTMLButtonElement).click();
    const e = await result;
    expect(e.detail).to.include({ ok: false });
    await el.updateComplete;
    expect(part(el, 'test-result')?.textContent).to.equal(
      'Usage was not sent: the server could not be reached: link cut by the test',
    );
    expect(part(el, 'test-result')?.getAttribute('role')).to.equal('status');
  });

  it("in reachability mode, checks the browser's own path, says so, and never reports usage as sent", async () => {
    const site = uniqueSite();
    const el = await mountBanner({
      site,
      clock: testClock(T0),
      attrs: { mode: 'reachability', 'billing-url': 'http://127.0.0.1:9/', timeout: '2s', 'show-ok': '' },
    });
    // Its first check sees no usage at all: it says so, as its own notice, never as an all-clear.
    await until(() => part(el, 'test-link') !== null, 8000, 'the reachability notice');
    expect(part(el, 'title')?.textContent).to.equal('Billing usage cannot be checked');
    const result = oneEvent(el, 'zerto-billing-test-result');
    (part(el, 'test-link') as HTMLButtonElement).click();
    await result;
    await el.updateComplete;
    expect(part(el, 'test-result')?.textContent).to.match(
      /^This browser could not reach the billing host: the server could not be reached/,
    );
    expect(el.view?.phase).to.equal('unknown');
  });
});

describe('<zerto-billing-banner external> (fed by the extension)', () => {
  it('shows a state fed through the document event, validated, without storage or polling', async () => {
    const site = uniqueSite();
    const fed = await seedWarning(site, T0, T0 + 4 * DAY);
    const el = await fixture<ZertoBillingBanner>(
      html`<zerto-billing-banner
        external
        site-id=${site.id}
        mode="reachability"
        .clock=${testClock(T0 + 4 * DAY)}
      ></zerto-billing-banner>`,
    );
    await el.updateComplete;
    expect(el.view).to.equal(null);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...a: unknown[]) => errors.push(a);
    try {
      document.dispatchEvent(
        new CustomEvent('zerto-billing-external-state', { detail: '{"state": {"v": 1, "broken": true}}' }),
      );
      // The schema that checks it loads on demand: the refusal is reported once it has.
      await until(() => errors.length > 0, 5000, 'the malformed state to be refused');
      expect(el.view).to.equal(null);
      expect(errors).to.have.length(1);
    } finally {
      console.error = original;
    }
    document.dispatchEvent(
      new CustomEvent('zerto-billing-external-state', { detail: JSON.stringify({ state: fed }) }),
    );
    await until(() => el.view !== null, 5000, 'the fed state to be taken');
    await el.updateComplete;
    expect(part(el, 'countdown')?.textContent).to.equal('within 11 days');
  });
});

describe('<zerto-billing-banner external>: its usage test runs where its feeder runs it', () => {
  it('asks its feeder (zerto-billing-test-request), shows the result the feeder sends back, and runs nothing in the page', async () => {
    const site = uniqueSite();
    const fed = await seedWarning(site, T0, T0 + 4 * DAY);
    const el = await fixture<ZertoBillingBanner>(
      html`<zerto-billing-banner
        external
        site-id=${site.id}
        mode="direct"
        billing-url="http://127.0.0.1:9"
        .clock=${testClock(T0 + 4 * DAY)}
      ></zerto-billing-banner>`,
    );
    document.dispatchEvent(
      new CustomEvent('zerto-billing-external-state', { detail: JSON.stringify({ state: fed }) }),
    );
    await until(() => el.view !== null, 5000, 'the fed state to be taken');
    await el.updateComplete;
    // A feeder as the extension's relay is: it takes the request and answers with text events.
    const asked: unknown[] = [];
    const feeder = (e: Event) => {
      asked.push(JSON.parse(String((e as CustomEvent).detail)));
      e.preventDefault();
      const answer = (detail: unknown) =>
        document.dispatchEvent(
          new CustomEvent('zerto-billing-test-progress', { detail: JSON.stringify(detail) }),
        );
      setTimeout(() => {
        answer({ siteId: 'another-site', result: { outcome: { ok: false, at: T0 }, steps: [] } });
        answer({ siteId: site.id, step: { id: 'reach', label: 'reach', status: 'done' } });
        answer({ siteId: site.id, result: { outcome: { ok: true, at: T0 + 4 * DAY }, steps: [] } });
      }, 50);
    };
    document.addEventListener('zerto-billing-test-request', feeder);
    try {
      const result = oneEvent(el, 'zerto-billing-test-result');
      (part(el, 'test-link') as HTMLElement).click();
      const e = await result;
      expect(asked).to.deep.equal([{ siteId: site.id }]);
      expect(e.detail.ok).to.equal(true);
      await el.updateComplete;
      expect(part(el, 'test-result')?.textContent).to.not.equal('');
      // Nothing ran in the page: billing-url is a closed port here, and a test in the page would have failed.
      expect(e.detail.reason).to.equal(null);
    } finally {
      document.removeEventListener('zerto-billing-test-request', feeder);
    }
  });
});
