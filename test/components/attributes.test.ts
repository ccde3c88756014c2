// The banner reads its attributes at page load without zod (components/shared/attributes.ts, to stay within
// the byte budget); the poller checks what it is handed with the zod schemas. These properties hold the two
// to one set of rules: whatever the attribute parser accepts, the schema accepts unchanged, and a policy is
// good for `parsePolicy` exactly when it is good for `PolicySchema`.
import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import { configFromAttributes, type SiteAttributes } from '../../components/shared/attributes.ts';
import { parsePolicy, PolicySchema, parseWith } from '../../src/core/index.ts';
import { parseSiteConfig } from '../../src/world/probes/index.ts';

/** Absent half of the time (the default applies), else mostly good values with some bad ones among them. */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 2 });
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
const duration = mostly(
  fc.constantFrom('90s', '15m', '1h', '2d', '1.5h', ' 1h ', '3600000'),
  fc.oneof(
    fc.constantFrom('0', '500ms', '999d', 'soon', ''),
    fc.integer({ min: -10, max: 1e10 }).map(String),
  ),
);
const url = mostly(
  fc.constantFrom('https://autologs.zerto.com', 'http://127.0.0.1:9', 'https://zvm.example:9669/'),
  fc.constantFrom('javascript:alert(1)', 'ftp://x', 'not a url', ''),
);
const attributes: fc.Arbitrary<SiteAttributes> = fc.record({
  siteId: maybe(mostly(fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom('', 'x'.repeat(201)))),
  siteName: maybe(fc.string({ maxLength: 20 })),
  mode: maybe(
    mostly(fc.constantFrom('zvm', 'direct', 'reachability', 'custom'), fc.constantFrom('magic', '')),
  ),
  billingUrl: maybe(url),
  zvmUrl: maybe(url),
  protectedVms: maybe(
    fc.oneof(fc.integer({ min: -5, max: 2_000_000 }).map(String), fc.constantFrom('1.5', 'x')),
  ),
  interval: maybe(duration),
  alertAfter: maybe(duration),
  graceDays: maybe(
    fc.oneof(fc.double({ min: -1, max: 400, noNaN: true }).map(String), fc.constantFrom('', 'NaN')),
  ),
  timeout: maybe(mostly(fc.constantFrom('10s', '500ms', '2m'), duration)),
});

describe('a property a framework unset', () => {
  it('reads undefined as not given, as null (React sets a removed prop to undefined)', () => {
    const given = { siteId: 's-1', mode: 'direct', billingUrl: 'https://billing.example' };
    const names = ['siteName', 'zvmUrl', 'protectedVms', 'interval', 'alertAfter', 'graceDays', 'timeout'];
    const absent = (v: null | undefined) =>
      configFromAttributes({
        ...Object.fromEntries(names.map((n) => [n, v])),
        ...given,
      } as unknown as SiteAttributes);
    const unset = absent(undefined);
    expect(unset.ok, unset.ok ? '' : unset.error).to.equal(true);
    expect(unset).to.deep.equal(absent(null));
  });
});

describe('attributes and the zod schemas agree', () => {
  it('every config the attribute parser accepts, the zod SiteConfigSchema accepts unchanged', () => {
    let accepted = 0;
    fc.assert(
      fc.property(attributes, (a) => {
        const parsed = configFromAttributes(a);
        if (!parsed.ok) {
          expect(parsed.error).to.be.a('string').and.not.equal('');
          return;
        }
        accepted++;
        const again = parseSiteConfig(parsed.value);
        expect(again.ok, !again.ok ? again.error : '').to.equal(true);
        if (again.ok) expect(again.value).to.deep.equal(parsed.value);
      }),
      { numRuns: 2000 },
    );
    expect(accepted, 'some random attributes were valid').to.be.greaterThan(20);
  });

  it('refuses, with a message naming the attribute, what the schema refuses', () => {
    fc.assert(
      fc.property(attributes, (a) => {
        const parsed = configFromAttributes(a);
        if (parsed.ok) return;
        // What the author wrote is named as they wrote it, never as a schema path.
        expect(parsed.error).to.not.match(/\bconfig\.|\bpolicy\./);
      }),
      { numRuns: 500 },
    );
  });

  it('a policy is good for parsePolicy exactly when it is good for PolicySchema', () => {
    const value = fc.oneof(
      fc.double(),
      fc.integer({ min: -10, max: 1e10 }),
      fc.constantFrom(NaN, Infinity, -Infinity, '15', null, 1000, 60_000, 1 / 24, 365, 365.0001),
    );
    fc.assert(
      fc.property(fc.record({ interval: value, alertAfter: value, graceDays: value }), (p) => {
        const hand = parsePolicy(p);
        const schema = parseWith(PolicySchema, 'policy', p);
        expect(hand.ok).to.equal(schema.ok);
        if (hand.ok && schema.ok) expect(hand.value).to.deep.equal(schema.value);
        if (!hand.ok && !schema.ok) expect(hand.error).to.equal(schema.error);
      }),
      { numRuns: 2000 },
    );
  });
});
