// End to end, in a real browser, over 30+ simulated days: the built banner (the script-tag build, as shipped,
// served under /built/ by test/support/built-plugin.ts) in zvm mode against the real ZVM simulator and the real
// billing receiver, through two outages and two recoveries. The ZVM is the authority
// (PRODUCT.md, "zvm"): after every step the banner's phase and deadline, and the active alerts of
// <zerto-billing-alerts>, must be what the simulator itself enforces at that moment.
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { DAY, HOUR, MINUTE } from '../../src/core/index.ts';
import type { ZertoBillingAlerts, ZertoBillingBanner } from '../../components/index.ts';
import type { StartPayload } from '../support/servers-plugin.ts';

// This page registers the elements from the built library only: no source element is imported here.
const BUILT = '/built/zerto-billing.js';
before(async () => {
  await import(/* @vite-ignore */ BUILT);
  // The script tag's file loads the elements' module as it runs, and they are defined once it has.
  const defined = customElements.whenDefined('zerto-billing-banner');
  const late = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`${BUILT} did not define the elements`)), 10_000),
  );
  await Promise.race([defined, late]);
});

/** Waits until the element has read its stored state and rendered it. */
async function settle(el: HTMLElement & { updateComplete: Promise<boolean> }): Promise<void> {
  await el.updateComplete;
  await new Promise((r) => setTimeout(r, 0));
  await el.updateComplete;
}

const USAGE_ALERT = 'LIC0012';
const DISCONNECTION_ALERT = 'LIC0013';
const GRACE = 15 * DAY;
/** Both sides count the deadline from the same clock: they must agree to the minute. */
const TOLERANCE = MINUTE;

/** An alert as the simulator's GET /v1/alerts lists it (only active alerts are listed). */
interface ZvmAlertRow {
  level: string;
  helpIdentifier: string;
  turnedOn: string;
  isDismissed: boolean;
}

/** What `servers:zvm-state` returns: the simulator's /control/state plus its GET /v1/alerts. */
interface ZvmState {
  nowMs: number;
  phase: string;
  deadlineMs: number | null;
  daysLeft: number | null;
  vras: Array<{ Status: string }>;
  alerts: ZvmAlertRow[];
  lastAttempt: { at: string; result: 'Passed' | 'Failed' } | null;
}

/** What the banner must show, taken from the simulator alone. */
interface Truth {
  /** 'quiet' = no billing alert yet, but the last transmission failed: no countdown may be shown. */
  phase: 'ok' | 'warning' | 'disconnected' | 'quiet';
  deadline: number | null;
  daysLeft: number | null;
  /** The simulator's active billing alerts, as `Level HelpIdentifier`, with their TurnedOn. */
  active: Array<{ kind: string; turnedOn: number }>;
}

const iso = (t: number | null | undefined) =>
  typeof t === 'number' && Number.isFinite(t) ? new Date(t).toISOString() : String(t);
