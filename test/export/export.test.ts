import { expect } from '@open-wc/testing';
import { DAY, HOUR } from '../../src/core/index.ts';
import {
  buildExport,
  csvCell,
  dailyPeaks,
  exportFileName,
  parseExportRange,
  sha256Hex,
  toCsv,
  toJson,
  type UsageSnapshotRecord,
} from '../../src/export/index.ts';

const START = Date.UTC(2026, 9, 1); // 1 October 2026, 00:00 UTC

/** A small RFC 4180 reader, written for the test so that the writer is checked against a second opinion. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(cell, 'the file ends with CRLF').to.equal('');
  return rows;
}

/** 30 days, a snapshot every 6 hours; the peak of day d is 100 + d at noon; days 10 to 19 never acknowledged. */
function thirtyDaysWithOutage(site = { id: 'ams', name: 'Amsterdam DR' }): UsageSnapshotRecord[] {
  const out: UsageSnapshotRecord[] = [];
  for (let d = 0; d < 30; d++) {
    for (let h = 0; h < 24; h += 6) {
      const at = START + d * DAY + h * HOUR;
      const outage = d >= 10 && d <= 19;
      out.push({
        siteId: site.id,
        siteName: site.name,
        at,
        protectedVms: h === 12 ? 100 + d : 90 + (d % 3),
        licenseType: 'Enterprise',
        reportId: `r-${d}-${h}`,
        acknowledgedAt: outage ? null : at + 60_000,
      });
    }
  }
  return out;
}

const range30 = { from: START, to: START + 30 * DAY - 1 };

