// The Fleet story: one banner per site of the fleet service that `npm start` runs over simulated ZVMs in
// every state, each in mode="service" (it reads the service with the read-only API key, no ZVM credential in
// the page), and beside them what a NOC reads: the service's /metrics and the webhooks it posted. Everything
// from the servers is rendered by Lit as text.
import { html, nothing, render, type TemplateResult } from 'lit';
import type { FleetSiteInfo, WebhookEntry } from './fleet-servers.ts';
import type { StoryContext } from './stories.ts';

/** What the demo server says of its fleet (`/__demo/servers`). */
export interface DemoFleetAnswer {
  url: string;
  /** The service's read-only API key. */
  key: string;
  sites: FleetSiteInfo[];
}

const REFRESH_MS = 5000;

/** The /metrics families the story shows: per site, and the service's own counts. */
const SHOWN = [
  'zerto_fleet_site_status',
  'zerto_fleet_site_seconds_left',
  'zerto_fleet_site_cannot_see_seconds',
  'zerto_fleet_site_last_attempt_result',
  'zerto_fleet_sites',
  'zerto_fleet_attempts_total',
  'zerto_fleet_webhook_backlog',
];

/** The lines worth a glance: the families above, without the 0s of one-hot gauges. */
export function metricLines(text: string): string[] {
  return text.split('\n').filter((line) => {
    if (line === '' || line.startsWith('#')) return false;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
    if (!SHOWN.includes(name)) return false;
    const oneHot = name === 'zerto_fleet_site_status' || name === 'zerto_fleet_site_last_attempt_result';
    if (oneHot || name === 'zerto_fleet_site_cannot_see_seconds') return !/ 0$/.test(line);
    return true;
  });
}

const SCENARIO_LABEL: Record<FleetSiteInfo['scenario'], string> = {
  ok: 'ok',
  warning: 'warning',
  'last-day': 'last day',
  disconnected: 'disconnected',
  'cannot-see': 'cannot see',
};

type Read<T> =
  { status: 'loading' } | { status: 'ready'; value: T; at: number } | { status: 'failed'; error: string };

async function readText(url: string, init?: RequestInit): Promise<string> {
  const res = await fetch(url, { cache: 'no-store', ...init });
  if (!res.ok) throw new Error(`${new URL(url).pathname} answered HTTP ${res.status}`);
  return res.text();
}

const time = (t: number | string) => new Date(t).toLocaleTimeString();

export async function mountFleet(
  ctx: StoryContext,
  freshDb: (id: string) => Promise<void>,
): Promise<HTMLElement> {
  const root = document.createElement('div');
  ctx.canvas.append(root);
  const fleet = (ctx.servers as { fleet?: DemoFleetAnswer | null } | null)?.fleet;
  if (!fleet) {
    const p = document.createElement('p');
    p.textContent = ctx.servers
      ? 'The fleet service is not running beside this demo server: restart `npm start`.'
      : 'The Fleet story needs the fleet service and its simulated ZVMs: run `npm start` and open the URL it prints.';
    root.append(p);
    return root;
  }
  await freshDb('fleet');

  const banners = new Map<string, HTMLElement>();
  for (const site of fleet.sites) {
    const el = document.createElement('zerto-billing-banner');
    const attrs: Record<string, string> = {
      mode: 'service',
      'service-url': fleet.url,
      'site-id': site.id,
      'site-name': site.name,
      timeout: '5s',
    };
    if (site.scenario === 'ok') attrs['show-ok'] = '';
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    // The service's read-only key: all a console needs to watch; it holds no ZVM credential.
    Object.assign(el, { token: fleet.key });
    banners.set(site.id, el);
  }

  let metrics: Read<string[]> = { status: 'loading' };
  let webhooks: Read<WebhookEntry[]> = { status: 'loading' };

  const sites = html`<ul class="fleet-sites">
    ${fleet.sites.map(
      (s) =>
        html`<li data-site=${s.id} data-scenario=${s.scenario}>
          <h3>${s.name} <span class="fleet-scenario">simulated: ${SCENARIO_LABEL[s.scenario]}</span></h3>
          <p class="muted">${s.how}</p>
          ${banners.get(s.id)}
        </li>`,
    )}
  </ul>`;

  const panel = <T>(
    title: TemplateResult,
    read: Read<T>,
    body: (value: T) => TemplateResult,
  ): TemplateResult =>
    html`<section>
      <h3>${title}</h3>
      ${
        read.status === 'loading'
          ? html`<p role="status">Reading…</p>`
          : read.status === 'failed'
            ? html`<p role="alert" class="fleet-failed">Could not read it: ${read.error}</p>`
            : html`<p class="muted" role="status">
                  Read at ${time(read.at)}, again every ${REFRESH_MS / 1000} s.
                </p>
                ${body(read.value)}`
      }
    </section>`;

  const view = () => html`
    <p>
      The fleet service watches these ZVMs for every console: each banner below is
      <code>mode="service"</code>, reading <code>${fleet.url}</code> with the service's read-only API key, so
      every console shows the same deadline and no ZVM credential reaches this page. A NOC reads the same
      state from <code>/metrics</code> and the webhooks the service posts on every transition.
    </p>
    <div class="fleet">
      ${sites}
      <div class="fleet-side">
        ${panel(
          html`<code>GET /metrics</code> (a few lines)`,
          metrics,
          (lines) => html`<pre class="fleet-metrics">${lines.join('\n')}</pre>`,
        )}
        ${panel(html`Webhook log (the demo's receiver)`, webhooks, (entries) =>
          entries.length === 0
            ? html`<p>No webhook yet: the service posts on transitions, not on healthy sites.</p>`
            : html`<ol class="fleet-webhooks">
                ${entries.map(
                  (e) =>
                    html`<li>
                      <strong>${e.type}</strong> ${e.siteName || e.siteId}: ${e.from || 'first read'} →
                      ${e.to}
                      <span class="muted"
                        >${time(e.receivedAt)} · signature
                        ${e.signature}${e.duplicate ? ' · a retry (same event id)' : nothing} · event
                        ${e.id}</span
                      >
                    </li>`,
                )}
              </ol>`,
        )}
      </div>
    </div>
  `;

  const refresh = async () => {
    const [m, w] = await Promise.allSettled([
      readText(`${fleet.url.replace(/\/+$/, '')}/metrics`, {
        headers: { Authorization: `Bearer ${fleet.key}` },
      }),
      readText('/__demo/fleet-webhooks').then(
        (t) => (JSON.parse(t) as { webhooks: WebhookEntry[] }).webhooks,
      ),
    ]);
    const failed = (r: PromiseRejectedResult) => String((r.reason as Error)?.message ?? r.reason);
    metrics =
      m.status === 'fulfilled'
        ? { status: 'ready', value: metricLines(m.value), at: Date.now() }
        : { status: 'failed', error: failed(m) };
    webhooks =
      w.status === 'fulfilled'
        ? { status: 'ready', value: w.value, at: Date.now() }
        : { status: 'failed', error: failed(w) };
    if (root.isConnected) render(view(), root);
  };

  render(view(), root);
  await refresh();
  const timer = setInterval(() => {
    // The story was left: stop reading.
    if (!root.isConnected) clearInterval(timer);
    else void refresh();
  }, REFRESH_MS);
  return banners.get(fleet.sites.find((s) => s.scenario === 'warning')?.id ?? '') ?? root;
}
