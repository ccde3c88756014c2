// The extension's admin rules, as plain functions (no browser needed): the default way a new site is checked,
// the words that describe each way, what Save says at each step, and how an organisation's policy
// (chrome.storage.managed) is read and merged. The same functions run in the options page and the worker;
// test/node/extension-admin.test.ts drives them in the built extension.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MODE_TEXTS, saveButtonLabel, saveStatusText } from '../../src/core/texts/extension.ts';
import { DEFAULT_BILLING_ALERT_IDS } from '../../src/protocol/zvm.ts';
import { billingIdsOf } from '../../src/world/probes/types.ts';
import {
  DEFAULT_SETTINGS,
  EXTENSION_MODES,
  HELP_ID_PLACEHOLDERS,
  mergeManaged,
  readManaged,
  readSecrets,
  readSettings,
  SECRET_FIELDS,
  secretFieldsOf,
  serviceKey,
  serviceSite,
  siteConfig,
  siteForm,
  SiteEntrySchema,
  siteLogin,
  storedSecret,
  validateSiteForm,
  type StoredCredentials,
} from '../../extension/shared/settings.ts';

const ROOT = join(import.meta.dirname, '../..');
const zvmSite = {
  siteId: 'ams',
  siteName: 'Amsterdam DR',
  mode: 'zvm',
  zvmUrl: 'https://zvm.ams.example.com:9669',
  consoles: ['https://zvm.ams.example.com/*'],
};

