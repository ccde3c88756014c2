import { describeIssues } from '../../core/index.ts';
import { Steps } from './steps.ts';
import {
  CustomAnswerSchema,
  type CustomProbeFn,
  type Probe,
  type ProbeContext,
  type ProbeResult,
} from './types.ts';

/** A probe the host page passes in as a function; its answer is validated like any server's. */
export function customProbe(fn: CustomProbeFn | undefined): Probe {
  return {
    mode: 'custom',
    async transmit(ctx: ProbeContext): Promise<ProbeResult> {
      const steps = new Steps(ctx);
      if (typeof fn !== 'function')
        return steps.fail('collect', {
          kind: 'misconfigured',
          detail: 'custom mode needs a probe function (the `probe` property)',
        });
      steps.running('reach', 'running the host page’s probe');
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), ctx.config.timeoutMs);
      try {
        const answer = await Promise.race([
          Promise.resolve(fn({ signal: controller.signal, now: ctx.now() })),
          new Promise<'timeout'>((resolve) =>
            controller.signal.addEventListener('abort', () => resolve('timeout')),
          ),
        ]);
        if (answer === 'timeout')
          return steps.fail('reach', {
            kind: 'timeout',
            detail: `the probe did not answer within ${ctx.config.timeoutMs} ms`,
          });
        const parsed = CustomAnswerSchema.safeParse(answer);
        if (!parsed.success)
          return steps.fail('reach', {
            kind: 'bad-answer',
            detail: describeIssues('probe answer', parsed.error.issues, answer).slice(0, 300),
          });
        const a = parsed.data;
        if (!a.ok) return steps.fail('reach', a.reason);
        const usage = a.protectedVms === undefined ? undefined : { protectedVms: a.protectedVms };
        if (usage)
          steps.set({ id: 'collect', status: 'done', usage, detail: `${usage.protectedVms} protected VMs` });
        steps.set({ id: 'reach', status: 'done' });
        steps.set({ id: 'ack', status: 'done', ...(a.reportId ? { reportId: a.reportId } : {}) });
        return steps.succeed(usage, a.reportId);
      } catch (err) {
        return steps.fail('reach', {
          kind: 'network',
          detail: `the probe threw: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300),
        });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
