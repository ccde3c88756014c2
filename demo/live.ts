// The live scenario: the banner in zvm mode against the ZVM simulator, which sends usage to the reference
// billing server. The demo's clock follows the simulator's, so both move forward together.
import { DAY, HOUR } from '../src/core/index.ts';
import { readLocalSite } from '../src/protocol/zvm.ts';
import type { DemoServers, StoryContext } from './stories.ts';

/**
 * What the demo server answers besides the addresses: each server's control token, for the buttons below
 * (faults, clock). It comes from the demo server's own origin, never in a URL.
 */
interface LiveServers extends DemoServers {
  control?: { billing: string; zvm: string };
}

interface SimState {
  now: string;
  phase: string;
  vras: Array<{ VraName: string; Status: string }>;
}

export async function mountLive(
  ctx: StoryContext,
  freshDb: (id: string) => Promise<void>,
): Promise<HTMLElement> {
  const root = document.createElement('div');
  ctx.canvas.append(root);
  const servers = ctx.servers as LiveServers | null;
  if (!servers) {
    const p = document.createElement('p');
    p.textContent = 'The live scenario needs the real servers: run `npm start` and open the URL it prints.';
    root.append(p);
    return root;
  }
  await freshDb('live');
  const auth = { authorization: `Bearer ${servers.token}` };
  const control = (server: 'billing' | 'zvm') => ({ 'x-control-token': servers.control?.[server] ?? '' });
  const sim = async (): Promise<SimState> =>
    (await fetch(`${servers.zvmUrl}/control/state`, { headers: control('zvm') })).json() as Promise<SimState>;
  // Read as the banner reads it: the simulator speaks Zerto 10's dialect by default (camelCase, the id only in
  // its link), a Windows ZVM's with --dialect windows.
  const local = readLocalSite(
    await (await fetch(`${servers.zvmUrl}/v1/localsite`, { headers: auth })).json(),
  );
  if (!local.ok || !local.value.id) {
    const p = document.createElement('p');
    p.textContent = `The ZVM simulator's /v1/localsite could not be read: ${local.ok ? 'no site identifier' : local.error}`;
    root.append(p);
    return root;
  }
  const site = { id: local.value.id, name: local.value.name ?? local.value.id };
  let offset = Date.parse((await sim()).now) - Date.now();
  const clock = () => Date.now() + offset;

  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string>) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    return el;
  };
  const common = {
    mode: 'zvm',
    'zvm-url': servers.zvmUrl,
    'site-id': site.id,
    'site-name': site.name,
    timeout: '6s',
  };
  const banner = make('zerto-billing-banner', { ...common, 'show-ok': '' });
  const test = make('zerto-usage-test', common);
  for (const el of [banner, test]) Object.assign(el, { token: servers.token, clock });
  const alerts = make('zerto-billing-alerts', { 'site-id': site.id });
  const sites = make('zerto-billing-sites', {});
  Object.assign(sites, { clock });

  const status = document.createElement('p');
  status.setAttribute('role', 'status');
  const vras = document.createElement('ul');
  vras.className = 'vras';
  const buttons = document.createElement('div');
  buttons.className = 'buttons';
  let linkUp = true;

  const refresh = async () => {
    const s = await sim();
    status.textContent = `Billing link ${linkUp ? 'up' : 'CUT'} · simulator clock ${new Date(s.now).toUTCString()} · ZVM phase ${s.phase}`;
    vras.replaceChildren(
      ...s.vras.map((v) => {
        const li = document.createElement('li');
        li.className = `vra-${v.Status}`;
        li.textContent = `${v.VraName}: ${v.Status}`;
        return li;
      }),
    );
    banner.refresh();
    test.refresh();
    void alerts.reload();
    void sites.reload();
  };
  const button = (label: string, action: () => Promise<unknown>) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await action();
        await refresh();
      } finally {
        b.disabled = false;
      }
    });
    buttons.append(b);
  };
  const fault = (mode: string) =>
    fetch(`${servers.billingUrl}/control/fault`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...control('billing') },
      body: JSON.stringify(mode === 'none' ? { mode } : { mode, status: 503 }),
    });
  const advance = async (ms: number) => {
    await fetch(`${servers.zvmUrl}/control/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...control('zvm') },
      body: JSON.stringify({ advanceMs: ms }),
    });
    offset = Date.parse((await sim()).now) - Date.now();
  };
  button('Cut the billing link', async () => {
    linkUp = false;
    await fault('error');
  });
  button('Restore the billing link', async () => {
    linkUp = true;
    await fault('none');
  });
  button('+1 hour', () => advance(HOUR));
  button('+1 day', () => advance(DAY));
  button('+15 days', () => advance(15 * DAY));
  // The simulator outlives the page and its clock only moves forward: this starts the outage over, a new
  // simulator at today's date and the billing link restored, and tells the story again on it.
  const reset = document.createElement('button');
  reset.type = 'button';
  reset.className = 'reset';
  reset.textContent = 'Start over (today, link up)';
  reset.addEventListener('click', async () => {
    reset.disabled = true;
    const res = await fetch('/__demo/live/reset', { method: 'POST' }).catch(() => null);
    if (res?.ok) location.reload();
    else {
      reset.disabled = false;
      status.textContent = 'The demo server could not start the simulation over.';
    }
  });
  buttons.append(reset);

  const section = (title: string, ...children: Node[]) => {
    const s = document.createElement('section');
    const h = document.createElement('h3');
    h.textContent = title;
    s.append(h, ...children);
    return s;
  };
  const grid = document.createElement('div');
  grid.className = 'live';
  const alertsSection = section('Monitoring > Alerts', alerts);
  alertsSection.className = 'wide';
  grid.append(section('ZVM simulator: VRAs', vras), section('Test usage transmission', test), alertsSection);
  root.append(buttons, status, banner, grid, section('Sites overview', sites));
  await refresh();
  return banner;
}
