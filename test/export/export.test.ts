import { expect } from '@open-wc/testing';
import { DAY, HOUR } from '../../src/core/index.ts';
import {
  buildExport,
  csvCell,
  dailyPeaks,
  exportFileName,
  parseExportRange,
  sha256Hex,
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
    expect(rows.slice(5, 7).map((r) => [r.status, r.peakProtectedVms])).to.deep.equal([
      ['no-data', null],
      ['no-data', null],
    ]);
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
      '=HYPERLINK("http://evil.example","Click me")',
      'Acme, "Cloud"\nDR site',
      '+1 site',
      '-cmd',
      '@SUM(A1)',
      '\tTabbed',
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
    expect(text.split('\r\n')).to.have.length(names.length + 2);
    const rows = parseCsv(text).slice(1);
    const byId = new Map(rows.map((r) => [r[1], r]));
    names.forEach((name, i) => {
      const cell = byId.get(`s${i}`)![2]!;
      const dangerous = /^[=+\-@\t\r]/.test(name);
      expect(cell).to.equal(dangerous ? `'${name}` : name);
      expect(cell).to.not.match(/^[=+\-@\t\r]/);
    });
    expect(csvCell(-5)).to.equal('-5');
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
  });
});
