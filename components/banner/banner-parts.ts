// What the banner shows, with every text an operator reads there: loaded on demand by the banner
// (banner.component.ts) once there is something to show, so that a console whose billing is fine never
// downloads it. Functions of the element, not a second element.
import { adoptStyles, html, nothing, svg, type TemplateResult } from 'lit';
import { bannerStyles } from './banner-look.styles.ts';
import { controlStyles } from '../shared/controls.styles.ts';
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
  type Reader,
  type TextFormat,
} from '../../src/core/texts.ts';
import type { GraceView } from '../../src/core/view.ts';
import { deadlineText, formatAgo, formatSpan, within } from '../shared/format.ts';
import { partsLoaded, type ZertoBillingBanner } from './banner.component.ts';
import { TEST_PROGRESS_EVENT, TEST_REQUEST_EVENT } from '../shared/events.ts';
import { fireTestResult } from '../shared/test-result.ts';
import type { ProbeResult, TestStep } from '../../src/world/probes/index.ts';
import { loadPageHost } from '../../src/world/client.ts';

type B = ZertoBillingBanner;

/** Times in the operator's locale (UTC for the very first paint, while Intl loads). */
const date =
  (b: B) =>
  (t: number): string =>
    deadlineText(t, b.lang || undefined, () => b.requestUpdate());

/** Who reads the ZVM for this banner: the fleet service in `service` mode, else this console. */
const readerOf = (b: B): Reader =>
  b.mode === 'service' || (!b.mode && b.serviceUrl) ? 'service' : 'console';

/** A message as the live regions announce it, in this banner's reader's words. */
const say = (b: B, m: Message): string => messageText(m, readerOf(b));

/** Elements given the banner's look: it comes with this renderer, in the same update as its first render. */
const styled = new WeakSet<B>();

function renderState(b: B, v: GraceView): TemplateResult | typeof nothing {
  if (!styled.has(b)) {
    styled.add(b);
    const own = (b.constructor as typeof ZertoBillingBanner).elementStyles;
    adoptStyles(b.renderRoot as ShadowRoot, [...own, controlStyles, bannerStyles]);
  }
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
  return html`${noteTexts(v, formats(b), readerOf(b)).map((l) => html`<p class="note" part="note">${l}</p>`)}`;
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
      <p class="message" part="message">${messageWithCountdown(v, readerOf(b))}</p>
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
  return html`<button part="test-link" class="link" ?disabled=${b.testing} @click=${() => testConnection(b)}>
      ${testActionLabel(b.mode ?? '', b.testing)}
    </button>
    <span part="test-result" class="test-result" role="status">${testResultText(b)}</span>
    ${exportButton(b)}`;
}

/** The manual-billing export: offered in every notice the banner shows, as the popup offers it for every site. */
function exportButton(b: B): TemplateResult {
  return html`<button
    part="export-button"
    class="link"
    ?disabled=${b.exporting}
    @click=${() => exportUsage(b)}
  >
    ${exportActionLabel(b.exporting)}
  </button>`;
}

/** The exported file (name, checksum) or why the export failed, under the actions. */
function exportResult(b: B): TemplateResult {
  return html`${b.exported ? b.exported.render(b.exported.file, b.renderRoot as ShadowRoot) : nothing}
  ${b.exportError ? html`<p class="message" role="alert">${b.exportError}</p>` : nothing}`;
}

/** The alert text with its countdown marked, so that the live "within N days" can be styled and read. */
function messageWithCountdown(v: GraceView, reader: Reader): TemplateResult {
  const text = v.message ? messageText(v.message, reader) : '';
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
      <p class="message" part="message">${messageText(m, readerOf(b))}</p>
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

/** One click from any notice: this site's usage since before the outage, as CSV. */
async function exportUsage(b: B): Promise<void> {
  const v = b.view;
  if (!v || b.exporting) return;
  b.exporting = true;
  b.exportError = '';
  try {
    // Loaded on demand: the export is not part of what a console loads for the banner.
    const { quickExport, renderResult } = await import('../export/quick-export.ts');
    const service = b.siteHandle?.options.service;
    const source = service ? { url: service.url, token: b.token, getToken: b.getToken } : undefined;
    b.exported = {
      file: await quickExport(b.renderRoot as ShadowRoot, v, b.nowMs(), source),
      render: renderResult,
    };
  } catch (err) {
    b.exportError = `The export failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    b.exporting = false;
  }
}

/**
 * The vendor's action: in zvm mode the ZVM is asked to send usage (sendUsage), then its alerts are read
 * again; every element and tab hears the new state at once. In reachability mode, the browser's own path.
 * A banner fed from outside (the extension) asks its feeder to run it, from where the console's CSP and
 * CORS do not reach (the extension's service worker); it runs here only when nobody takes the request.
 */
async function testConnection(b: B): Promise<void> {
  const h = b.siteHandle;
  if (!h || b.testing) return;
  b.testing = true;
  b.testResult = null;
  try {
    const siteId = h.options.config.siteId;
    const elsewhere = b.external ? await testElsewhere(b, siteId) : null;
    const host = elsewhere ? null : await loadPageHost();
    const result = elsewhere ?? (await (b.mode === 'reachability' ? host!.reachSite(h) : host!.testSite(h)));
    b.testResult = result;
    fireTestResult(b, siteId, 'connection', result);
  } finally {
    b.testing = false;
  }
}

/**
 * Asks the banner's feeder to run the test (a cancelable `zerto-billing-test-request` whose detail is the
 * text `{"siteId": …}`), then hears its steps and result as `zerto-billing-test-progress` events on the
 * document (text again: only text crosses from an extension's world). Null when nobody took the request.
 */
function testElsewhere(b: B, siteId: string): Promise<ProbeResult | null> {
  const request = new CustomEvent(TEST_REQUEST_EVENT, {
    detail: JSON.stringify({ siteId }),
    bubbles: true,
    composed: true,
    cancelable: true,
  });
  return new Promise((resolve) => {
    const done = (r: ProbeResult | null) => {
      document.removeEventListener(TEST_PROGRESS_EVENT, hear);
      clearTimeout(timer);
      resolve(r);
    };
    const hear = (e: Event) => {
      let m: { siteId?: string; step?: TestStep; result?: ProbeResult; busy?: string };
      try {
        m = JSON.parse(String((e as CustomEvent<unknown>).detail)) as typeof m;
      } catch {
        return;
      }
      if (m.siteId !== siteId) return;
      if (m.result) done(m.result);
      else if (m.busy)
        done({
          outcome: { ok: false, at: b.nowMs(), reason: { kind: 'misconfigured', detail: m.busy } },
          steps: [],
        });
    };
    document.addEventListener(TEST_PROGRESS_EVENT, hear);
    // A feeder that took the request answers within the probe's own time limits; two minutes is beyond them.
    const timer = setTimeout(() => done(null), 120_000);
    if (b.dispatchEvent(request)) done(null); // nobody took it: the test runs in this page
  });
}

/** What the element calls in this module, handed over as it loads (a namespace import would cost a helper). */
export interface BannerParts {
  say: typeof say;
  renderState: typeof renderState;
}
partsLoaded({ say, renderState });
