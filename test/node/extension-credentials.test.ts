// How the extension signs in to a ZVM (src/world/zvm-credentials.ts, the options page's discovery), against the
// real ZVM simulator in both of its dialects, in Node: a Zerto 10 appliance's Keycloak token endpoint (client
// credentials and password grants, their refusals) and a Windows ZVM's session login; each dialect's missing
// login said as such; the site identifier read from the ZVM signed in as the site will be.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_POLICY } from '../../src/core/index.ts';
import { obtainZvmSecrets, type ZvmLogin } from '../../src/world/zvm-credentials.ts';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim } from '../../servers/zvm/server.ts';
import { discoverSiteId } from '../../extension/options/discover.ts';
import type { SiteEntry } from '../../extension/shared/settings.ts';

const work = mkdtempSync(join(tmpdir(), 'zbb-ext-credentials-'));
let billing: BillingServer;
let zerto10: ZvmSim;
let windows: ZvmSim;
const SITE = {
  zerto10: 'a4f0c2d1-5b6e-4f7a-8c9d-0e1f2a3b4c5d',
  windows: 'b5e1d3c2-6a7f-4e8b-9d0c-1f2e3a4b5c6d',
};

const sim = (dialect: 'zerto10' | 'windows') =>
  startZvmSim({
    port: 0,
    billingUrl: billing.url,
    dialect,
    siteId: SITE[dialect],
    siteName: dialect === 'windows' ? 'Berlin' : 'Amsterdam',
    autoSend: false,
    tokenTtlMs: 60_000,
    quiet: true,
    // Every wrong login here counts: none of these tests may be made to wait.
    loginThrottle: { freeFailures: 100 },
  });

before(async () => {
  billing = await startBillingServer({
    port: 0,
    dataDir: join(work, 'billing'),
    quiet: true,
    allowOrigins: [],
  });
  [zerto10, windows] = await Promise.all([sim('zerto10'), sim('windows')]);
});

after(async () => {
  await Promise.all([zerto10?.close(), windows?.close(), billing?.close()]);
  rmSync(work, { recursive: true, force: true });
});

const client: ZvmLogin = {
  type: 'client-credentials',
  clientId: 'zerto-fleet',
  clientSecret: 'fleet-secret',
};
const user: ZvmLogin = { type: 'password', username: 'admin', password: 'admin' };
const winUser: ZvmLogin = { type: 'session', username: 'admin', password: 'admin' };
const opts = { timeoutMs: 5000 };

const entry = (url: string): SiteEntry => ({
  siteId: '',
  siteName: '',
  mode: 'zvm',
  zvmUrl: url,
  billingUrl: 'https://autologs.zerto.com',
  timeoutMs: 5000,
  retries: 2,
  consoles: [],
});

describe('signing in to a ZVM, as the extension does', () => {
  test('Zerto 10: a Keycloak client or a ZVM user (through zerto-client) gets a token with its lifetime, renewed before it ends', async () => {
    for (const login of [client, user]) {
      const started = Date.now();
      const r = await obtainZvmSecrets(zerto10.url, login, opts);
      assert.ok(r.ok, JSON.stringify(r));
      assert.match(r.secrets.token!, /^sim\./);
      assert.ok(r.expiresAt! >= started + 60_000 && r.expiresAt! <= Date.now() + 60_000);
      assert.equal(r.renewAt, r.expiresAt! - 15_000, 'a quarter of a minute before a one-minute token ends');
      const alerts = await fetch(`${zerto10.url}/v1/alerts`, {
        headers: { authorization: `Bearer ${r.secrets.token}` },
      });
      assert.equal(alerts.status, 200, 'the ZVM takes the token');
    }
  });

  test('Zerto 10: a wrong secret or password is refused with what the token endpoint said', async () => {
    const wrongClient = await obtainZvmSecrets(zerto10.url, { ...client, clientSecret: 'nope' }, opts);
    assert.ok(!wrongClient.ok);
    assert.deepEqual(wrongClient.reason, {
      kind: 'auth',
      status: 401,
      detail: "the ZVM's token endpoint refused the client credentials (invalid_client)",
    });
    const wrongUser = await obtainZvmSecrets(zerto10.url, { ...user, password: 'nope' }, opts);
    assert.ok(!wrongUser.ok);
    assert.match(wrongUser.reason.detail!, /refused the user name and password \(invalid_grant\)/);
  });

  test('a Windows ZVM: a session from /v1/session/add; a wrong password refused; each dialect’s missing login named', async () => {
    const r = await obtainZvmSecrets(windows.url, winUser, opts);
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(r.secrets.session);
    assert.equal(r.expiresAt, null);
    assert.equal(r.renewAt, Infinity, 'renewed when the ZVM ends it');
    const wrong = await obtainZvmSecrets(windows.url, { ...winUser, password: 'nope' }, opts);
    assert.ok(!wrong.ok);
    assert.equal(wrong.reason.kind, 'auth');
    // Signing in the other dialect's way is said as such, not as a wrong password.
    const tokenAtWindows = await obtainZvmSecrets(windows.url, client, opts);
    assert.ok(!tokenAtWindows.ok);
    assert.match(
      tokenAtWindows.reason.detail!,
      /has no token endpoint .*a Windows ZVM signs in with a user name and password/,
    );
    const sessionAtZerto10 = await obtainZvmSecrets(zerto10.url, winUser, opts);
    assert.ok(!sessionAtZerto10.ok);
    assert.match(
      sessionAtZerto10.reason.detail!,
      /has no session login .*a Zerto 10 appliance signs in through its token endpoint/,
    );
    const nowhere = await obtainZvmSecrets('http://127.0.0.1:9', client, { timeoutMs: 2000 });
    assert.ok(!nowhere.ok);
    assert.equal(nowhere.reason.kind, 'network');
  });

  test('the site identifier is read from the ZVM, in either dialect, signed in as the site will be; a refusal is said', async () => {
    const z = await discoverSiteId(entry(zerto10.url), { login: client }, DEFAULT_POLICY);
    assert.deepEqual(z, { ok: true, id: SITE.zerto10, name: 'Amsterdam' });
    const w = await discoverSiteId(entry(windows.url), { login: winUser }, DEFAULT_POLICY);
    assert.deepEqual(w, { ok: true, id: SITE.windows, name: 'Berlin' });
    const token = await obtainZvmSecrets(zerto10.url, user, opts);
    assert.ok(token.ok);
    assert.deepEqual(
      await discoverSiteId(entry(zerto10.url), { token: token.secrets.token! }, DEFAULT_POLICY),
      z,
    );
    const none = await discoverSiteId(entry(zerto10.url), {}, DEFAULT_POLICY);
    assert.deepEqual(none, { ok: false, reason: 'the ZVM refused the credentials given here (HTTP 401)' });
    const refused = await discoverSiteId(
      entry(zerto10.url),
      { login: { ...client, clientSecret: 'x' } },
      DEFAULT_POLICY,
    );
    assert.ok(!refused.ok);
    assert.match(refused.reason, /token endpoint refused the client credentials \(invalid_client\)/);
  });
});