const kindOf = (a: { level: string; helpIdentifier: string }) => `${a.level} ${a.helpIdentifier}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the product rule off the simulator's own state (PRODUCT.md, "zvm"). */
function truthOf(z: ZvmState, label: string): Truth {
  const billing = z.alerts.filter(
    (a) => a.helpIdentifier === USAGE_ALERT || a.helpIdentifier === DISCONNECTION_ALERT,
  );
  const active = billing
    .map((a) => ({ kind: kindOf(a), turnedOn: Date.parse(a.turnedOn) }))
    .sort((a, b) => a.kind.localeCompare(b.kind));
  const usage = billing.find((a) => a.helpIdentifier === USAGE_ALERT);
  const cut = billing.find((a) => a.helpIdentifier === DISCONNECTION_ALERT);
  const vrasDown = z.vras.length > 0 && z.vras.every((v) => v.Status === 'Disconnected');
  // The simulator must be coherent for its state to be the truth; if not, the scenario itself is broken.
  expect(
    vrasDown,
    `${label}: the simulator's VRAs are Disconnected exactly while LIC0013 is active`,
  ).to.equal(cut !== undefined);
  if (cut) {
    expect(z.phase, `${label}: the simulator's phase with its VRAs disconnected`).to.equal('disconnected');
    return { phase: 'disconnected', deadline: Date.parse(cut.turnedOn), daysLeft: 0, active };
  }
  if (usage) {
    expect(z.phase, `${label}: the simulator's phase with its usage alert on`).to.equal('warning');
    expect(
      Math.abs(z.deadlineMs! - (Date.parse(usage.turnedOn) + GRACE)),
      `${label}: the simulator's deadline is its usage alert's TurnedOn + 15 days`,
    ).to.be.below(TOLERANCE);
    return { phase: 'warning', deadline: z.deadlineMs, daysLeft: z.daysLeft, active };
  }
  expect(z.phase, `${label}: the simulator's phase without a billing alert`).to.equal('ok');
  const passed = z.lastAttempt?.result === 'Passed';
  return { phase: passed ? 'ok' : 'quiet', deadline: null, daysLeft: null, active };
}

