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
  readSettings,
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
});
