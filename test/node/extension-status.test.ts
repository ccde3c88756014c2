// What the extension says of a site, as plain functions (no browser needed): every surface names a site's
// state from the same view (shared/status.ts), so a site whose ZVM refuses the credentials is never "Usage
// sent" in the popup while the badge says it cannot be checked; the refusal is named for the way the site
// signs in (an expired Zerto 10 token says so, and how to renew it), and it is notified once.
// test/node/extension-zvm.test.ts drives the same in the built extension against the ZVM simulator.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createState,
  DEFAULT_POLICY,
  HOUR,
  MINUTE,
  reasonText,
  reduce,
  viewOf,
  type FailureReason,
  type GraceState,
} from '../../src/core/index.ts';
import type { ProbeResult } from '../../src/world/probes/index.ts';
import { basicCredentials, renewTime, tokenExpiry } from '../../src/world/zvm-credentials.ts';
import { badgeFor } from '../../extension/background/badge.ts';
import { nameRefusal } from '../../extension/background/credentials.ts';
import { noticeFor } from '../../extension/background/notify.ts';
import { statusOf } from '../../extension/shared/status.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const site = { id: 'ams', name: 'Amsterdam DR' };
const ZVM = 'http://zvm.example.com:9669';

/** A zvm site the ZVM said was fine at T0 (usage passed, no billing alert). */
function passed(): GraceState {
  const s = createState(site, DEFAULT_POLICY, T0 - HOUR, true);
  return reduce(s, { type: 'zvm', usageAlertAt: null, disconnectedAt: null, passed: true, skew: 0 }, T0);
}

const refusal: FailureReason = {
  kind: 'auth',
  status: 401,
  detail: 'the ZVM at zvm.example.com:9669 refused its token',
};

function blindResult(reason: FailureReason = refusal): ProbeResult {
  return {
    outcome: { ok: false, at: T0, reason },
    blind: true,
    steps: [{ id: 'collect', status: 'failed', detail: reason.detail ?? '', reason }],
  };
}

const reasonOf = (r: ProbeResult): FailureReason => {
  assert.ok(!r.outcome.ok);
  return r.outcome.reason;
};
const detail = (r: ProbeResult): string => reasonOf(r).detail ?? '';