for (const dialect of ['zerto10', 'windows'] as const)
  describe(`<zerto-billing-banner mode="zvm"> over 30 simulated days against the ZVM simulator (${dialect} dialect)`, () => {
    const siteId = `timeline-${dialect}-${Math.random().toString(36).slice(2, 8)}`;
    const siteName = 'Rotterdam DR';
    let set: { id: string; billingUrl: string; zvmUrl: string } | null = null;

    before(async () => {
      // The simulator's clock runs on its own date, 45 days behind the browser's: the banner's clock follows it.
      const started = await executeServerCommand<
        { id: string; billingUrl: string; zvmUrl: string | null },
        StartPayload
      >('servers:start', { zvm: { siteId, siteName, protectedVms: 12, dialect }, zvmSkewMs: -45 * DAY });
      set = { ...started, zvmUrl: started.zvmUrl ?? '' };
    });
    after(async () => {
      if (set) await executeServerCommand('servers:stop', { id: set.id });
    });

    const command = async <T>(name: string, payload: Record<string, unknown> = {}): Promise<T> => {
      if (!set) throw new Error('the reference servers did not start');
      return executeServerCommand<T, Record<string, unknown>>(name, { id: set.id, ...payload });
    };
    const zvmNow = () => command<number | null>('servers:zvm-now');
    const zvmState = async () => {
      const z = await command<ZvmState | null>('servers:zvm-state');
      if (!z) throw new Error('servers:zvm-state: no simulator');
      return z;
    };

    it('shows what the ZVM enforces after every step: warning, countdown, disconnection, recovery, a second outage', async function () {
      this.timeout(60_000);

      // The banner's clock is the simulator's: the same machine clock plus the same offset, and every advance
      // of the simulator is added to it right after.
      const before = Date.now();
      const simNow = await zvmNow();
      const after = Date.now();
      expect(simNow, 'servers:zvm-now').to.be.a('number');
      let offset = simNow! - (before + after) / 2;
      expect(offset, 'the simulator runs on its own date, not the browser’s').to.be.below(-44 * DAY);
      // The banner's own clock error (a clock turned back, then set right): the simulator's clock is not moved.
      let jump = 0;
      const clock = () => Date.now() + offset + jump;
      const simStart = clock();

      const banner = await fixture<ZertoBillingBanner>(
        html`<zerto-billing-banner
          site-id=${siteId}
          site-name=${siteName}
          mode="zvm"
          zvm-url=${set!.zvmUrl}
          interval="30m"
          timeout="5s"
          .token=${'demo-token'}
          .clock=${clock}
        ></zerto-billing-banner>`,
      );
      await settle(banner);
      const alertsEl = await fixture<ZertoBillingAlerts>(
        html`<zerto-billing-alerts site-id=${siteId}></zerto-billing-alerts>`,
      );

      /** The time of the banner's latest read of the ZVM (its latest attempt), in its clock. */
      const lastReadAt = (): number | null => {
        const state = (
          banner as unknown as { handle: { state: { lastAttemptAt?: number | null } | null } | null }
        ).handle?.state;
        return typeof state?.lastAttemptAt === 'number' ? state.lastAttemptAt : null;
      };

      /** How many clock jumps the banner's stored state has taken in. */
      const jumpsSeen = (): number =>
        (banner as unknown as { handle: { state: { clockJumps?: { count: number } } | null } | null }).handle
          ?.state?.clockJumps?.count ?? 0;

      /** Wakes the banner's poller until its state has taken in a jump of its own clock (no read is due then). */
      const jumpTakenIn = async (before: number, label: string) => {
        const give = Date.now() + 15_000;
        while (jumpsSeen() <= before) {
          if (Date.now() > give) throw new Error(`${label}: the banner never took in its clock's jump`);
          banner.refresh();
          await sleep(50);
        }
        await banner.updateComplete;
        await alertsEl.reload();
        await alertsEl.updateComplete;
      };

      /** Wakes the banner's poller until its state reflects a read of the ZVM made at or after `at`. */
      const rereadAfter = async (at: number, before: number | null, label: string) => {
        const give = Date.now() + 15_000;
        // A wake can land while a check is running and be absorbed by it: it is repeated until a read shows.
        // A new read, not the one before the step: after the banner's clock is turned back, the read before the
        // step can be later than the step by that clock.
        while ((lastReadAt() ?? -Infinity) < at || lastReadAt() === before) {
          if (Date.now() > give) {
            throw new Error(
              `${label}: the banner made no read of the ZVM after the step (its last attempt ${iso(lastReadAt())}, the step at ${iso(at)})`,
            );
          }
          banner.refresh();
          await sleep(50);
        }
        await banner.updateComplete;
        await alertsEl.reload();
        await alertsEl.updateComplete;
      };

      const problems: string[] = [];
      const trace: string[] = [];
      let stepNo = 0;

      /** Runs one step, lets the banner re-read the ZVM, and compares everything with the simulator. */
      const step = async (
        label: string,
        act: () => Promise<void>,
        /** The step only turns the banner's clock back: no read is due, the jump must be taken in. */
        jumpBack = false,
      ): Promise<{ z: ZvmState; t: Truth }> => {
        const name = `step ${++stepNo} (${label})`;
        const before = lastReadAt();
        const jumps = jumpsSeen();
        await act();
        const at = clock();
        if (jumpBack) await jumpTakenIn(jumps, name);
        else await rereadAfter(at, before, name);
        const z = await zvmState();
        expect(
          Math.abs(z.nowMs - (clock() - jump)),
          `${name}: the banner's clock is the simulator's, but for its own jump`,
        ).to.be.below(2000);
        const t = truthOf(z, name);
        const v = banner.view;
        const day = (z.nowMs - simStart) / DAY;
        trace.push(
          `${name} @ sim day ${day.toFixed(2)}: ZVM ${t.phase} deadline ${iso(t.deadline)} alerts [${t.active.map((a) => a.kind).join(', ')}]` +
            ` | banner ${v?.phase} deadline ${iso(v?.deadline)} daysLeft ${String(v?.daysLeft)} (its clock ${(jump / DAY).toFixed(0)} days off)`,
        );
        const fail = (what: string) => problems.push(`${name} @ sim ${iso(z.nowMs)}: ${what}`);
        if (!v) {
          fail('the banner has no state');
          return { z, t };
        }

        // Phase and deadline: what the ZVM enforces.
        if (t.phase === 'quiet') {
          if (v.phase === 'warning' || v.phase === 'disconnected')
            fail(`the ZVM has no billing alert, yet the banner shows '${v.phase}'`);
          if (v.deadline !== null) fail(`the ZVM has no deadline, yet the banner has ${iso(v.deadline)}`);
        } else {
          if (v.phase !== t.phase)
            fail(`phase: the ZVM enforces '${t.phase}', the banner shows '${v.phase}'`);
          if (t.deadline === null) {
            if (v.deadline !== null) fail(`deadline: the ZVM has none, the banner has ${iso(v.deadline)}`);
          } else if (v.deadline === null || Math.abs(v.deadline - jump - t.deadline) >= TOLERANCE) {
            // The banner's dates are in its own clock's frame: the ZVM's deadline moved by the banner's jump.
            fail(
              `deadline: the ZVM's is ${iso(t.deadline)}, the banner's ${iso(v.deadline)} in a frame ${jump} ms off` +
                (v.deadline === null
                  ? ''
                  : ` (${((v.deadline - jump - t.deadline) / DAY).toFixed(3)} days apart)`),
            );
          }
          if (t.phase === 'warning' && v.daysLeft !== t.daysLeft)
            fail(`days left: the ZVM counts ${t.daysLeft}, the banner ${v.daysLeft}`);
        }

        // <zerto-billing-alerts>: exactly the ZVM's active billing alerts, by kind, turned on when the ZVM's did.
        const shown = alertsEl.alerts
          .filter((a) => a.ResolvedOn === null)
          .map((a) => ({ kind: `${a.Level} ${a.HelpIdentifier}`, turnedOn: Date.parse(a.TurnedOn) }))
          .sort((a, b) => a.kind.localeCompare(b.kind));
        const kinds = (l: Truth['active']) => l.map((a) => a.kind).join(', ') || 'none';
        if (kinds(shown) !== kinds(t.active)) {
          fail(`active alerts: the ZVM lists [${kinds(t.active)}], <zerto-billing-alerts> [${kinds(shown)}]`);
        } else {
          t.active.forEach((a, i) => {
            const mine = shown[i]!.turnedOn - jump;
            if (Math.abs(mine - a.turnedOn) >= TOLERANCE)
              fail(
                `${a.kind} turned on at ${iso(a.turnedOn)} on the ZVM, at ${iso(mine)} in <zerto-billing-alerts>`,
              );
          });
        }
        return { z, t };
      };

      const advance = async (ms: number) => {
        const simState = await command<{ phase?: string } | null>('servers:advance', { ms });
        offset += ms;
        return simState;
      };
      // The receiver answers HTTP 500 to every report (see Fault in servers/billing/server.ts).
      const fault = () => command('servers:fault', { fault: { mode: 'error', status: 500 } });
      const heal = () => command('servers:fault', { fault: { mode: 'none' } });

      // Day 0: healthy. The banner's first poll sends usage through the ZVM.
      const start = await step('healthy at start', async () => {});
      expect(start.t.phase, 'premise: the simulator starts healthy').to.equal('ok');

      // First outage: the billing receiver fails; the ZVM's transmissions fail from now on.
      await step('billing receiver fails, +12 h', async () => {
        await fault();
        await advance(12 * HOUR);
      });
      const warned = await step('+13 h: 25 h without usage, the ZVM raises its usage alert', () =>
        advance(13 * HOUR).then(() => undefined),
      );
      expect(warned.t.phase, 'premise: the ZVM warns after 24 h without usage').to.equal('warning');
      const firstDeadline = warned.t.deadline!;

      for (let d = 1; d <= 5; d++) {
        const { t } = await step(`warning, countdown day ${d + 1}`, () => advance(DAY).then(() => undefined));
        expect(t.phase, 'premise: still in the grace period').to.equal('warning');
        expect(Math.abs(t.deadline! - firstDeadline), 'premise: the ZVM keeps its deadline').to.be.below(
          TOLERANCE,
        );
      }

      // The banner's computer has its clock turned back 40 days, then set right: neither moves the deadline the
      // ZVM enforces, nor the days left.
      const turnedBack = await step(
        'the banner’s clock is turned back 40 days',
        async () => {
          jump = -40 * DAY;
        },
        true,
      );
      expect(turnedBack.t.phase, 'premise: the ZVM is unmoved').to.equal('warning');
      await step('warning, a day later, the banner’s clock still 40 days behind', () =>
        advance(DAY).then(() => undefined),
      );
      await step('the banner’s clock is set right', async () => {
        jump = 0;
      });

      const cut = await step('+9 days: past the 15-day deadline, the ZVM disconnects its VRAs', () =>
        advance(9 * DAY).then(() => undefined),
      );
      expect(cut.t.phase, 'premise: the ZVM disconnected its VRAs').to.equal('disconnected');
      expect(
        Math.abs(cut.t.deadline! - firstDeadline),
        'premise: the disconnection alert turned on at the deadline',
      ).to.be.below(TOLERANCE);

      for (let d = 1; d <= 3; d++) {
        const { t } = await step(`disconnected, day ${d} after the deadline`, () =>
          advance(DAY).then(() => undefined),
        );
        expect(t.phase, 'premise: still disconnected').to.equal('disconnected');
      }

      // Recovery, run by the banner: 45 minutes is before the ZVM's own next transmission (hourly) but after
      // the banner's next poll (every 30 minutes), whose sendUsage now passes.
      const recovered = await step(
        'billing receiver healed, +45 min: the banner’s poll sends usage',
        async () => {
          await heal();
          const sim = await advance(45 * MINUTE);
          expect(sim?.phase, 'premise: the ZVM did not transmit on its own in those 45 minutes').to.equal(
            'disconnected',
          );
        },
      );
      expect(recovered.t.phase, 'premise: the sendUsage of the banner’s poll reconnected the ZVM').to.equal(
        'ok',
      );

      for (let d = 1; d <= 2; d++) {
        const { t } = await step(`ok, day ${d} after the recovery`, () => advance(DAY).then(() => undefined));
        expect(t.phase, 'premise: usage flows').to.equal('ok');
      }

      // Second outage: a new first alert, a new deadline.
      await step('billing receiver fails again, +12 h', async () => {
        await fault();
        await advance(12 * HOUR);
      });
      const warnedAgain = await step('+13 h: the ZVM raises a new usage alert', () =>
        advance(13 * HOUR).then(() => undefined),
      );
      expect(warnedAgain.t.phase, 'premise: the ZVM warns again').to.equal('warning');
      const secondDeadline = warnedAgain.t.deadline!;
      expect(
        secondDeadline - firstDeadline,
        'premise: the second outage has its own, later deadline',
      ).to.be.above(15 * DAY);

      for (let d = 1; d <= 3; d++) {
        await step(`second warning, countdown day ${d + 1}`, () => advance(DAY).then(() => undefined));
      }
      const late = await step('+7 days: second warning, a few days left', () =>
        advance(7 * DAY).then(() => undefined),
      );
      expect(late.t.phase, 'premise: still before the second deadline').to.equal('warning');
      expect(
        Math.abs(late.t.deadline! - secondDeadline),
        'premise: the ZVM keeps its second deadline',
      ).to.be.below(TOLERANCE);

      const recoveredAgain = await step(
        'billing receiver healed again, +45 min: the banner’s poll sends usage',
        async () => {
          await heal();
          await advance(45 * MINUTE);
        },
      );
      expect(recoveredAgain.t.phase, 'premise: the ZVM is reconnected').to.equal('ok');
      const last = await step('ok, a day after the second recovery', () =>
        advance(DAY).then(() => undefined),
      );
      expect(last.t.phase, 'premise: usage flows').to.equal('ok');

      const simulatedDays = (last.z.nowMs - start.z.nowMs) / DAY;
      expect(simulatedDays, 'the timeline covers at least 30 simulated days').to.be.at.least(30);

      if (problems.length > 0) {
        expect.fail(
          `The banner disagreed with the ZVM it watches (${problems.length} finding(s); the first is the first step that went wrong):\n` +
            problems.map((p) => `  - ${p}`).join('\n') +
            `\nAll steps:\n${trace.map((l) => `  ${l}`).join('\n')}`,
        );
      }
    });
  });
