// The steps of "Test usage transmission to Zerto" and their outcome, as <zerto-usage-test> and the
// extension's popup show them: one renderer, so both say the same thing the same way. Every text comes from
// src/core/texts and goes through Lit (escaped).
import { html, nothing, type TemplateResult } from 'lit';
import {
  addressOf,
  CAUSE,
  causeText,
  CHECK_THAT,
  CLOCK_CHECK,
  FAILED_AT,
  STEP_LABELS,
  STEP_ORDER,
  STEP_STATUS_WORDS,
  stepDetailText,
  TECHNICAL_DETAIL,
  technicalText,
  testPassedText,
  THE_TRANSMISSION,
  whatToCheck,
} from '../../src/core/texts.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';

const byOrder = (a: TestStep, b: TestStep) => STEP_ORDER.indexOf(a.id) - STEP_ORDER.indexOf(b.id);

/** The steps shown when a test starts: the first one, running. */
export const startingSteps = (): TestStep[] => [{ id: STEP_ORDER[0]!, status: 'running' }];

/** The steps so far with one more change (a step started, done or failed), in order. */
export const withStep = (steps: readonly TestStep[], step: TestStep): TestStep[] =>
  [...steps.filter((s) => s.id !== step.id), step].sort(byOrder);

/**
 * The steps of a finished test: the result's, and any step shown while it ran that the result does not
 * list, as skipped (a step that appeared while running never vanishes from the result).
 */
export function resultSteps(live: readonly TestStep[], result: ProbeResult): TestStep[] {
  const out = [...result.steps];
  for (const s of live)
    if (!out.some((r) => r.id === s.id))
      out.push(s.status === 'running' ? { id: s.id, status: 'skipped' } : s);
  return out.sort(byOrder);
}

const MARKS: Record<TestStep['status'], string> = { running: '…', done: '✓', failed: '✗', skipped: '–' };

/** The list of steps, each with its mark, its status in words (for screen readers) and what it found. */
export function renderSteps(steps: readonly TestStep[]): TemplateResult {
  return html`<ol part="steps" class="steps" aria-live="polite">
    ${steps.map((s) => {
      const detail = stepDetailText(s);
      return html`<li part="step" class=${s.status} data-step=${s.id} data-status=${s.status}>
        <span class="mark" aria-hidden="true">${MARKS[s.status]}</span>
        <span
          ><strong>${STEP_LABELS[s.id]}</strong>
          <span class="visually-hidden">${STEP_STATUS_WORDS[s.status]}</span>
          ${detail ? html`<span class="detail">${detail}</span>` : nothing}</span
        >
      </li>`;
    })}
  </ol>`;
}

export interface OutcomeContext {
  /** The site's mode: what a success proves depends on it. */
  mode: string;
  /** The billing URL (or its host): the address the advice is about. */
  billingUrl: string;
  /** The ZVM's URL, in zvm mode: the address that failed when reading the ZVM failed. */
  zvmUrl?: string | undefined;
}

/**
 * What the test found: what a success proves, or which step failed, the cause once in words, what to check
 * for that address, and the technical detail apart (collapsed, for whoever debugs it).
 */
export function renderOutcome(r: ProbeResult, o: OutcomeContext): TemplateResult {
  if (r.outcome.ok)
    return html`<p part="success" class="success outcome" role="status" data-ok="true">
      ${testPassedText(o.mode, addressOf(o.billingUrl).host)}
    </p>`;
  const reason = r.outcome.reason;
  const failed = r.steps.find((s) => s.status === 'failed');
  const target = o.mode === 'zvm' && failed?.id === 'collect' && o.zvmUrl ? o.zvmUrl : o.billingUrl;
  const technical = technicalText(reason);
  return html`<div
    part="failure"
    class="failure outcome"
    role="alert"
    data-ok="false"
    data-kind=${reason.kind}
  >
    <p><strong>${FAILED_AT}: ${failed ? STEP_LABELS[failed.id] : THE_TRANSMISSION}.</strong></p>
    <p class="cause">${CAUSE}: ${causeText(reason)}.</p>
    <p>${CHECK_THAT}</p>
    <ul>
      ${whatToCheck(reason, target).map((h) => html`<li>${h}</li>`)}
      <li>${CLOCK_CHECK}</li>
    </ul>
    ${
      technical
        ? html`<details part="technical" class="technical">
            <summary>${TECHNICAL_DETAIL}</summary>
            <code>${technical}</code>
          </details>`
        : nothing
    }
  </div>`;
}

/** Logs a failed test's technical detail once, for whoever debugs it (the operator reads the words). */
export function logFailure(r: ProbeResult, where: string): void {
  if (r.outcome.ok) return;
  const { kind, status, detail } = r.outcome.reason;
  console.warn(
    `${where}: usage transmission test failed (${kind}${status === undefined ? '' : ` ${status}`})${detail ? `: ${detail}` : ''}`,
  );
}