/** A JWT with an `exp` claim (the signature is not read). */
const jwt = (exp: number) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: Math.floor(exp / 1000) })).toString('base64url')}.sig`;

describe('the extension: one status for every surface', () => {
  test('a zvm site whose credentials are refused two minutes after usage was sent is "cannot read", on the popup, the badge and a notification alike', () => {
    const ok = passed();
    assert.equal(statusOf(viewOf(ok, T0)).key, 'ok');
    assert.equal(statusOf(viewOf(ok, T0)).label, 'Usage sent');
    const refused = reduce(ok, { type: 'blind', reason: refusal }, T0 + 2 * MINUTE);
    const v = viewOf(refused, T0 + 2 * MINUTE);
    assert.equal(v.phase, 'ok', 'the last known phase stays what the ZVM last said');
    const status = statusOf(v);
    assert.equal(status.key, 'blind');
    assert.equal(status.label, "Cannot read the ZVM's billing status");
    assert.notEqual(status.label, 'Usage sent');
    const badge = badgeFor([v], []);
    assert.equal(badge.text, '');
    assert.match(badge.title, /billing usage cannot be checked for Amsterdam DR/);
    const notice = noticeFor(refused, T0 + 2 * MINUTE);
    assert.ok(notice);
    assert.equal(notice.kind, 'refused');
    assert.match(notice.id, /^ams:refused:/);
    assert.equal(notice.title, "Cannot read the ZVM's billing status: Amsterdam DR");
    assert.match(
      notice.message,
      /cannot read the billing alerts .*the credentials were refused \(HTTP 401\)/,
    );
    // Another refused check in the same stretch is the same notice; a network failure is not announced.
    const again = reduce(refused, { type: 'blind', reason: refusal }, T0 + 3 * MINUTE);
    assert.equal(noticeFor(again, T0 + 3 * MINUTE)?.id, notice.id);
    const down = reduce(ok, { type: 'blind', reason: { kind: 'network' } }, T0 + 2 * MINUTE);
    assert.equal(statusOf(viewOf(down, T0 + 2 * MINUTE)).key, 'blind');
    assert.equal(noticeFor(down, T0 + 2 * MINUTE), null);
    // Read again: usage sent, nothing to announce.
    const back = reduce(
      refused,
      { type: 'zvm', usageAlertAt: null, disconnectedAt: null, passed: true, skew: 0 },
      T0 + 4 * MINUTE,
    );
    assert.equal(statusOf(viewOf(back, T0 + 4 * MINUTE)).key, 'ok');
    assert.equal(noticeFor(back, T0 + 4 * MINUTE), null);
  });

  test('an alert stays the status while the ZVM cannot be read (its last known word), as the banner shows it', () => {
    const s0 = createState(site, DEFAULT_POLICY, T0 - HOUR, true);
    const warned = reduce(
      s0,
      { type: 'zvm', usageAlertAt: T0 - 2 * HOUR, disconnectedAt: null, passed: false, skew: 0 },
      T0,
    );
    const blind = reduce(warned, { type: 'blind', reason: refusal }, T0 + MINUTE);
    const v = viewOf(blind, T0 + MINUTE);
    assert.equal(statusOf(v).key, 'warning');
    assert.equal(badgeFor([v], []).text, '15');
    assert.equal(noticeFor(blind, T0 + MINUTE)?.kind, 'alert', 'the alert, announced once, not a refusal');
  });

  test('past the ZVM’s deadline, before it reports the disconnection, the badge is never "sent"', () => {
    const s0 = createState(site, DEFAULT_POLICY, T0 - 20 * 24 * HOUR, true);
    const warned = reduce(
      s0,
      { type: 'zvm', usageAlertAt: T0 - 16 * 24 * HOUR, disconnectedAt: null, passed: false, skew: 0 },
      T0,
    );
    const v = viewOf(warned, T0);
    assert.equal(v.message?.key, 'overdue');
    assert.equal(statusOf(v).key, 'warning');
    const b = badgeFor([v], []);
    assert.equal(b.text, '!');
    assert.match(b.title, /deadline passed/);
  });
});

describe('the extension: a refusal named for the way the site signs in', () => {
  const named = (
    creds: Parameters<typeof nameRefusal>[2],
    live: Parameters<typeof nameRefusal>[3] = null,
    r = blindResult(),
  ) => {
    const out = nameRefusal(r, ZVM, creds, live);
    assert.ok(!out.outcome.ok);
    return out;
  };

  test('a static Zerto 10 token that expired says so, when, and how to renew it', () => {
    const out = named({ token: jwt(Date.now() - 5 * MINUTE) });
    assert.ok(!out.outcome.ok);
    const r = out.outcome.reason;
    assert.equal(r.kind, 'auth');
    assert.equal(r.status, 401);
    assert.match(
      r.detail!,
      /^the ZVM at zvm\.example\.com:9669 refused its token \(HTTP 401\)\. The token expired on /,
    );
    assert.match(
      r.detail!,
      /paste a new token in this extension’s options, or give this site a Keycloak client \(client ID and secret\) or a ZVM user name and password/,
    );
    assert.ok(r.detail!.length <= 500);
    // The steps say the same, and what the operator reads keeps every word (nothing split off as technical).
    assert.equal(out.steps[0]!.reason?.detail, r.detail);
    assert.match(
      reasonText(r),
      /^the credentials were refused \(HTTP 401\): the ZVM at .* expired on .*renews them before they expire\.$/,
    );
    assert.equal(out.blind, true);
  });

  test('an opaque token: most likely expired; a pasted session: ends when unused; none: give one', () => {
    assert.match(detail(named({ token: 'sim.opaque' })), /most likely expired/);
    const still = named({ token: jwt(Date.now() + HOUR) });
    assert.match(detail(still), /most likely expired/, 'not said expired when it says it is not');
    assert.match(
      detail(named({ session: 's' })),
      /refused its session .*30 minutes unused.*user name and password/,
    );
    assert.match(detail(named({})), /asks for credentials \(HTTP 401\) and this site has none/);
  });

  test('a login the ZVM refuses names what to check; a fresh token refused says the client may not read; a token endpoint missing is the cause', () => {
    const login = { type: 'client-credentials' as const, clientId: 'c', clientSecret: 's' };
    const refusedLogin = named(
      { login },
      {
        secrets: {},
        fresh: true,
        problem: {
          kind: 'auth',
          status: 401,
          detail: "the ZVM's token endpoint refused the client credentials (invalid_client)",
        },
      },
    );
    assert.match(
      detail(refusedLogin),
      /^the ZVM's token endpoint refused the client credentials \(invalid_client\)\. Check the client ID and secret of this site in this extension’s options\.$/,
    );
    const fresh = named({ login }, { secrets: { token: 't' }, fresh: true, problem: null });
    assert.match(detail(fresh), /refused a token it had just issued .*Keycloak client may read/);
    const missing: FailureReason = { kind: 'http', status: 404, detail: 'the ZVM has no token endpoint' };
    const noEndpoint = named({ login }, { secrets: {}, fresh: true, problem: missing });
    assert.deepEqual(reasonOf(noEndpoint), missing);
    // Anything else is left as it is.
    const network = blindResult({ kind: 'network', detail: 'could not connect' });
    assert.equal(nameRefusal(network, ZVM, { login }, null), network);
  });

  test('tokens are renewed before they expire; basic credentials and a JWT’s expiry are read as the standards say', () => {
    assert.equal(renewTime(0, 300_000), 240_000, 'a minute before a five-minute token ends');
    assert.equal(renewTime(0, 8_000), 6_000, 'a quarter of a short lifetime');
    assert.equal(basicCredentials('admin', 'pässword'), Buffer.from('admin:pässword').toString('base64'));
    assert.equal(tokenExpiry(jwt(T0)), Math.floor(T0 / 1000) * 1000);
    assert.equal(tokenExpiry('sim.opaque'), null);
    assert.equal(tokenExpiry('a.b.c'), null);
  });
});
