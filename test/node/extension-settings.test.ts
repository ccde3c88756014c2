// The extension's admin rules, as plain functions (no browser needed): the default way a new site is checked,
// the words that describe each way, what Save says at each step, and how an organisation's policy
// (chrome.storage.managed) is read and merged. The same functions run in the options page and the worker;
// test/node/extension-admin.test.ts drives them in the built extension.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MODE_TEXTS, saveButtonLabel, saveStatusText } from '../../src/core/texts/extension.ts';
import {
  DEFAULT_SETTINGS,
  EXTENSION_MODES,
  mergeManaged,
  readManaged,
  readSecrets,
  readSettings,
  serviceKey,
  serviceSite,
  siteForm,
  SiteEntrySchema,
  validateSiteForm,
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
    // The default is a real choice: a new site left on it needs the ZVM's address, and saves with it.
    const form = { ...siteForm(null), siteId: 'ams' };
    const missing = validateSiteForm(form, DEFAULT_SETTINGS.policy, []);
    assert.ok(!missing.ok && missing.errors.zvmUrl, 'asking the ZVM needs its address');
    const ok = validateSiteForm({ ...form, zvmUrl: zvmSite.zvmUrl }, DEFAULT_SETTINGS.policy, []);
    assert.ok(ok.ok);
    assert.equal(ok.value.entry.mode, 'zvm');
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
    // The form comes back as it was saved, key included (chrome.storage.local only).
    const back = siteForm(ok.value.entry, ok.value.secrets);
    assert.equal(back.mode, 'service');
    assert.equal(back.serviceUrl, 'https://fleet.example.com:5180');
    assert.equal(back.apiKey, 'read-key-0123');

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

  test('the fleet service is described in the operator’s words: the same deadline for everyone, no ZVM credential here', () => {
    assert.equal(MODE_TEXTS.service.label, 'Read from your fleet service');
    assert.match(MODE_TEXTS.service.description, /same deadline/);
    assert.match(MODE_TEXTS.service.description, /no ZVM credential is kept in this browser/);
  });
});
