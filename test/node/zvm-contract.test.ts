// The probe against ZVM answers generated from the published facts (../shared/spec/ZVM-API.md), not from our
// simulator: both dialects, random nulls in every nullable field, fields we do not know, other alerts mixed in,
// both TurnedOn forms, each kind of sendUsage answer, configured and unconfigured billing identifiers. Served
// by a real HTTP server on loopback and read by the real probe; its result goes through the real engine.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createState, DAY, DEFAULT_POLICY, graceMs, reduce, viewOf } from '../../src/core/index.ts';
import { DEFAULT_BILLING_ALERT_IDS, ZVM_PATHS } from '../../src/protocol/zvm.ts';
import { eventOf } from '../../src/world/poller/schedule.ts';
import { parseSiteConfig } from '../../src/world/probes/index.ts';
import { zvmProbe } from '../../src/world/probes/zvm.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What the stand-in ZVM answers, per route; a route left out answers 404 (an older ZVM). */
interface World {
  routes: Record<string, { status: number; body: string }>;
}

let world: World = { routes: {} };
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
    req.resume();
    const r = world.routes[`${req.method} ${path}`];
    if (!r) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'not found' }));
      return;
    }
    res.writeHead(r.status, r.body === '' ? {} : { 'content-type': 'application/json' });
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** PascalCase keys, as a Windows ZVM answers. */
function pascal(v: Json): Json {
  if (Array.isArray(v)) return v.map(pascal);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k[0]!.toUpperCase() + k.slice(1), pascal(x)]),
    );
  return v;
}

const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 3 });
const text = fc.string({ maxLength: 30 });
const link = (id: string): Json => ({
  rel: 'self',
  href: `https://zvm/v1/x/${id}`,
  type: 'x',
  identifier: id,
});
const extra = fc.dictionary(
  fc.constantFrom('zorgs', 'generation', 'somethingNew', 'platformInformation', 'loginBanner'),
  fc.oneof(text, fc.integer(), fc.constant(null)),
);

function timeText(ms: number, form: 'z' | 'offset' | 'msdate'): string {
  if (form === 'msdate') return `/Date(${ms}+0100)/`;
  if (form === 'z') return new Date(ms).toISOString();
  // The same instant, written two hours east.
  return `${new Date(ms + 2 * 3_600_000).toISOString().slice(0, 23)}+02:00`;
}

/** Alerts a real ZVM lists beside the billing ones: storage, VPG RPO, VRA; any field may be null. */
const otherAlert = fc.record({
  link: nullable(fc.uuid().map(link)),
  level: nullable(fc.constantFrom('Warning', 'Error')),
  entity: nullable(fc.constantFrom('VPG', 'VRA', 'Datastore', 'Host', 'Zvm')),
  isDismissed: nullable(fc.boolean()),
  helpIdentifier: nullable(fc.constantFrom('VPG0009', 'VRA0001', 'STR0001', 'ZVM0002')),
  site: nullable(fc.uuid().map(link)),
  description: nullable(
    fc.constantFrom(
      'VPG RPO exceeds its target',
      'The journal usage of VPG x is near its hard limit',
      'Datastore usage crossed 90%',
      'VRA lost its connection to the host',
    ),
  ),
  // Not a billing alert: its time may be anything at all, a zone-less one included.
  turnedOn: fc.oneof(fc.constant('2026-12-01T10:00:00'), fc.constant(null), fc.constant('garbage')),
  affectedVpgs: nullable(fc.array(fc.uuid().map(link), { maxLength: 2 })),
  affectedZorgs: fc.constant(null),
});