describe('manual-billing export', () => {
  it('exports the right daily peaks over 30 days with the outage days marked unsent', async () => {
    const rows = dailyPeaks(thirtyDaysWithOutage(), range30);
    expect(rows).to.have.length(30);
    rows.forEach((r, d) => {
      expect(r.peakProtectedVms).to.equal(100 + d);
      expect(r.snapshots).to.equal(4);
      expect(r.status).to.equal(d >= 10 && d <= 19 ? 'unsent' : 'sent');
      expect(r.unsent).to.equal(d >= 10 && d <= 19);
      expect(r.noData).to.equal(false);
      expect(r.acknowledged).to.equal(r.unsent ? 0 : 4);
    });
    const file = await buildExport({
      snapshots: thirtyDaysWithOutage(),
      range: range30,
      format: 'csv',
      allSites: false,
      siteNames: ['Amsterdam DR'],
      now: START + 31 * DAY,
    });
    const csv = parseCsv(new TextDecoder().decode(file.bytes));
    expect(csv[0]).to.deep.equal([
      'date',
      'site_id',
      'site_name',
      'peak_protected_vms',
      'snapshots',
      'acknowledged',
      'status',
    ]);
    expect(csv[11]).to.deep.equal(['2026-10-11', 'ams', 'Amsterdam DR', '110', '4', '0', 'unsent']);
    expect(csv[21]).to.deep.equal(['2026-10-21', 'ams', 'Amsterdam DR', '120', '4', '4', 'sent']);
    expect(file.unsentDays).to.equal(10);
  });

  it('lists days with no data at all, so that gaps show', () => {
    const snapshots = thirtyDaysWithOutage().filter((s) => s.at < START + 5 * DAY || s.at >= START + 7 * DAY);
    const rows = dailyPeaks(snapshots, range30);
    expect(rows.slice(5, 7).map((r) => [r.status, r.peakProtectedVms, r.noData, r.unsent])).to.deep.equal([
      ['no-data', null, true, false],
      ['no-data', null, true, false],
    ]);
    expect(rows[4]?.noData).to.equal(false);
  });

  it('marks a day partly acknowledged as partially sent, and gives listed sites without data their gaps', () => {
    const day = (at: number, acked: boolean): UsageSnapshotRecord => ({
      siteId: 'ams',
      siteName: 'Amsterdam DR',
      at,
      protectedVms: 5,
      licenseType: null,
      reportId: null,
      acknowledgedAt: acked ? at : null,
    });
    const rows = dailyPeaks([day(START + HOUR, true), day(START + 2 * HOUR, false)], {
      from: START,
      to: START + 2 * DAY - 1,
      sites: [{ id: 'lis', name: 'Lisbon DR' }],
    });
    expect(rows.map((r) => [r.date, r.siteId, r.status])).to.deep.equal([
      ['2026-10-01', 'ams', 'partially-sent'],
      ['2026-10-01', 'lis', 'no-data'],
      ['2026-10-02', 'ams', 'no-data'],
      ['2026-10-02', 'lis', 'no-data'],
    ]);
    expect(rows[1]?.siteName).to.equal('Lisbon DR');
    expect(rows[0]?.unsent, 'some of it was sent').to.equal(false);
  });

  it('gives a SHA-256 checksum that matches the bytes of the file', async () => {
    const file = await buildExport({
      snapshots: thirtyDaysWithOutage(),
      range: range30,
      format: 'json',
      allSites: true,
      siteNames: [],
      now: START + 31 * DAY,
    });
    const digest = new Uint8Array(
      await crypto.subtle.digest('SHA-256', file.bytes as Uint8Array<ArrayBuffer>),
    );
    expect(file.sha256).to.equal(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''));
    expect(file.checksumLine).to.equal(`${file.sha256}  ${file.fileName}\n`);
    expect(await sha256Hex(new TextEncoder().encode('abc'))).to.equal(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const json = JSON.parse(new TextDecoder().decode(file.bytes));
    expect(json.format).to.equal('zerto-billing-usage-export');
    expect(json.reports).to.have.length(120);
    expect(json.reports.filter((r: { acknowledged: boolean }) => !r.acknowledged)).to.have.length(40);
  });

  it('keeps a site name with commas, quotes, newlines and a formula intact, and unable to run as a formula', async () => {
    const names = [
      '=HYPERLINK("http://x","y")',
      '=HYPERLINK("http://evil.example","Click me")',
      'Site, with "quotes", a comma,\r\nand a new line',
      'Acme, "Cloud"\nDR site',
      '+1 site',
      '-cmd',
      '@SUM(A1)',
      '\tTabbed',
      '\rReturn',
      '\uFF1D1+1',
      'Plain',
    ];
    const snapshots: UsageSnapshotRecord[] = names.map((name, i) => ({
      siteId: `s${i}`,
      siteName: name,
      at: START + HOUR,
      protectedVms: 10 + i,
      licenseType: null,
      reportId: null,
      acknowledgedAt: null,
    }));
    const file = await buildExport({
      snapshots,
      range: { from: START, to: START + DAY - 1 },
      format: 'csv',
      allSites: true,
      siteNames: [],
      now: START + DAY,
    });
    const text = new TextDecoder().decode(file.bytes);
    expect(parseCsv(text)).to.have.length(names.length + 1);
    const rows = parseCsv(text).slice(1);
    const byId = new Map(rows.map((r) => [r[1], r]));
    names.forEach((name, i) => {
      const cell = byId.get(`s${i}`)![2]!;
      const dangerous = /^[=+\-@\t\r\uFF1D]/.test(name);
      expect(cell).to.equal(dangerous ? `'${name}` : name);
      expect(cell).to.not.match(/^[=+\-@\t\r]/);
    });
    expect(csvCell(-5)).to.equal('-5');
    expect(csvCell(0)).to.equal('0');
    // The exact formula the brief names, cell by cell: quoted, quotes doubled, and neutralised.
    expect(text).to.contain(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it('writes the CSV with a header row and the JSON with its documented shape', async () => {
    const snapshots = thirtyDaysWithOutage().slice(0, 8);
    const range = { from: START, to: START + 2 * DAY - 1 };
    const rows = dailyPeaks(snapshots, range);
    expect(await toCsv(rows)).to.equal(
      'date,site_id,site_name,peak_protected_vms,snapshots,acknowledged,status\r\n' +
        '2026-10-01,ams,Amsterdam DR,100,4,4,sent\r\n' +
        '2026-10-02,ams,Amsterdam DR,101,4,4,sent\r\n',
    );
    const json = JSON.parse(await toJson(rows, snapshots, { range, now: START + 3 * DAY }));
    expect(Object.keys(json)).to.deep.equal([
      'format',
      'version',
      'generatedAt',
      'range',
      'sites',
      'days',
      'reports',
    ]);
    expect(json.version).to.equal(1);
    expect(json.generatedAt).to.equal('2026-10-04T00:00:00.000Z');
    expect(json.range).to.deep.equal({ from: '2026-10-01T00:00:00.000Z', to: '2026-10-02T23:59:59.999Z' });
    expect(json.sites).to.deep.equal([{ id: 'ams', name: 'Amsterdam DR' }]);
    expect(json.days).to.deep.equal(rows);
    expect(json.reports[0]).to.deep.equal({
      siteId: 'ams',
      siteName: 'Amsterdam DR',
      collectedAt: '2026-10-01T00:00:00.000Z',
      protectedVms: 90,
      licenseType: 'Enterprise',
      reportId: 'r-0-0',
      acknowledged: true,
      acknowledgedAt: '2026-10-01T00:01:00.000Z',
    });
    const empty = JSON.parse(await toJson([], [], { range, now: START }));
    expect([empty.sites, empty.days, empty.reports]).to.deep.equal([[], [], []]);
  });

  it('lets the page breathe while it exports 400 days of 100 sites', async function () {
    this.timeout(60_000);
    const snapshots: UsageSnapshotRecord[] = [];
    for (let d = 0; d < 400; d++)
      for (let s = 0; s < 100; s++)
        snapshots.push({
          siteId: `zvm-${String(s).padStart(3, '0')}`,
          siteName: `Site ${s}`,
          at: START + d * DAY + 12 * HOUR,
          protectedVms: 20 + ((s * 7 + d) % 300),
          licenseType: 'Enterprise',
          reportId: `r-${s}-${d}`,
          acknowledgedAt: (d + s) % 11 ? START + d * DAY + 13 * HOUR : null,
        });
    const range = { from: START, to: START + 400 * DAY - 1 };
    for (const format of ['csv', 'json'] as const) {
      // Other work gets turns while the export runs: it pauses for a macrotask every 2,000 rows.
      let turns = 0;
      const timer = setInterval(() => turns++, 0);
      const file = await buildExport({
        snapshots,
        range,
        format,
        allSites: true,
        siteNames: [],
        now: range.to,
      });
      clearInterval(timer);
      expect(file.rows).to.equal(40_000);
      expect(turns, `${format}: timers ran during the export`).to.be.greaterThan(2);
      expect(file.text.length).to.be.greaterThan(40_000);
    }
  });

  it('refuses a bad date range with a clear message', () => {
    const now = Date.UTC(2026, 10, 28);
    const msg = (from: string, to: string) => {
      const r = parseExportRange({ from, to }, now);
      return r.ok ? '' : r.error;
    };
    expect(msg('2026-02-30', '2026-03-01')).to.equal(
      'from: "2026-02-30" is not a date (write it as YYYY-MM-DD)',
    );
    expect(msg('yesterday', '2026-03-01')).to.contain('is not a date');
    expect(msg('2026-11-20', '2026-11-01')).to.equal('from (2026-11-20) is after to (2026-11-01)');
    expect(msg('2026-12-01', '2026-12-05')).to.contain('is in the future');
    expect(msg('2025-01-01', '2026-11-01')).to.contain('at most 400 days');
    expect(msg('2026-13-01', '2026-12-05')).to.contain('from: "2026-13-01" is not a date');
    expect(msg('2026-11-01', '')).to.contain('to: "" is not a date');
    expect(msg('2025-10-25', '2026-11-28')).to.equal('');
    // A range running past today ends today: future days would read as gaps in the usage.
    const month = parseExportRange({ from: '2026-11-01', to: '2026-11-30' }, now + 5 * HOUR);
    expect(month).to.deep.equal({
      ok: true,
      value: { from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 29) - 1 },
    });
    const ok = parseExportRange({ from: '2026-11-01', to: '2026-11-01' }, now);
    expect(ok).to.deep.equal({
      ok: true,
      value: { from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 2) - 1 },
    });
  });

  it('names the file after its sites and its range', () => {
    const range = { from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 30, 23) };
    expect(exportFileName({ siteNames: ['Amsterdam DR'], allSites: false, range, format: 'csv' })).to.equal(
      'zerto-usage_amsterdam-dr_2026-11-01_2026-11-30.csv',
    );
    expect(exportFileName({ siteNames: ['a', 'b', 'c'], allSites: false, range, format: 'json' })).to.equal(
      'zerto-usage_3-sites_2026-11-01_2026-11-30.json',
    );
    expect(exportFileName({ siteNames: [], allSites: true, range, format: 'csv' })).to.equal(
      'zerto-usage_all-sites_2026-11-01_2026-11-30.csv',
    );
    expect(exportFileName({ siteNames: ['../../=evil'], allSites: false, range, format: 'csv' })).to.equal(
      'zerto-usage_evil_2026-11-01_2026-11-30.csv',
    );
    expect(
      exportFileName({ sites: ['Amsterdam DR'], from: range.from, to: range.to, format: 'csv' }),
    ).to.equal('zerto-usage_amsterdam-dr_2026-11-01_2026-11-30.csv');
    expect(exportFileName({ sites: ['a', 'b', 'c'], ...range, format: 'csv' })).to.contain('_3-sites_');
    expect(exportFileName({ sites: 'all', ...range, format: 'json' })).to.equal(
      'zerto-usage_all-sites_2026-11-01_2026-11-30.json',
    );
    expect(exportFileName({ sites: ['Zürich / Genève: "DR"'], ...range, format: 'csv' })).to.equal(
      'zerto-usage_zurich-geneve-dr_2026-11-01_2026-11-30.csv',
    );
  });
});

