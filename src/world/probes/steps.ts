import type { FailureReason } from '../../core/index.ts';
import type { ProbeContext, ProbeResult, StepId, TestStep, UsageSnapshot } from './types.ts';

/** Records the steps of one transmission and reports each change as it happens. */
export class Steps {
  readonly list: TestStep[] = [];
  constructor(private readonly ctx: ProbeContext) {}

  set(step: TestStep): void {
    const i = this.list.findIndex((s) => s.id === step.id);
    if (i >= 0) this.list[i] = step;
    else this.list.push(step);
    this.ctx.onStep?.({ ...step });
  }

  running(id: StepId, detail?: string): void {
    this.set({ id, status: 'running', ...(detail ? { detail } : {}) });
  }

  /**
   * Ends the transmission as failed at step `id`; later steps are marked skipped. The failed step keeps what
   * it was doing as its detail: the cause is in the outcome's reason, said once where the failure is shown.
   */
  fail(id: StepId, reason: FailureReason, extra: Partial<ProbeResult> = {}): ProbeResult {
    const doing = this.list.find((s) => s.id === id)?.detail;
    this.set({ id, status: 'failed', reason, ...(doing ? { detail: doing } : {}) });
    for (const later of ORDER.slice(ORDER.indexOf(id) + 1)) this.set({ id: later, status: 'skipped' });
    return { outcome: { ok: false, at: this.ctx.now(), reason }, steps: this.all(), ...extra };
  }

  succeed(
    usage: UsageSnapshot | undefined,
    reportId: string | undefined,
    extra: Partial<ProbeResult> = {},
  ): ProbeResult {
    return {
      outcome: { ok: true, at: this.ctx.now(), ...(reportId ? { reportId } : {}) },
      steps: this.all(),
      ...(usage ? { usage } : {}),
      ...extra,
    };
  }

  /**
   * Every step, in order: one this probe never took (a host page's probe collects nothing here) is listed
   * as skipped, so that a step shown while the test ran never vanishes from its result.
   */
  private all(): TestStep[] {
    return ORDER.map((id) => this.list.find((s) => s.id === id) ?? { id, status: 'skipped' as const });
  }
}

const ORDER: StepId[] = ['collect', 'reach', 'ack'];
