// The zvm probe against the real ZVM simulator, where its clock or its CORS list differs from the browser's:
// days are counted on the ZVM's clock (skew from its serverDateTimeUtc, else its Date header), and a CORS
// refusal is named as one.
import { expect } from '@open-wc/testing';
import { createState, DAY, DEFAULT_POLICY, MINUTE, reduce, viewOf } from '../../src/core/index.ts';
import { parseSiteConfig, probeFor, type SiteConfig } from '../../src/world/probes/index.ts';
import { eventOf } from '../../src/world/poller/monitor.ts';
import { openBillingDb, storageConfig } from '../../src/world/storage/db.ts';
import { startServers, type Servers } from '../support/servers.ts';
import { until } from './frames.ts';

function config(zvmUrl: string): SiteConfig {
  const parsed = parseSiteConfig({
    siteId: 'skewed-site',
    siteName: 'Skewed DR',
    mode: 'zvm',
    zvmUrl,
    policy: DEFAULT_POLICY,
    timeoutMs: 2000,
    retries: 0,
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

async function probe(zvmUrl: string, token = 'demo-token') {
  storageConfig.dbName = `zbb-test-zvm-clock-${Math.random().toString(36).slice(2)}`;
  const db = await openBillingDb();
  try {
    return await probeFor('zvm', db).transmit({ config: config(zvmUrl), secrets: { token }, now: Date.now });
  } finally {
    db.close();
  }
}

describe('zvm probe: a ZVM whose clock is 3 days ahead of the browser', () => {
  let servers: Servers;
  before(async () => {
    // Its billing link is down for good (nothing listens on port 9): no transmission of it ever passes.
    servers = await startServers({ zvm: { billingUrl: 'http://127.0.0.1:9' }, zvmSkewMs: 3 * DAY });
  });
  after(() => servers.stop());

  it("measures the skew from the ZVM's Date header and counts the days left on the ZVM's clock", async () => {
    await servers.advanceZvm(DEFAULT_POLICY.alertAfter + MINUTE);
    const result = await probe(servers.zvmUrl);
    expect(result.zvm, 'the ZVM was read').to.not.equal(undefined);
    // Three days ahead from the start, and the day and a minute it was moved on since.
    const skew = 3 * DAY + DEFAULT_POLICY.alertAfter + MINUTE;
    expect(Math.abs(result.zvm!.skew - skew)).to.be.below(5000);
    // The ZVM raised its alert a minute ago by its clock: 15 days are left by its clock, in this frame too.
    const now = Date.now();
    expect(Math.abs(result.zvm!.usageAlertAt! - (now - MINUTE))).to.be.below(10_000);
    const state = reduce(
      createState({ id: 'skewed-site', name: 'Skewed DR' }, DEFAULT_POLICY, now, true),
      eventOf(config(servers.zvmUrl), result),
      now,
    );
    const v = viewOf(state, now);
    expect(v.phase).to.equal('warning');
    expect(v.daysLeft).to.equal(15);
    expect(Math.abs(v.skew! - skew)).to.be.below(5000);
  });
});

describe('zvm probe: a ZVM that does not allow this origin (CORS)', () => {
  let servers: Servers;
  before(async () => {
    servers = await startServers({ zvm: { allowOrigins: ['https://console.elsewhere.example'] } });
  });
  after(() => servers.stop());

  it('cannot see, and says it is CORS, naming the ZVM and this origin; it is not "usage not sent"', async () => {
    const result = await probe(servers.zvmUrl);
    expect(result.blind).to.equal(true);
    expect(result.outcome.ok).to.equal(false);
    const reason = result.outcome.ok ? null : result.outcome.reason;
    expect(reason?.kind).to.equal('cors');
    expect(reason?.detail).to.contain(new URL(servers.zvmUrl).host);
    expect(reason?.detail).to.contain(location.origin);
    expect(eventOf(config(servers.zvmUrl), result).type).to.equal('blind');
  });

  it('says the ZVM could not be reached, naming its host, when nothing listens there', async () => {
    const result = await probe('http://127.0.0.1:9/');
    expect(result.blind).to.equal(true);
    const reason = result.outcome.ok ? null : result.outcome.reason;
    expect(reason?.kind).to.equal('network');
    expect(reason?.detail).to.contain('this browser could not connect to the ZVM at 127.0.0.1:9');
  });
});

describe('zvm probe: a ZVM whose own sendUsage hangs (it cannot reach the billing host)', () => {
  let servers: Servers;
  before(async () => {
    servers = await startServers({ zvm: { sendTimeoutMs: 3000 } });
  });
  after(() => servers.stop());

  it("still reads the ZVM's alerts: its usage alert is the state, and the cause is sendUsage's silence", async () => {
    // The simulator's first transmission (at its start) must have landed before the billing host hangs: one
    // still in flight under load could land after the clock moves on, and count as a success then.
    await until(
      async () => ((await servers.advanceZvm(1)) as { lastSuccessAt: number | null }).lastSuccessAt !== null,
      10_000,
      "the simulator's first transmission",
    );
    await servers.fault('hang');
    await servers.advanceZvm(DEFAULT_POLICY.alertAfter + MINUTE);
    storageConfig.dbName = `zbb-test-zvm-hang-${Math.random().toString(36).slice(2)}`;
    const db = await openBillingDb();
    try {
      const c = { ...config(servers.zvmUrl), timeoutMs: 1000 };
      const result = await probeFor('zvm', db).transmit({
        config: c,
        secrets: { token: 'demo-token' },
        now: Date.now,
      });
      expect(result.blind, 'the ZVM itself answered').to.equal(undefined);
      expect(result.zvm?.usageAlertAt).to.be.a('number');
      expect(result.zvm?.passed).to.equal(null);
      const reason = result.outcome.ok ? null : result.outcome.reason;
      expect(reason).to.deep.equal({
        kind: 'timeout',
        detail: 'the ZVM did not answer sendUsage within 1 s',
      });
      const event = eventOf(c, result);
      expect(event.type).to.equal('zvm');
    } finally {
      db.close();
      await servers.fault('none');
    }
  });
});

describe('zvm probe: a ZVM whose SiteName is longer than the stored limit', () => {
  let servers: Servers;
  before(async () => {
    servers = await startServers({
      zvm: { siteId: 'skewed-site', siteName: `${'🛰'.repeat(150)}${'x'.repeat(100)}` },
    });
  });
  after(() => servers.stop());

  it('cuts the name to 200 characters (code points, no half emoji) instead of refusing the site', async () => {
    const result = await probe(servers.zvmUrl);
    const name = result.site?.name ?? '';
    expect([...name]).to.have.length(200);
    expect(name.startsWith('🛰'.repeat(150))).to.equal(true);
    // Read, not refused: its alerts are the state (its own reports fail here, as their name is too long too).
    expect(result.blind).to.equal(undefined);
    expect(result.zvm).to.not.equal(undefined);
  });
});
