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

  /** Ends the transmission as failed at step `id`; later steps are marked skipped. */
  fail(id: StepId, reason: FailureReason, extra: Partial<ProbeResult> = {}): ProbeResult {
    this.set({ id, status: 'failed', reason, ...(reason.detail ? { detail: reason.detail } : {}) });
    for (const later of ORDER.slice(ORDER.indexOf(id) + 1)) this.set({ id: later, status: 'skipped' });
    return { outcome: { ok: false, at: this.ctx.now(), reason }, steps: this.list, ...extra };
  }

  succeed(
    usage: UsageSnapshot | undefined,
    reportId: string | undefined,
    extra: Partial<ProbeResult> = {},
  ): ProbeResult {
    return {
      outcome: { ok: true, at: this.ctx.now(), ...(reportId ? { reportId } : {}) },
      steps: this.list,
      ...(usage ? { usage } : {}),
      ...extra,
    };
  }
}

const ORDER: StepId[] = ['collect', 'reach', 'ack'];
