// What the banner shows, with every text an operator reads there: loaded on demand by the banner
// (banner.component.ts) once there is something to show, so that a console whose billing is fine never
// downloads it. Functions of the element, not a second element.
import { html, nothing, svg, type TemplateResult } from 'lit';
import {
  chipText,
  deadlineLead,
  exportActionLabel,
  messageText,
  noteTexts,
  testActionLabel,
  testFailedText,
  testPassedText,
  titleText,
  type Message,
  type TextFormat,
} from '../../src/core/texts.ts';
import type { GraceView } from '../../src/core/view.ts';
import { deadlineText, formatAgo, formatSpan, within } from '../shared/format.ts';
import type { ZertoBillingBanner } from './banner.component.ts';

export { messageText };
type B = ZertoBillingBanner;

/** Times in the operator's locale (UTC for the very first paint, while Intl loads). */
const date =
  (b: B) =>
  (t: number): string =>
    deadlineText(t, b.lang || undefined, () => b.requestUpdate());

export function renderState(b: B, v: GraceView): TemplateResult | typeof nothing {
  if (v.phase === 'warning' || v.phase === 'disconnected') return renderAlert(b, v);
  // Cannot see, not confirmed, recovered: each said in its own words, never as silence.
  if (v.message) return renderNotice(b, v, v.message);
  if (!b.showOk) return nothing;
  if (v.phase === 'unknown')
    return html`<span part="chip" class="chip unknown">${chipText(v, formats(b))}</span>`;
  return html`<span part="chip" class="chip ok">${icon('ok')} ${chipText(v, formats(b))}</span>`;
}

/** How this element writes times: the operator's locale (UTC for the very first paint). */
const formats = (b: B): TextFormat => ({
  date: date(b),
  ago: (ms) => formatAgo(ms, b.lang || undefined),
  span: formatSpan,
});

function heading(b: B, v: GraceView): string {
  return v.message
    ? titleText(v.message, { deadline: v.deadline, since: v.disconnectedAt ?? v.unconfirmedSince }, date(b))
    : '';
}

/** What else the operator must know: a ZVM that cannot be read now, a clock that jumped or is skewed. */
function notes(b: B, v: GraceView): TemplateResult {
  return html`${noteTexts(v, formats(b)).map((l) => html`<p class="note" part="note">${l}</p>`)}`;
}

function renderAlert(b: B, v: GraceView): TemplateResult {
  const warning = v.phase === 'warning';
  const title = heading(b, v);
  const cls = `banner ${v.phase}${b.escalated ? ' escalated' : ''}${b.collapsed ? ' slim' : ''}`;
  const collapse = html`<button
    part="collapse-button"
    class="collapse"
    aria-expanded=${String(!b.collapsed)}
    aria-controls="details"
    @click=${() => (b.collapsed = !b.collapsed)}
  >
    ${b.collapsed ? 'Show details' : 'Collapse'}
  </button>`;
  if (b.collapsed) {
    return html`<section part="banner" class=${cls} aria-label=${title}>
      ${icon(warning ? 'warning' : 'error')}
      <p class="title" part="title">${title}</p>
      ${collapse}
    </section>`;
  }
  return html`<section part="banner" class=${cls} aria-label=${title}>
    ${icon(warning ? 'warning' : 'error')}
    <div class="body" id="details">
      <h2 class="title" part="title">${title}</h2>
      <p class="message" part="message">${messageWithCountdown(v)}</p>
      ${
        warning && v.deadline !== null && v.remaining
          ? html`<p class="deadline">
              ${deadlineLead(v.source)}
              <time part="deadline" datetime=${new Date(v.deadline).toISOString()}
                >${date(b)(v.deadline)}</time
              >.
            </p>`
          : nothing
      }
      ${notes(b, v)}
      <div class="actions" part="actions">${actions(b)}</div>
      ${exportResult(b)}
    </div>
    ${collapse}
  </section>`;
}

function actions(b: B): TemplateResult {
  return html`<button part="test-link" class="link" ?disabled=${b.testing} @click=${b.testConnection}>
      ${testActionLabel(b.mode ?? '', b.testing)}
    </button>
    <span part="test-result" class="test-result" role="status">${testResultText(b)}</span>
    ${exportButton(b)}`;
}

/** The manual-billing export: offered in every notice the banner shows, as the popup offers it for every site. */
function exportButton(b: B): TemplateResult {
  return html`<button part="export-button" class="link" ?disabled=${b.exporting} @click=${b.exportUsage}>
    ${exportActionLabel(b.exporting)}
  </button>`;
}

/** The exported file (name, checksum) or why the export failed, under the actions. */
function exportResult(b: B): TemplateResult {
  return html`${b.exported ? b.exported.render(b.exported.file, b.renderRoot as ShadowRoot) : nothing}
  ${b.exportError ? html`<p class="message" role="alert">${b.exportError}</p>` : nothing}`;
}

/** The alert text with its countdown marked, so that the live "within N days" can be styled and read. */
function messageWithCountdown(v: GraceView): TemplateResult {
  const text = v.message ? messageText(v.message) : '';
  if (!v.remaining) return html`${text}`;
  const marker = within(v.remaining);
  const at = text.indexOf(marker);
  if (at < 0) return html`${text}`;
  return html`${text.slice(0, at)}<strong part="countdown" class="countdown">${marker}</strong>${text.slice(
      at + marker.length,
    )}`;
}

/** Recovered, cannot see, not confirmed: a notice in its own colour, with the test where it helps. */
function renderNotice(b: B, v: GraceView, m: Message): TemplateResult {
  const ok = m.key === 'recovered';
  const title = heading(b, v);
  return html`<section part="banner" class="banner ${ok ? 'recovered' : 'unknown'}" aria-label=${title}>
    ${icon(ok ? 'ok' : 'warning')}
    <div class="body">
      <h2 class="title" part="title">${title}</h2>
      <p class="message" part="message">${messageText(m)}</p>
      ${notes(b, v)}
      <div class="actions" part="actions">${ok ? exportButton(b) : actions(b)}</div>
      ${exportResult(b)}
    </div>
  </section>`;
}

function testResultText(b: B): string {
  const r = b.testResult;
  if (!r) return '';
  const mode = b.mode ?? '';
  if (r.outcome.ok) return testPassedText(mode, hostOf(b.billingUrl ?? 'https://autologs.zerto.com'));
  return testFailedText(mode, r.outcome.reason);
}

function icon(kind: 'warning' | 'error' | 'ok'): TemplateResult {
  const label = kind === 'ok' ? 'OK' : kind === 'warning' ? 'Warning' : 'Error';
  const path =
    kind === 'ok'
      ? svg`<path d="M4 10.5l4 4 8-9" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`
      : kind === 'warning'
        ? svg`<path d="M10 2L1 18h18L10 2z" fill="currentColor"/><path d="M10 8v4.5M10 15v.5" stroke="#fff" stroke-width="2" stroke-linecap="round"/>`
        : svg`<circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M6.5 6.5l7 7M13.5 6.5l-7 7" stroke="#fff" stroke-width="2" stroke-linecap="round"/>`;
  return html`<svg part="icon" class="icon" viewBox="0 0 20 20" role="img" aria-label=${label}>${path}</svg>`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