const scenario = fc.record({
  dialect: fc.constantFrom('zerto10', 'windows'),
  siteId: fc.uuid(),
  siteName: nullable(fc.constantFrom('Amsterdam DR', 'Site\u0000B', '\uD800lone', '<1 MB of x>')),
  version: nullable(text),
  license: fc.record({
    details: nullable(
      fc.record({
        licenseKey: nullable(text),
        licenseType: nullable(
          fc.constantFrom('Cloud', 'CloudOneToMany', 'Enterprise', 'Trial', 'Cloud\u0000', '<1 MB of L>'),
        ),
        expiryTime: nullable(fc.constant('2030-01-01T00:00:00Z')),
        maxVms: nullable(fc.nat(5000)),
      }),
    ),
    usage: nullable(
      fc.record({
        totalVmsCount: nullable(fc.nat(5000)),
        sitesUsage: nullable(
          fc.array(
            fc.record({
              siteIdentifier: nullable(fc.uuid()),
              siteName: nullable(text),
              protectedVmsCount: nullable(fc.nat(100)),
            }),
            { maxLength: 3 },
          ),
        ),
      }),
    ),
  }),
  billing: fc.constantFrom('none', 'usage', 'disconnection'),
  /**
   * A billing alert no setting names (its id is LIC0099, entity Licensing): it counts as a warning, or as the
   * disconnection when its words say the VRAs were cut off.
   */
  configured: fc.boolean(),
  /** Explicit settings (other ids than the defaults) or the defaults. */
  explicit: fc.boolean(),
  billingFields: fc.record({
    level: nullable(fc.constantFrom('Warning', 'Error')),
    isDismissed: nullable(fc.boolean()),
    description: nullable(
      fc.constantFrom(
        'The ZVM did not send site usage information for billing purposes',
        'x',
        'nul\u0000 and a lone \uDC00 surrogate',
        '<1 MB of d>',
      ),
    ),
    withId: fc.boolean(),
    /** Bytes that must not hide the alert: a NUL or a lone surrogate in its time. */
    timeNoise: fc.constantFrom('', '\u0000', '\uD800'),
  }),
  ageMs: fc.integer({ min: 60_000, max: 20 * DAY }),
  timeForm: fc.constantFrom<'z' | 'offset' | 'msdate'>('z', 'offset', 'msdate'),
  others: fc.array(otherAlert, { maxLength: 4 }),
  othersFirst: fc.boolean(),
  send: fc.constantFrom('', '"Passed"', '["Passed"]', 'Passed', '"Failed"', 'null'),
  serverTime: fc.boolean(),
  helpIds: fc.boolean(),
  extraLocal: extra,
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** A megabyte string, written as `<1 MB of x>` in the scenario so that a counterexample stays readable. */
function expand(v: Json): Json {
  if (typeof v === 'string') {
    const m = /^<1 MB of (.)>$/.exec(v);
    return m ? m[1]!.repeat(1 << 20) : v;
  }
  if (Array.isArray(v)) return v.map(expand);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]));
  return v;
}

function worldOf(s: Scenario, now: number): { world: World; turnedOn: number } {
  const win = s.dialect === 'windows';
  const shape = (v: Json) => (win ? pascal(v) : v);
  const usageId = s.explicit ? 'CUSTOM01' : DEFAULT_BILLING_ALERT_IDS.usage[0]!;
  const offId = s.explicit ? 'CUSTOM02' : DEFAULT_BILLING_ALERT_IDS.disconnection[0]!;
  const turnedOn = now - s.ageMs;
  const alerts: Json[] = s.others.map((o) => shape(o as unknown as Json));
  if (s.billing !== 'none') {
    const help = s.configured ? (s.billing === 'usage' ? usageId : offId) : 'LIC0099';
    const id = `alert-${s.siteId}`;
    const a: Json = {
      ...(s.billingFields.withId ? { link: link(id) } : {}),
      level: s.billingFields.level,
      entity: s.configured ? null : 'Licensing',
      isDismissed: s.billingFields.isDismissed,
      helpIdentifier: help,
      site: link(s.siteId),
      // One no setting names reads as what its own words say: a warning, or VRAs already cut off.
      description: s.configured
        ? s.billingFields.description
        : s.billing === 'usage'
          ? 'Billing usage warning'
          : 'Usage was not sent for billing purposes and the ZVM has stopped communicating with its VRAs',
      turnedOn: timeText(turnedOn, s.timeForm) + s.billingFields.timeNoise,
      affectedVpgs: null,
      affectedZorgs: null,
    };
    const shaped = shape(a) as Record<string, Json>;
    if (win && s.billingFields.withId) shaped.AlertIdentifier = id;
    if (s.othersFirst) alerts.push(shaped);
    else alerts.unshift(shaped);
  }
  const local: Record<string, Json> = {
    ...(s.extraLocal as Record<string, Json>),
    link: link(s.siteId),
    siteName: s.siteName,
    version: s.version,
    utcOffsetInMinutes: null,
  };
  const localShaped = shape(local) as Record<string, Json>;
  if (win) localShaped.SiteIdentifier = s.siteId;
  const ok = (body: Json) => ({ status: 200, body: JSON.stringify(expand(body)) });
  const routes: World['routes'] = {
    [`GET ${ZVM_PATHS.localSite}`]: ok(localShaped),
    [`GET ${ZVM_PATHS.license}`]: ok(shape(s.license as unknown as Json)),
    [`GET ${ZVM_PATHS.alerts}`]: ok(alerts),
    [`POST ${ZVM_PATHS.sendUsage}`]: { status: 200, body: s.send },
  };
  if (s.serverTime) routes[`GET ${ZVM_PATHS.serverTimeUtc}`] = ok(new Date(Date.now()).toISOString());
  if (s.helpIds)
    routes[`GET ${ZVM_PATHS.helpIdentifiers}`] = ok([usageId, offId, 'LIC0099', 'VPG0009', 'VRA0001']);
  return { world: { routes }, turnedOn };
}