describe('CSV export: cells a spreadsheet could read as a formula', () => {
  /** Exports one site per name through the real export and gives back each name's site_name cell, as written. */
  async function exportedNames(names: readonly string[]): Promise<string[]> {
    const snapshots: UsageSnapshotRecord[] = names.map((name, i) => ({
      siteId: `s${i}`,
      siteName: name,
      at: START + HOUR,
      protectedVms: 10,
      licenseType: null,
      reportId: null,
      acknowledgedAt: null,
    }));
    const file = await buildExport({
      snapshots,
      range: { from: START, to: START + DAY - 1 },
      format: 'csv',
      allSites: true,
      siteNames: [],
      now: START + DAY,
    });
    const rows = parseCsv(file.text).slice(1);
    expect(rows, 'one row per site').to.have.length(names.length);
    const byId = new Map(rows.map((r) => [r[1], r[2]!]));
    return names.map((_, i) => byId.get(`s${i}`)!);
  }

  /** Reads a cell back by the documented rule: a cell starting with `'` had exactly one `'` added. */
  const readBack = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);

  const SIGNS: ReadonlyArray<[string, string]> = [
    ['= equals', '='],
    ['+ plus', '+'],
    ['- hyphen-minus', '-'],
    ['@ commercial at', '@'],
    ['U+FF1D full-width equals', '\uFF1D'],
    ['U+FF0B full-width plus', '\uFF0B'],
    ['U+FF0D full-width hyphen-minus', '\uFF0D'],
    ['U+FF20 full-width commercial at', '\uFF20'],
    ['U+2212 minus sign', '\u2212'],
    ['U+FE62 small plus', '\uFE62'],
    ['U+FE63 small hyphen-minus', '\uFE63'],
    ['U+FE66 small equals', '\uFE66'],
    ['U+FE6B small commercial at', '\uFE6B'],
  ];

  const LEADING: ReadonlyArray<[string, string]> = [
    ['nothing', ''],
    ['a space', ' '],
    ['a tab', '\t'],
    ['a carriage return', '\r'],
    ['a line feed', '\n'],
    ['CRLF', '\r\n'],
    ['U+00A0 no-break space', '\u00A0'],
    ['U+200B zero-width space', '\u200B'],
    ['U+FEFF byte order mark', '\uFEFF'],
    ['U+3000 ideographic space', '\u3000'],
    ['U+2060 word joiner', '\u2060'],
    ['U+2003 em space', '\u2003'],
    ['U+2028 line separator', '\u2028'],
    ['U+180E Mongolian vowel separator', '\u180E'],
    ['U+0085 next line', '\u0085'],
    ['several kinds mixed', ' \u00A0\u200B\uFEFF\u3000\t'],
  ];

  for (const [signName, sign] of SIGNS) {
    it(`neutralises ${signName}, alone, before a formula and after each kind of leading whitespace`, async () => {
      const cases = LEADING.flatMap(([wsName, ws]) => [
        { label: `${wsName} + ${signName} alone`, text: `${ws}${sign}` },
        { label: `${wsName} + ${signName} + formula`, text: `${ws}${sign}1+1` },
        { label: `${wsName} + ${signName} + HYPERLINK`, text: `${ws}${sign}HYPERLINK("http://x","y")` },
      ]);
      const cells = await exportedNames(cases.map((c) => c.text));
      cases.forEach(({ label, text }, i) => {
        expect(cells[i], label).to.equal(`'${text}`);
        expect(readBack(cells[i]!), `${label}: reads back`).to.equal(text);
        expect(csvCell(text), `${label}: csvCell`).to.match(/^"?'/);
      });
    });
  }

  it('neutralises a cell starting with a tab, a carriage return or a line feed, whatever follows', async () => {
    const cases: ReadonlyArray<[string, string]> = [
      ['tab alone', '\t'],
      ['tab before a name', '\tTabbed'],
      ['carriage return alone', '\r'],
      ['carriage return before a name', '\rReturn'],
      ['line feed alone', '\n'],
      ['line feed before a name', '\nNew line'],
      ['line feed before =', '\n=1+1'],
      ['line feed before a command', '\n-2+3+cmd|" /C calc"!A0'],
    ];
    const cells = await exportedNames(cases.map(([, t]) => t));
    cases.forEach(([label, text], i) => {
      expect(cells[i], label).to.equal(`'${text}`);
      expect(readBack(cells[i]!), `${label}: reads back`).to.equal(text);
    });
    // The line feed is inside the quoted field, so the row is not broken.
    expect(csvCell('\n=1+1')).to.equal(`"'\n=1+1"`);
  });

  it("writes '=1+1 and =1+1 differently, so that the quote prefix is unambiguous", async () => {
    const cases: ReadonlyArray<[string, string, string]> = [
      ['formula', '=1+1', "'=1+1"],
      ['already quoted formula', "'=1+1", "''=1+1"],
      ['twice quoted formula', "''=1+1", "'''=1+1"],
      ['quote before a name', "'Amsterdam DR", "''Amsterdam DR"],
      ['quote alone', "'", "''"],
      ['quote with a comma', "'a,b", `"''a,b"`],
    ];
    const cells = await exportedNames(cases.map(([, t]) => t));
    cases.forEach(([label, text, written], i) => {
      expect(csvCell(text), `${label}: csvCell`).to.equal(written);
      expect(readBack(cells[i]!), `${label}: reads back`).to.equal(text);
    });
    expect(cells[0]).to.not.equal(cells[1]);
    expect(new Set(cells).size, 'every cell distinct').to.equal(cases.length);
  });

  it('leaves ordinary names and the values it writes itself (dates, statuses, negative counts) alone', async () => {
    const names: ReadonlyArray<[string, string]> = [
      ['plain name', 'Amsterdam DR'],
      ['name with a sign inside', 'Site 1+1=2 @ Lisbon - DR'],
      ['name starting with a digit', '1+1'],
      ['leading space before a name', ' Amsterdam DR'],
      ['no-break space before a name', '\u00A0Amsterdam DR'],
      ['zero-width space before a name', '\u200BAmsterdam DR'],
      ['non-Latin name', '东京 DR'],
      ['accented name', 'Zürich / Genève'],
      ['en dash (not a minus)', '\u2013 Rotterdam'],
      ['empty name', ''],
    ];
    const cells = await exportedNames(names.map(([, t]) => t));
    names.forEach(([label, text], i) => expect(cells[i], label).to.equal(text));

    // Numbers are written as numbers: a negative-looking count is not prefixed.
    expect(csvCell(-5)).to.equal('-5');
    expect(csvCell(-0.5)).to.equal('-0.5');
    expect(
      await toCsv([
        {
          date: '2026-10-01',
          siteId: 'ams',
          siteName: 'Amsterdam DR',
          peakProtectedVms: -3,
          snapshots: 1,
          acknowledged: 0,
          status: 'unsent',
          unsent: true,
          noData: false,
        },
        {
          date: '2026-10-02',
          siteId: 'ams',
          siteName: 'Amsterdam DR',
          peakProtectedVms: null,
          snapshots: 0,
          acknowledged: 0,
          status: 'no-data',
          unsent: false,
          noData: true,
        },
      ]),
    ).to.equal(
      'date,site_id,site_name,peak_protected_vms,snapshots,acknowledged,status\r\n' +
        '2026-10-01,ams,Amsterdam DR,-3,1,0,unsent\r\n' +
        '2026-10-02,ams,Amsterdam DR,,0,0,no-data\r\n',
    );
  });
});