describe('the extension for an admin: rules', () => {
  test('a new site asks its ZVM by default; a stored site keeps the mode it was saved with', () => {
    assert.equal(siteForm(null).mode, 'zvm');
    const stored = readSettings({
      sites: [{ siteId: 'ber', mode: 'direct', billingUrl: 'https://billing.example.com', protectedVms: 3 }],
    });
    assert.deepEqual(stored.problems, []);
    assert.equal(stored.settings.sites[0]!.mode, 'direct', 'nothing is migrated');
    assert.equal(siteForm(stored.settings.sites[0]!).mode, 'direct');
    // The default is a real choice: a new site left on it needs the ZVM's address and a way to sign in (a
    // Keycloak client, whose tokens the extension renews), and saves with them.
    const form = { ...siteForm(null), siteId: 'ams' };
    assert.equal(form.auth, 'client-credentials');
    const missing = validateSiteForm(form, DEFAULT_SETTINGS.policy, []);
    assert.ok(!missing.ok && missing.errors.zvmUrl, 'asking the ZVM needs its address');
    assert.match(missing.errors.clientId!, /^required: the ID of the Keycloak client/);
    assert.match(missing.errors.clientSecret!, /^required: that client’s secret/);
    const ok = validateSiteForm(
      { ...form, zvmUrl: zvmSite.zvmUrl, clientId: 'zbb-extension', clientSecret: 's3cret' },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.errors));
    assert.equal(ok.value.entry.mode, 'zvm');
    assert.deepEqual(ok.value.secrets, {
      login: { type: 'client-credentials', clientId: 'zbb-extension', clientSecret: 's3cret' },
    });
  });

  test("each way of checking a site is described in an operator's words, without protocol jargon", () => {
    for (const m of EXTENSION_MODES) {
      const t = MODE_TEXTS[m];
      assert.ok(t.label.length > 5 && t.description.length > 60, `${m} has a label and a description`);
      for (const jargon of [
        /sendUsage/,
        /protocol/i,
        /\bprobe\b/i,
        /\bHTTP\b/,
        /\bAPI\b/,
        /\bPOST\b/,
        /^\w+:/,
      ])
        assert.doesNotMatch(`${t.label} ${t.description}`, jargon, `${m}: no ${jargon}`);
    }
    assert.match(MODE_TEXTS.zvm.label, /recommended/);
    assert.match(MODE_TEXTS.reachability.description, /sends no usage/);
  });

  test('Save says it waits for your permission, then saved, or declined with how to allow it later', () => {
    const origins = ['https://zvm.ams.example.com/*'];
    assert.match(saveStatusText({ kind: 'waiting', origins }), /^Waiting for your permission…/);
    assert.match(saveStatusText({ kind: 'waiting', origins }), /zvm\.ams\.example\.com/);
    assert.equal(saveButtonLabel(true), 'Waiting for your permission…');
    assert.equal(saveButtonLabel(false), 'Save site');
    assert.match(saveStatusText({ kind: 'saved', siteName: 'Amsterdam DR' }), /^Saved Amsterdam DR\./);
    const declined = saveStatusText({ kind: 'declined', siteName: 'Amsterdam DR', origins });
    assert.match(declined, /^Declined: Amsterdam DR is saved, but without access to https:\/\/zvm/);
    assert.match(declined, /save this site again and choose Allow/);
    assert.match(declined, /chrome:\/\/extensions.*Site access/);
  });

  test("an organisation's policy: valid sites are kept, each bad entry is named with what is wrong, nothing throws", () => {
    const m = readManaged({
      sites: [
        zvmSite,
        { siteId: 'nozvm', mode: 'zvm' },
        { siteId: 'odd', mode: 'carrier-pigeon' },
        { ...zvmSite, siteName: 'Again' },
        { siteId: 'wide', mode: 'reachability', consoles: ['<all_urls>'] },
        'not a site',
        null,
      ],
    });
    assert.deepEqual(
      m.sites.map((s) => [s.siteId, s.mode, s.billingUrl]),
      [['ams', 'zvm', 'https://autologs.zerto.com']],
    );
    assert.equal(m.problems.length, 6, m.problems.join('\n'));
    assert.match(m.problems[0]!, /^entry 2 \(nozvm\): .*zvmUrl/);
    assert.match(m.problems[1]!, /^entry 3 \(odd\): .*mode/);
    assert.match(m.problems[2]!, /^entry 4 \(ams\): site id ams is listed twice/);
    assert.match(m.problems[3]!, /^entry 5 \(wide\): <all_urls> is not accepted/);
    assert.match(m.problems[4]!, /^entry 6: /);
    for (const raw of [undefined, null, 'x', 42, [], { sites: 'x' }, { sites: {} }, { other: 1 }])
      assert.doesNotThrow(() => readManaged(raw));
    assert.deepEqual(readManaged({}), { sites: [], problems: [] }, 'no policy: no site, no problem');
    assert.deepEqual(readManaged({ sites: 'x' }).problems, ['"sites" must be a list of sites']);
  });

  test("the organisation's sites are watched first and win over the same id saved locally, which is said", () => {
    const managed = readManaged({ sites: [zvmSite] });
    const local = readSettings({
      sites: [
        { siteId: 'ams', mode: 'reachability' },
        { siteId: 'ber', mode: 'reachability' },
      ],
    }).settings;
    const merged = mergeManaged(local, managed);
    assert.deepEqual(
      merged.settings.sites.map((s) => [s.siteId, s.mode]),
      [
        ['ams', 'zvm'],
        ['ber', 'reachability'],
      ],
    );
    assert.deepEqual(merged.problems, [
      'site ams is also set by your organisation: the organisation’s entry is used',
    ]);
  });

  test('managed-schema.json names exactly the fields the worker accepts, and the same modes', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'extension/managed-schema.json'), 'utf8')) as {
      properties: { sites: { items: { properties: Record<string, { enum?: string[] }> } } };
    };
    const fields = schema.properties.sites.items.properties;
    const accepted = Object.keys(SiteEntrySchema.shape).filter((k) => k !== 'retries');
    assert.deepEqual(Object.keys(fields).sort(), accepted.sort());
    assert.deepEqual(fields.mode!.enum, [...EXTENSION_MODES]);
  });

  test('a site read from the fleet service needs its address, its id there and a key; the ZVM’s are not kept', () => {
    const blank = { ...siteForm(null), mode: 'service' };
    const empty = validateSiteForm(blank, DEFAULT_SETTINGS.policy, []);
    assert.ok(!empty.ok);
    assert.match(empty.errors.siteId!, /id in the fleet service/);
    assert.match(empty.errors.serviceUrl!, /^required: the fleet service’s address/);
    assert.match(empty.errors.apiKey!, /^required: an API key of the fleet service .*operator key/);
    assert.equal(empty.errors.zvmUrl, undefined, 'the ZVM’s address is the service’s business');

    const form = {
      ...blank,
      siteId: 'ams-1',
      siteName: 'Amsterdam DR',
      serviceUrl: 'https://fleet.example.com:5180/',
      apiKey: 'read-key-0123',
      // Left over from the mode the site had before: not kept.
      zvmUrl: 'https://zvm.ams.example.com:9669',
      token: 'zvm-token',
      consoles: 'https://zvm.ams.example.com/*',
    };
    const ok = validateSiteForm(form, DEFAULT_SETTINGS.policy, []);
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.errors));
    assert.deepEqual(ok.value.entry, {
      siteId: 'ams-1',
      siteName: 'Amsterdam DR',
      mode: 'service',
      serviceUrl: 'https://fleet.example.com:5180',
      billingUrl: 'https://autologs.zerto.com',
      timeoutMs: 10_000,
      retries: 2,
      consoles: ['https://zvm.ams.example.com/*'],
    });
    assert.deepEqual(ok.value.secrets, { apiKey: 'read-key-0123' }, 'no ZVM credential is kept for it');
    // The form comes back as it was saved, but for the key: never shown back, kept while left empty.
    const back = siteForm(ok.value.entry, ok.value.secrets);
    assert.equal(back.mode, 'service');
    assert.equal(back.serviceUrl, 'https://fleet.example.com:5180');
    assert.equal(back.apiKey, '');
    const stored = { mode: 'service', secrets: ok.value.secrets };
    const kept = validateSiteForm(back, DEFAULT_SETTINGS.policy, [], stored);
    assert.ok(kept.ok);
    assert.deepEqual(kept.value.secrets, { apiKey: 'read-key-0123' });
    const replaced = validateSiteForm(
      { ...back, apiKey: 'operator-key' },
      DEFAULT_SETTINGS.policy,
      [],
      stored,
    );
    assert.ok(replaced.ok);
    assert.deepEqual(replaced.value.secrets, { apiKey: 'operator-key' });

    const bad = (patch: Partial<typeof form>) => {
      const r = validateSiteForm({ ...form, ...patch }, DEFAULT_SETTINGS.policy, []);
      assert.ok(!r.ok, JSON.stringify(patch));
      return r.errors;
    };
    assert.match(bad({ serviceUrl: 'fleet.example.com' }).serviceUrl!, /not an http or https address/);
    assert.match(bad({ serviceUrl: 'ftp://fleet.example.com' }).serviceUrl!, /not an http or https/);
    assert.match(
      bad({ serviceUrl: 'https://ops:pw@fleet.example.com' }).serviceUrl!,
      /must not hold credentials/,
    );
    assert.match(bad({ serviceUrl: 'https://fleet.example.com/?site=1' }).serviceUrl!, /without \? or #/);
    assert.match(bad({ apiKey: 'two words' }).apiKey!, /no spaces/);
    assert.match(bad({ apiKey: 'k'.repeat(4001) }).apiKey!, /too long/);
    assert.match(bad({ timeoutSeconds: '0' }).timeoutSeconds!, /between 0.1 and 120/);
    assert.match(bad({ consoles: '<all_urls>' }).consoles!, /<all_urls>/);
    const taken = validateSiteForm(form, DEFAULT_SETTINGS.policy, ['ams-1']);
    assert.ok(!taken.ok);
    assert.match(taken.errors.siteId!, /another site already has the id ams-1/);
  });

  test('a stored service site and its key are read back; a damaged one is named, not watched', () => {
    const stored = readSettings({
      sites: [
        { siteId: 'ams-1', mode: 'service', serviceUrl: 'https://fleet.example.com:5180' },
        { siteId: 'ber-1', mode: 'service', serviceUrl: 42 },
      ],
    });
    assert.deepEqual(
      stored.settings.sites.map((s) => s.siteId),
      ['ams-1'],
    );
    assert.match(stored.problems.join('\n'), /sites\.1.*serviceUrl/);
    const site = serviceSite(stored.settings.sites[0]!);
    assert.ok(site.ok);
    assert.deepEqual(site.value, {
      siteId: 'ams-1',
      siteName: '',
      url: 'https://fleet.example.com:5180',
      timeoutMs: 10_000,
    });
    const secrets = readSecrets({ sites: { 'ams-1': { apiKey: 'operator-key' } } });
    assert.equal(serviceKey(secrets, 'ams-1'), 'operator-key');
    assert.equal(serviceKey(secrets, 'ber-1'), undefined);
    const noUrl = serviceSite({ ...stored.settings.sites[0]!, serviceUrl: undefined });
    assert.ok(!noUrl.ok && /serviceUrl: required/.test(noUrl.error));
  });

  test("an organisation's policy can name a service site (no key), and a service site without its address is refused", () => {
    const m = readManaged({
      sites: [
        { siteId: 'ams-1', mode: 'service', serviceUrl: 'https://fleet.example.com', consoles: [] },
        { siteId: 'ber-1', mode: 'service' },
        { siteId: 'par-1', mode: 'service', serviceUrl: 'javascript:alert(1)' },
      ],
    });
    assert.deepEqual(
      m.sites.map((s) => [s.siteId, s.mode, s.serviceUrl]),
      [['ams-1', 'service', 'https://fleet.example.com']],
    );
    assert.equal(m.problems.length, 2, m.problems.join('\n'));
    assert.match(m.problems[0]!, /^entry 2 \(ber-1\): serviceUrl: required: the fleet service’s address/);
    assert.match(m.problems[1]!, /^entry 3 \(par-1\): serviceUrl: .*not an http or https address/);
    const schema = JSON.parse(readFileSync(join(ROOT, 'extension/managed-schema.json'), 'utf8')) as {
      properties: { sites: { items: { properties: Record<string, unknown> } } };
    };
    const fields = Object.keys(schema.properties.sites.items.properties);
    assert.ok(fields.includes('serviceUrl'));
    assert.ok(!fields.some((f) => /key|token|secret|password/i.test(f)), 'no credential by policy');
  });

  test('the billing alerts’ help identifiers are a setting per site: the defaults as placeholders, checked by parseHelpIds, passed to the engine', () => {
    const base = {
      ...siteForm(null),
      siteId: 'ams',
      zvmUrl: zvmSite.zvmUrl,
      auth: 'none',
    };
    // Left empty: nothing stored, the engine's defaults apply, and the form shows them as placeholders.
    const plain = validateSiteForm(base, DEFAULT_SETTINGS.policy, []);
    assert.ok(plain.ok);
    assert.equal(plain.value.entry.usageAlertIds, undefined);
    assert.equal(plain.value.entry.disconnectionAlertIds, undefined);
    assert.deepEqual(HELP_ID_PLACEHOLDERS, {
      usageAlertIds: DEFAULT_BILLING_ALERT_IDS.usage.join(' '),
      disconnectionAlertIds: DEFAULT_BILLING_ALERT_IDS.disconnection.join(' '),
    });
    assert.equal(HELP_ID_PLACEHOLDERS.usageAlertIds, 'LIC0012 LIC0021');
    const c0 = siteConfig(plain.value.entry, DEFAULT_SETTINGS.policy);
    assert.ok(c0.ok);
    assert.deepEqual(billingIdsOf(c0.value).usage, ['LIC0012', 'LIC0021']);

    // Typed: spaces or commas, upper-cased, stored in the site entry, read by the engine as set.
    const set = validateSiteForm(
      { ...base, usageAlertIds: 'lic0012, LIC0099', disconnectionAlertIds: 'LIC0013' },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(set.ok, JSON.stringify(!set.ok && set.errors));
    assert.deepEqual(set.value.entry.usageAlertIds, ['LIC0012', 'LIC0099']);
    assert.deepEqual(set.value.entry.disconnectionAlertIds, ['LIC0013']);
    const stored = readSettings({ sites: [set.value.entry] });
    assert.deepEqual(stored.problems, []);
    const c = siteConfig(stored.settings.sites[0]!, DEFAULT_SETTINGS.policy);
    assert.ok(c.ok);
    assert.deepEqual(billingIdsOf(c.value), {
      usage: ['LIC0012', 'LIC0099'],
      disconnection: ['LIC0013'],
      explicit: { usage: true, disconnection: true },
    });
    const back = siteForm(stored.settings.sites[0]!);
    assert.equal(back.usageAlertIds, 'LIC0012 LIC0099');
    assert.equal(back.disconnectionAlertIds, 'LIC0013');

    // Wrong ones are named on their field, with what an identifier may be.
    const bad = validateSiteForm(
      { ...base, usageAlertIds: 'LIC0012 not/an/id', disconnectionAlertIds: 'LIC0012' },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(!bad.ok);
    assert.match(bad.errors.usageAlertIds!, /"NOT\/AN\/ID" is not a help identifier \(letters, digits/);
    const overlap = validateSiteForm(
      { ...base, usageAlertIds: 'LIC0012', disconnectionAlertIds: 'lic0012' },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(!overlap.ok);
    assert.match(overlap.errors.disconnectionAlertIds!, /LIC0012 is also a usage alert identifier/);
    const many = validateSiteForm(
      { ...base, usageAlertIds: Array.from({ length: 21 }, (_, i) => `LIC${i}`).join(' ') },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(!many.ok && /at most 20/.test(many.errors.usageAlertIds!));
    // Only a zvm site reads the ZVM's alerts: another mode keeps none.
    const direct = validateSiteForm(
      {
        ...base,
        mode: 'direct',
        billingUrl: 'https://billing.example.com',
        protectedVms: '3',
        usageAlertIds: 'X1',
      },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(direct.ok);
    assert.equal(direct.value.entry.usageAlertIds, undefined);

    // An organisation's policy sets them too; a bad one is named, the entry not watched.
    const m = readManaged({
      sites: [
        { ...zvmSite, usageAlertIds: ['LIC0031'] },
        { ...zvmSite, siteId: 'ber', disconnectionAlertIds: ['LIC/13'] },
      ],
    });
    assert.deepEqual(
      m.sites.map((x) => [x.siteId, x.usageAlertIds]),
      [['ams', ['LIC0031']]],
    );
    assert.match(
      m.problems[0]!,
      /^entry 2 \(ber\): disconnectionAlertIds: "LIC\/13" is not a help identifier/,
    );
  });

  test('how a zvm site signs in: each way asks for what it needs, secrets are never filled back, a stored one is kept, replaced or cleared', () => {
    const form = { ...siteForm(null), zvmUrl: zvmSite.zvmUrl, siteId: 'ams' };
    const check = (patch: Partial<typeof form>, stored: StoredCredentials | null = null) =>
      validateSiteForm({ ...form, ...patch }, DEFAULT_SETTINGS.policy, [], stored);

    // A Zerto 10 user through the public client (not stored: it is the default), or a named client.
    const pw = check({ auth: 'password', username: ' ops ', password: ' pass word ' });
    assert.ok(pw.ok);
    assert.deepEqual(pw.value.secrets, {
      login: { type: 'password', username: 'ops', password: ' pass word ' },
    });
    const pwNamed = check({ auth: 'password', username: 'ops', password: 'x', clientId: 'my-client' });
    assert.ok(pwNamed.ok);
    assert.deepEqual(pwNamed.value.secrets.login, {
      type: 'password',
      clientId: 'my-client',
      username: 'ops',
      password: 'x',
    });
    const pwMissing = check({ auth: 'password' });
    assert.ok(!pwMissing.ok);
    assert.deepEqual(Object.keys(pwMissing.errors).sort(), ['password', 'username']);
    // A Windows ZVM: a session login.
    const win = check({ auth: 'session', username: 'ZVM\\admin', password: 'x' });
    assert.ok(win.ok);
    assert.deepEqual(win.value.secrets, {
      login: { type: 'session', username: 'ZVM\\admin', password: 'x' },
    });
    // A pasted token or session: required once chosen, trimmed, one piece.
    assert.ok(!check({ auth: 'token' }).ok);
    const token = check({ auth: 'token', token: ' eyJ.a.b \n' });
    assert.ok(token.ok);
    assert.deepEqual(token.value.secrets, { token: 'eyJ.a.b' });
    const spaced = check({ auth: 'token', token: 'two words' });
    assert.ok(!spaced.ok && /no spaces/.test(spaced.errors.token!));
    const key = check({ auth: 'session-key', session: 'abc' });
    assert.ok(key.ok);
    assert.deepEqual(key.value.secrets, { session: 'abc' });
    const none = check({ auth: 'none' });
    assert.ok(none.ok);
    assert.deepEqual(none.value.secrets, {});
    assert.ok(!check({ auth: 'telepathy' }).ok);
    assert.match(
      (
        check({ auth: 'client-credentials', clientId: 'has space', clientSecret: 'x' }) as {
          errors: Record<string, string>;
        }
      ).errors.clientId!,
      /no spaces/,
    );
    assert.match(
      (
        check({ auth: 'client-credentials', clientId: 'c', clientSecret: 'x'.repeat(4001) }) as {
          errors: Record<string, string>;
        }
      ).errors.clientSecret!,
      /too long/,
    );

    // Stored: the form never holds a secret, only who signs in.
    const saved = check({ auth: 'client-credentials', clientId: 'zbb-extension', clientSecret: 'S3cret!' });
    assert.ok(saved.ok);
    const back = siteForm(saved.value.entry, saved.value.secrets);
    assert.equal(back.auth, 'client-credentials');
    assert.equal(back.clientId, 'zbb-extension');
    for (const f of SECRET_FIELDS) assert.equal(back[f], '', `${f} is not filled back`);
    assert.ok(!JSON.stringify(back).includes('S3cret!'));
    const stored: StoredCredentials = { mode: 'zvm', secrets: saved.value.secrets };
    assert.equal(storedSecret('clientSecret', back, stored), 'S3cret!');
    // Left empty, kept; typed, replaced; cleared (the stored one gone), asked for again.
    const kept = validateSiteForm(back, DEFAULT_SETTINGS.policy, [], stored);
    assert.ok(kept.ok);
    assert.deepEqual(kept.value.secrets, saved.value.secrets);
    const replaced = validateSiteForm({ ...back, clientSecret: 'n3w' }, DEFAULT_SETTINGS.policy, [], stored);
    assert.ok(replaced.ok);
    assert.deepEqual(replaced.value.secrets, {
      login: { type: 'client-credentials', clientId: 'zbb-extension', clientSecret: 'n3w' },
    });
    const cleared = validateSiteForm(back, DEFAULT_SETTINGS.policy, [], { mode: 'zvm', secrets: {} });
    assert.ok(!cleared.ok && /required/.test(cleared.errors.clientSecret!));
    // A secret stored for one way of signing in is not another's, nor a token another mode's.
    const asUser = {
      ...siteForm(saved.value.entry, { login: { type: 'password', username: 'ops', password: 'p' } }),
    };
    assert.equal(asUser.auth, 'password');
    assert.equal(asUser.username, 'ops');
    const userStored: StoredCredentials = {
      mode: 'zvm',
      secrets: { login: { type: 'password', username: 'ops', password: 'p' } },
    };
    assert.equal(storedSecret('password', asUser, userStored), 'p');
    assert.equal(storedSecret('password', { ...asUser, auth: 'session' }, userStored), undefined);
    const tokenStored: StoredCredentials = { mode: 'zvm', secrets: { token: 't' } };
    assert.equal(storedSecret('token', { mode: 'zvm', auth: 'token' }, tokenStored), 't');
    assert.equal(storedSecret('token', { mode: 'direct', auth: 'token' }, tokenStored), undefined);
    assert.deepEqual(secretFieldsOf({ mode: 'zvm', auth: 'client-credentials' }), ['clientSecret']);
    assert.deepEqual(secretFieldsOf({ mode: 'service', auth: 'none' }), ['apiKey']);

    // A stored login and a token from before are read back as they were saved.
    const secrets = readSecrets({
      sites: {
        ams: { login: { type: 'client-credentials', clientId: 'c', clientSecret: 's' } },
        ber: { login: { type: 'telepathy' } },
      },
    });
    assert.deepEqual(
      secrets,
      { sites: { ams: { login: { type: 'client-credentials', clientId: 'c', clientSecret: 's' } } } },
      'a damaged record leaves that site without credentials, and never the others',
    );
    assert.deepEqual(
      readSecrets({
        sites: { ber: { login: { type: 'telepathy' } } },
        proxy: { username: 'u', password: 'p' },
      }),
      { sites: {}, proxy: { username: 'u', password: 'p' } },
    );
    const good = readSecrets({
      sites: { ams: { login: { type: 'session', username: 'u', password: 'p' } }, ber: { token: 't' } },
    });
    assert.deepEqual(siteLogin(good, 'ams'), { type: 'session', username: 'u', password: 'p' });
    assert.equal(siteLogin(good, 'ber'), undefined);
    assert.equal(siteForm({ ...saved.value.entry, siteId: 'ber' }, good.sites.ber).auth, 'token');
  });

  test('a zvm site left without its identifier is read from the ZVM when saved; other modes need it', () => {
    const form = { ...siteForm(null), zvmUrl: zvmSite.zvmUrl, auth: 'none' };
    const r = validateSiteForm(form, DEFAULT_SETTINGS.policy, []);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.value.discover, true);
    assert.equal(r.value.entry.siteId, '');
    const typed = validateSiteForm({ ...form, siteId: 'ams' }, DEFAULT_SETTINGS.policy, []);
    assert.ok(typed.ok && !typed.value.discover);
    // Still checked for everything else.
    const noUrl = validateSiteForm({ ...form, zvmUrl: '' }, DEFAULT_SETTINGS.policy, []);
    assert.ok(!noUrl.ok && noUrl.errors.zvmUrl && !noUrl.errors.siteId);
    const direct = validateSiteForm(
      { ...form, mode: 'direct', protectedVms: '3', billingUrl: 'https://billing.example.com' },
      DEFAULT_SETTINGS.policy,
      [],
    );
    assert.ok(!direct.ok && /^required: the ZVM site identifier/.test(direct.errors.siteId!));
  });

  test('the fleet service is described in the operator’s words: the same deadline for everyone, no ZVM credential here', () => {
    assert.equal(MODE_TEXTS.service.label, 'Read from your fleet service');
    assert.match(MODE_TEXTS.service.description, /same deadline/);
    assert.match(MODE_TEXTS.service.description, /no ZVM credential is kept in this browser/);
  });
});