describe('the probe reads what a real ZVM may answer (generated from the published facts)', () => {
  test('usage alert → warning with deadline TurnedOn + grace; disconnection → disconnected; neither → ok; never blind', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const now = Date.now();
        const built = worldOf(s, now);
        world = built.world;
        const config = parseSiteConfig({
          siteId: s.siteId,
          mode: 'zvm',
          zvmUrl: base,
          policy: DEFAULT_POLICY,
          retries: 0,
          timeoutMs: 5000,
          alertsDelayMs: 0,
          ...(s.explicit ? { usageAlertIds: 'CUSTOM01', disconnectionAlertIds: 'CUSTOM02' } : {}),
        });
        assert.ok(config.ok, config.ok ? '' : config.error);
        const result = await zvmProbe.transmit({
          config: config.value,
          secrets: { token: 't' },
          now: Date.now,
        });
        assert.notEqual(result.blind, true, `blind: ${JSON.stringify(result.outcome)}`);
        const at = Date.now();
        const state = reduce(
          createState({ id: s.siteId, name: '' }, DEFAULT_POLICY, now - 30 * DAY, true),
          eventOf(config.value, result),
          at,
        );
        const view = viewOf(state, at);
        if (s.billing === 'disconnection') assert.equal(view.phase, 'disconnected');
        else if (s.billing !== 'none') {
          assert.equal(view.phase, 'warning');
          assert.equal(state.deadline, built.turnedOn + graceMs(DEFAULT_POLICY));
          if (!s.configured)
            assert.match(result.outcome.ok ? '' : (result.outcome.reason.detail ?? ''), /LIC0099/);
        } else if (s.send === '"Failed"') assert.notEqual(view.phase, 'ok');
        else assert.equal(view.phase, 'ok');
      }),
      { numRuns: 150 },
    );
  });

  test('a time without a zone on a billing alert is a clear error, never a guess', async () => {
    world = {
      routes: {
        [`GET ${ZVM_PATHS.license}`]: { status: 200, body: '{"details":null,"usage":null}' },
        [`POST ${ZVM_PATHS.sendUsage}`]: { status: 200, body: '' },
        [`GET ${ZVM_PATHS.alerts}`]: {
          status: 200,
          body: JSON.stringify([
            { helpIdentifier: 'LIC0012', turnedOn: '2026-12-01T10:00:00', level: 'Warning' },
          ]),
        },
      },
    };
    const config = parseSiteConfig({
      siteId: 's',
      mode: 'zvm',
      zvmUrl: base,
      policy: DEFAULT_POLICY,
      retries: 0,
    });
    assert.ok(config.ok);
    const result = await zvmProbe.transmit({ config: config.value, secrets: {}, now: Date.now });
    assert.equal(result.blind, true);
    assert.ok(!result.outcome.ok);
    assert.match(result.outcome.reason.detail ?? '', /LIC0012.*without a time zone/);
  });

  test('a configured identifier the ZVM says it does not know is reported as a setup problem', async () => {
    world = {
      routes: {
        [`GET ${ZVM_PATHS.license}`]: { status: 200, body: '{}' },
        [`POST ${ZVM_PATHS.sendUsage}`]: { status: 200, body: '' },
        [`GET ${ZVM_PATHS.alerts}`]: { status: 200, body: '[]' },
        [`GET ${ZVM_PATHS.helpIdentifiers}`]: { status: 200, body: '["LIC0012","LIC0013"]' },
      },
    };
    const config = parseSiteConfig({
      siteId: 's',
      mode: 'zvm',
      zvmUrl: base,
      policy: DEFAULT_POLICY,
      retries: 0,
      usageAlertIds: 'LIC0012 NOPE01',
    });
    assert.ok(config.ok);
    const result = await zvmProbe.transmit({ config: config.value, secrets: {}, now: Date.now });
    assert.deepEqual(result.zvm?.unknownIds, ['NOPE01']);
    // The usage test says so beside its result.
    assert.match(
      result.steps.find((x) => x.id === 'ack')?.detail ?? '',
      /does not know the billing alert identifier NOPE01/,
    );
  });
});