describe('the export names each site as the operator reads it', () => {
  // Imported here so that the pure tests above stay free of storage.
  const world = async () => ({
    ...(await import('../../src/world/storage/db.ts')),
    ...(await import('../../src/world/storage/repo.ts')),
    ...(await import('../../src/world/usage-history.ts')),
    ...(await import('../../src/world/export-usage.ts')),
    core: await import('../../src/core/index.ts'),
  });
  const csvRange = { from: START, to: START + 2 * DAY - 1 };
  const snapshot = (siteId: string, siteName: string, at: number): UsageSnapshotRecord => ({
    siteId,
    siteName,
    at,
    protectedVms: 7,
    licenseType: null,
    reportId: null,
    acknowledgedAt: null,
  });

  it("writes the site's name, not its id, in site_name when the usage was stored without one", async () => {
    const w = await world();
    w.storageConfig.dbName = `zbb-test-export-names-${Math.random().toString(36).slice(2)}`;
    const db = await w.openBillingDb();
    const site = { id: 'zvm-ams-01', name: 'Amsterdam DR' };
    await w.applyEvent(db, site, w.core.DEFAULT_POLICY, { type: 'succeeded' }, START + HOUR);
    await w.recordUsage(db, snapshot(site.id, '', START + HOUR));
    for (const o of [{ siteIds: [site.id] }, {}]) {
      const file = await w.exportUsage(db, { ...o, range: csvRange, format: 'csv', now: START + DAY });
      const rows = parseCsv(file.text).slice(1);
      expect(rows.length, JSON.stringify(o)).to.equal(2);
      for (const r of rows) expect(r.slice(1, 3), JSON.stringify(o)).to.deep.equal([site.id, 'Amsterdam DR']);
    }
  });

  it("prefers the operator's name for the site over the name stored with its usage", async () => {
    const w = await world();
    w.storageConfig.dbName = `zbb-test-export-names-${Math.random().toString(36).slice(2)}`;
    const db = await w.openBillingDb();
    await w.recordUsage(db, snapshot('zvm-lis', 'LIS-ZVM-01', START + HOUR));
    const file = await w.exportUsage(db, {
      siteIds: ['zvm-lis'],
      siteNames: { 'zvm-lis': 'Lisbon DR' },
      range: csvRange,
      format: 'csv',
      now: START + DAY,
    });
    expect(file.fileName).to.match(/^zerto-usage_lisbon-dr_/);
    expect(
      parseCsv(file.text)
        .slice(1)
        .map((r) => r[2]),
    ).to.deep.equal(['Lisbon DR', 'Lisbon DR']);
  });

  it('leaves site_name empty rather than repeating the id when no name is known', async () => {
    const w = await world();
    w.storageConfig.dbName = `zbb-test-export-names-${Math.random().toString(36).slice(2)}`;
    const db = await w.openBillingDb();
    const file = await w.exportUsage(db, {
      siteIds: ['zvm-nameless'],
      range: csvRange,
      format: 'csv',
      now: START + DAY,
    });
    expect(
      parseCsv(file.text)
        .slice(1)
        .map((r) => r.slice(1, 3)),
    ).to.deep.equal([
      ['zvm-nameless', ''],
      ['zvm-nameless', ''],
    ]);
  });
});
