import { expect } from '@open-wc/testing';
import { DEFAULT_POLICY } from '../../src/core/index.ts';
import { countPending } from '../../src/world/outbox.ts';
import {
  parseSiteConfig,
  probeFor,
  type SiteConfig,
  type SiteConfigInput,
  type TestStep,
} from '../../src/world/probes/index.ts';
import { backoff } from '../../src/world/probes/http.ts';
import { openBillingDb, storageConfig, type Db } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';

let servers: Servers;
let db: Db;
let n = 0;

before(async () => {
  storageConfig.dbName = `zbb-test-probes-${Math.random().toString(36).slice(2)}`;
  db = await openBillingDb();
  servers = await startServers({ zvm: { siteId: 'zvm-site-1', siteName: 'Lisbon DR', protectedVms: 42 } });
});
after(async () => {
  await servers.stop();
  db.close();
});
afterEach(() => servers.fault('none'));

function config(over: Partial<SiteConfigInput> = {}): SiteConfig {
  const parsed = parseSiteConfig({
    siteId: `probe-site-${++n}`,
    siteName: 'Probe site',
    mode: 'direct',
    billingUrl: servers.billingUrl,
    protectedVms: 7,
    policy: DEFAULT_POLICY,
    timeoutMs: 800,
    retries: 0,
    ...over,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

async function transmit(c: SiteConfig, secrets = {}) {
  const steps: TestStep[] = [];
  const result = await probeFor(c.mode, db).transmit({
    config: c,
    secrets,
    now: () => Date.now(),
    onStep: (s) => steps.push(s),
  });
  return { result, steps };
}

const reasonOf = (r: Awaited<ReturnType<typeof transmit>>['result']) =>
  r.outcome.ok ? null : r.outcome.reason;

describe('direct probe against the reference billing server', () => {
  it('sends a usage report that the server acknowledges and stores, step by step', async () => {
    const c = config();
    const { result, steps } = await transmit(c);
    expect(result.outcome.ok).to.equal(true);
    const reportId = result.outcome.ok ? result.outcome.reportId : undefined;
    expect(reportId).to.be.a('string');
    expect(steps.filter((s) => s.status !== 'running').map((s) => [s.id, s.status])).to.deep.equal([
      ['collect', 'done'],
      ['reach', 'done'],
      ['ack', 'done'],
    ]);
    expect(steps.find((s) => s.id === 'collect' && s.status === 'done')?.usage).to.deep.equal({
      protectedVms: 7,
    });
    expect(steps.find((s) => s.id === 'ack')?.reportId).to.equal(reportId);
    const stored = (await servers.reports()).filter((r) => r.reportId === reportId);
    expect(stored).to.have.length(1);
    expect(stored[0]?.site.id).to.equal(c.siteId);
    expect(await countPending(db, c.siteId)).to.equal(0);
  });

  const faults: Array<[string, Parameters<Servers['fault']>, string, RegExp | null]> = [
    ['a 5xx answer', ['error', { status: 503 }], 'http', null],
    ['a server that never answers', ['hang'], 'timeout', /800 ms/],
    ['a connection reset', ['reset'], 'network', null],
    ['a slow answer past the timeout', ['slow', { delayMs: 3000 }], 'timeout', null],
    ['malformed JSON', ['malformed'], 'bad-answer', /wrong shape/],
    ['an HTML page instead of JSON', ['html'], 'bad-answer', /HTML/],
    ['JSON of the wrong shape', ['wrong-shape'], 'bad-answer', /wrong shape/],
    ['an oversized answer', ['oversized'], 'bad-answer', /larger than expected/],
  ];
  for (const [name, fault, kind, detail] of faults) {
    it(`classifies ${name} as ${kind} and keeps the report queued`, async () => {
      await servers.fault(...fault);
      const c = config();
      const { result, steps } = await transmit(c);
      const reason = reasonOf(result);
      expect(reason?.kind).to.equal(kind);
      if (kind === 'http') expect(reason?.status).to.equal(503);
      if (detail) expect(reason?.detail).to.match(detail);
      expect(steps.some((s) => s.status === 'failed')).to.equal(true);
      expect(await countPending(db, c.siteId)).to.equal(1);
    });
  }

  it('still succeeds on a slow answer within the timeout', async () => {
    await servers.fault('slow', { delayMs: 200 });
    const { result } = await transmit(config({ timeoutMs: 3000 }));
    expect(result.outcome.ok).to.equal(true);
  });

  it('classifies a billing endpoint where nothing listens as a network failure', async () => {
    const { result, steps } = await transmit(config({ billingUrl: 'http://127.0.0.1:9' }));
    expect(reasonOf(result)?.kind).to.equal('network');
    expect(reasonOf(result)?.detail).to.contain('could not connect to 127.0.0.1:9');
    expect(steps.find((s) => s.status === 'failed')?.id).to.equal('reach');
  });

  it('retries a 5xx with backoff inside the attempt window, then gives up', async () => {
    await servers.fault('error', { status: 502 });
    const before = (await servers.stats()).received;
    const { result } = await transmit(config({ retries: 2 }));
    expect(reasonOf(result)?.status).to.equal(502);
    expect((await servers.stats()).received - before).to.equal(3);
  });

  it('reports a misconfiguration when direct mode has no usage counts', async () => {
    const { result } = await transmit(config({ protectedVms: undefined }));
    expect(reasonOf(result)?.kind).to.equal('misconfigured');
  });

  it('waits a jittered, growing, capped delay between retries', () => {
    expect(backoff(0, 500, 30_000, () => 1)).to.equal(500);
    expect(backoff(3, 500, 30_000, () => 1)).to.equal(4000);
    expect(backoff(10, 500, 30_000, () => 1)).to.equal(30_000);
    expect(backoff(3, 500, 30_000, () => 0.5)).to.equal(2000);
  });
});

describe('zvm probe against the ZVM simulator', () => {
  const zvm = (over: Partial<SiteConfigInput> = {}) =>
    config({ mode: 'zvm', zvmUrl: servers.zvmUrl, ...over });

  it('reads usage and the licence, asks the ZVM to send, and succeeds when it lists no billing alert', async () => {
    const { result, steps } = await transmit(zvm({ siteId: 'zvm-site-1' }), { token: 'demo-token' });
    expect(result.outcome.ok).to.equal(true);
    expect(result.site).to.deep.equal({ id: 'zvm-site-1', name: 'Lisbon DR' });
    expect(result.usage?.protectedVms).to.equal(42);
    expect(steps.filter((s) => s.status === 'done').map((s) => s.id)).to.deep.equal([
      'collect',
      'reach',
      'ack',
    ]);
  });

  it('classifies missing credentials as an auth failure', async () => {
    const { result } = await transmit(zvm());
    expect(reasonOf(result)).to.include({ kind: 'auth', status: 401 });
  });

  it('accepts an x-zerto-session header from the host (a Windows ZVM)', async () => {
    const win = await startServers({ zvm: { siteId: 'win-site', siteName: 'Porto', dialect: 'windows' } });
    try {
      const res = await fetch(`${win.zvmUrl}/v1/session/add`, {
        method: 'POST',
        headers: { authorization: `Basic ${btoa('admin:admin')}` },
      });
      const session = res.headers.get('x-zerto-session');
      expect(session).to.be.a('string');
      const { result } = await transmit(zvm({ zvmUrl: win.zvmUrl }), { session: session! });
      expect(result.outcome.ok).to.equal(true);
      expect(result.zvm?.passed).to.equal(true);
    } finally {
      await win.stop();
    }
  });

  it('is not sent when the ZVM took the request but still lists its usage alert, and reports its own alert time', async () => {
    await servers.fault('error', { status: 503 });
    await servers.advanceZvm(DEFAULT_POLICY.alertAfter + 60_000);
    const { result } = await transmit(zvm({ alertsDelayMs: 50 }), { token: 'demo-token' });
    expect(reasonOf(result)?.kind).to.equal('rejected');
    expect(reasonOf(result)?.detail).to.match(
      /^the ZVM accepted the request; the ZVM still lists its usage alert/,
    );
    expect(result.blind).to.equal(undefined);
    expect(result.zvm?.usageAlertAt).to.be.a('number');
    expect(result.zvm?.disconnectedAt).to.equal(null);
    // Zerto 10 answers sendUsage with an empty 200: no verdict of its own.
    expect(result.zvm?.passed).to.equal(null);
    expect(result.zvm?.alerts?.[0]).to.include({
      kind: 'usage',
      recognised: true,
      helpIdentifier: 'LIC0012',
    });
    expect(result.steps.find((s) => s.id === 'reach')?.detail).to.contain('accepted the request');
  });

  it('cannot see, rather than alarms, when the ZVM refuses the credentials', async () => {
    const { result } = await transmit(zvm(), { token: 'expired' });
    expect(result.blind).to.equal(true);
    expect(result.zvm).to.equal(undefined);
    expect(reasonOf(result)?.kind).to.equal('auth');
    expect(reasonOf(result)?.detail).to.contain('give the element a valid token');
  });

  it('keeps the path of a ZVM behind a reverse proxy', async () => {
    const { result } = await transmit(zvm({ zvmUrl: `${location.origin}/no-such-prefix/` }), { token: 'x' });
    expect(reasonOf(result)).to.include({ kind: 'http', status: 404 });
    // The notice names the URL actually requested.
    expect(reasonOf(result)?.detail).to.contain('/no-such-prefix/v1/license');
  });

  it("reads a Windows ZVM's PascalCase answers exactly like Zerto 10's camelCase ones", async () => {
    const win = await startServers({
      zvm: { siteId: 'win-site', siteName: 'Porto', protectedVms: 5, dialect: 'windows' },
    });
    try {
      const { result } = await transmit(zvm({ zvmUrl: win.zvmUrl, siteId: 'win-site' }), {
        token: 'demo-token',
      });
      expect(result.outcome.ok).to.equal(true);
      expect(result.site).to.deep.equal({ id: 'win-site', name: 'Porto' });
      expect(result.usage?.protectedVms).to.equal(5);
    } finally {
      await win.stop();
    }
  });

  it("takes a zvm-url given with the API's own /v1 at its end", async () => {
    const { result } = await transmit(zvm({ zvmUrl: `${servers.zvmUrl}/v1` }), { token: 'demo-token' });
    expect(result.outcome.ok).to.equal(true);
  });

  it('classifies an HTML page where the ZVM API should be as an answer of the wrong shape', async () => {
    // A static folder whose v1/localsite is an HTML page, like a login page in front of the API.
    const { result } = await transmit(zvm({ zvmUrl: `${location.origin}/test/fixtures/html-api/` }), {
      token: 'x',
    });
    expect(reasonOf(result)?.kind).to.equal('bad-answer');
    expect(reasonOf(result)?.detail).to.contain('HTML');
  });
});

describe('reachability probe', () => {
  const reach = (over: Partial<SiteConfigInput> = {}) =>
    config({ mode: 'reachability', billingUrl: `${servers.billingUrl}/v1/health`, ...over });

  it('reports a billing host that answers as reached', async () => {
    const { result } = await transmit(reach());
    expect(result.outcome.ok).to.equal(true);
    expect(result.steps.find((s) => s.id === 'reach')?.status).to.equal('done');
  });

  it('reports a refused connection as a network failure', async () => {
    const { result } = await transmit(reach({ billingUrl: 'http://127.0.0.1:9/' }));
    expect(reasonOf(result)?.kind).to.equal('network');
  });

  it('reports a silent host as a timeout', async () => {
    await servers.fault('hang');
    const { result } = await transmit(reach({ timeoutMs: 300 }));
    expect(reasonOf(result)?.kind).to.equal('timeout');
  });
});

describe('custom probe', () => {
  const run = (fn: unknown) => {
    const c = config({ mode: 'custom', timeoutMs: 300 });
    return probeFor('custom', db, { custom: fn as never }).transmit({
      config: c,
      secrets: {},
      now: () => Date.now(),
    });
  };

  it('passes through what the host function answers', async () => {
    const r = await run(async () => ({ ok: true, reportId: 'r-1', protectedVms: 3 }));
    expect(r.outcome).to.include({ ok: true, reportId: 'r-1' });
    expect(r.usage).to.deep.equal({ protectedVms: 3 });
  });

  it('classifies an answer of the wrong shape', async () => {
    const r = await run(() => ({ fine: 'yes' }));
    expect(r.outcome.ok === false && r.outcome.reason.kind).to.equal('bad-answer');
  });

  it('classifies a function that throws, and one that never answers', async () => {
    const thrown = await run(() => {
      throw new Error('boom');
    });
    expect(thrown.outcome.ok === false && thrown.outcome.reason.detail).to.contain('boom');
    const hung = await run(() => new Promise(() => {}));
    expect(hung.outcome.ok === false && hung.outcome.reason.kind).to.equal('timeout');
  });

  it('reports a misconfiguration when no function was given', async () => {
    const r = await run(undefined);
    expect(r.outcome.ok === false && r.outcome.reason.kind).to.equal('misconfigured');
  });
});

describe('site configuration', () => {
  it('refuses a bad URL and a zvm mode without a ZVM URL with messages naming the field', () => {
    const bad = parseSiteConfig({
      siteId: 's',
      mode: 'direct',
      billingUrl: 'javascript:alert(1)',
      policy: DEFAULT_POLICY,
    });
    expect(bad.ok === false && bad.error).to.contain('config.billingUrl');
    const zvmless = parseSiteConfig({ siteId: 's', mode: 'zvm', policy: DEFAULT_POLICY });
    expect(zvmless.ok === false && zvmless.error).to.contain('config.zvmUrl');
  });
});
