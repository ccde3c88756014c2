import { Steps } from './steps.ts';
import type { Probe, ProbeContext, ProbeResult } from './types.ts';

/**
 * Whether the billing host answers at all: what a browser can honestly tell without the server's
 * cooperation. A `no-cors` request resolves (opaquely) when anything answered, and fails when the
 * connection was refused, reset or could not be made; the timeout tells a silent host.
 */
export const reachabilityProbe: Probe = {
  mode: 'reachability',
  async transmit(ctx: ProbeContext): Promise<ProbeResult> {
    const steps = new Steps(ctx);
    steps.set({ id: 'collect', status: 'skipped', detail: 'a reachability check sends no usage' });
    const target = ctx.config.billingUrl;
    steps.running('reach', `connecting to ${new URL(target).host}`);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), ctx.config.timeoutMs);
    try {
      await fetch(target, {
        mode: 'no-cors',
        cache: 'no-store',
        credentials: 'omit',
        signal: controller.signal,
      });
      steps.set({ id: 'reach', status: 'done', detail: `${new URL(target).host} answered` });
      steps.set({ id: 'ack', status: 'skipped', detail: 'a reachability check sends no usage' });
      return steps.succeed(undefined, undefined);
    } catch (err) {
      if (controller.signal.aborted) {
        return steps.fail('reach', {
          kind: 'timeout',
          detail: `no answer from ${new URL(target).host} within ${ctx.config.timeoutMs} ms`,
        });
      }
      return steps.fail('reach', {
        kind: 'network',
        detail:
          `could not connect to ${new URL(target).host} (refused, reset, blocked or not resolved): ${err instanceof Error ? err.message : String(err)}`.slice(
            0,
            300,
          ),
      });
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  },
};
