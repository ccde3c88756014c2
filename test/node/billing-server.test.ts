import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { STORE_FILE } from '../../servers/billing/store.ts';
import { json, listAll, rawExchange, request, runCli, type Answer } from './http-client.ts';

const ALLOWED = 'http://allowed.test:5170';
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'zbb-billing-test-'));
  dirs.push(dir);
  return dir;
}

after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

let seq = 0;
function report(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    protocol: 1,
    reportId: `test-report-${process.pid}-${seq}`,
    site: { id: 'site-ams', name: 'Amsterdam DR' },
    // Each report its own hour: a site's periods never overlap (the period rule).
    period: {
      from: new Date(Date.UTC(2026, 10, 1) + seq * 3_600_000).toISOString(),
      to: new Date(Date.UTC(2026, 10, 1) + (seq + 1) * 3_600_000).toISOString(),
    },
    generatedAt: '2026-11-01T09:00:01.250Z',
    usage: {
      protectedVms: 42,
      licenseType: 'Enterprise',
      sites: [{ id: 'site-ams', name: 'Amsterdam DR', protectedVms: 42 }],
    },
    client: { name: 'zerto-billing-banner', version: '0.1.0' },
    ...overrides,
  };
}

function post(
  server: BillingServer,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 4000,
): Promise<Answer> {
  const id = (body as { reportId?: unknown }).reportId;
  return request(`${server.url}/v1/usage`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(typeof id === 'string' ? { 'Idempotency-Key': id } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : json(body),
    timeoutMs,
  });
}

type ErrorBody = { error: { code: string; field?: string; message: string } };

describe('billing receiver: the usage protocol', () => {
  let server: BillingServer;
  before(async () => {
    server = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      allowOrigins: [ALLOWED],
    });
  });
  after(() => server.close());

  test('accepts a new report (201), answers a repeat as a duplicate (200) and counts it once', async () => {
    const r = report();
    const first = await post(server, r);
    assert.equal(first.status, 201);
    const ack = first.json<{ status: string; reportId: string; receivedAt: string }>();
    assert.equal(ack.status, 'accepted');
    assert.equal(ack.reportId, r.reportId);
    assert.ok(!Number.isNaN(Date.parse(ack.receivedAt)));
    assert.equal(first.headers.location, `/v1/usage/${String(r.reportId)}`);

    const again = await post(server, r, { Authorization: 'Bearer whatever' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json(), { status: 'duplicate', reportId: r.reportId, receivedAt: ack.receivedAt });

    const one = await request(`${server.url}/v1/usage/${String(r.reportId)}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json(), { ...r, receivedAt: ack.receivedAt });
    const list = await request(`${server.url}/v1/usage`);
    const matching = list
      .json<{ reports: Array<{ reportId: string }> }>()
      .reports.filter((x) => x.reportId === r.reportId);
    assert.equal(matching.length, 1);
  });

  test('concurrent copies of one report are stored once', async () => {
    const before = server.stats();
    const r = report();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(server, r)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    const times = new Set(answers.map((a) => a.json<{ receivedAt: string }>().receivedAt));
    assert.equal(times.size, 1);
    const after = server.stats();
    assert.equal(after.accepted - before.accepted, 1);
    assert.equal(after.duplicates - before.duplicates, 7);
    assert.equal(after.received - before.received, 8);
  });

  test('a report id reused for different content is refused (422), not silently dropped', async () => {
    const r = report();
    assert.equal((await post(server, r)).status, 201);
    const changed = { ...r, usage: { protectedVms: 7 } };
    const answer = await post(server, changed);
    assert.equal(answer.status, 422);
    const body = answer.json<ErrorBody>();
    assert.equal(body.error.code, 'idempotency-key-reused');
    assert.equal(body.error.field, 'reportId');
  });

  test('ignores fields this protocol version does not know', async () => {
    const r = report({ futureField: { x: 1 } });
    assert.equal((await post(server, r)).status, 201);
    const stored = (await request(`${server.url}/v1/usage/${String(r.reportId)}`)).json();
    assert.equal('futureField' in stored, false);
  });

  const invalid: Array<[string, string, (r: Record<string, unknown>) => unknown]> = [
    ['protocol missing', 'protocol', (r) => ({ ...r, protocol: undefined })],
    ['protocol 2', 'protocol', (r) => ({ ...r, protocol: 2 })],
    ['reportId too short', 'reportId', (r) => ({ ...r, reportId: 'short' })],
    ['reportId with a space', 'reportId', (r) => ({ ...r, reportId: 'has a space in it' })],
    ['site missing', 'site', (r) => ({ ...r, site: undefined })],
    ['site.id empty', 'site.id', (r) => ({ ...r, site: { id: '', name: 'x' } })],
    ['site.name too long', 'site.name', (r) => ({ ...r, site: { id: 'a', name: 'n'.repeat(201) } })],
    [
      'period.from not ISO',
      'period.from',
      (r) => ({ ...r, period: { from: 'yesterday', to: '2026-11-01T09:00:00Z' } }),
    ],
    [
      'period.from with an offset',
      'period.from',
      (r) => ({ ...r, period: { from: '2026-11-01T08:00:00+02:00', to: '2026-11-01T09:00:00Z' } }),
    ],
    [
      'period.to before period.from',
      'period.to',
      (r) => ({ ...r, period: { from: '2026-11-01T09:00:00Z', to: '2026-11-01T08:00:00Z' } }),
    ],
    ['generatedAt a number', 'generatedAt', (r) => ({ ...r, generatedAt: 1700000000000 })],
    ['usage.protectedVms negative', 'usage.protectedVms', (r) => ({ ...r, usage: { protectedVms: -1 } })],
    ['usage.protectedVms fractional', 'usage.protectedVms', (r) => ({ ...r, usage: { protectedVms: 1.5 } })],
    ['usage.protectedVms a string', 'usage.protectedVms', (r) => ({ ...r, usage: { protectedVms: '3' } })],
    [
      'usage.sites[0].protectedVms missing',
      'usage.sites.0.protectedVms',
      (r) => ({ ...r, usage: { protectedVms: 1, sites: [{ id: 'a', name: 'b' }] } }),
    ],
    ['client.name empty', 'client.name', (r) => ({ ...r, client: { name: '', version: '1' } })],
  ];
  for (const [label, field, mutate] of invalid) {
    test(`400 names the field: ${label}`, async () => {
      const before = server.stats().rejected;
      const answer = await post(server, mutate(report()));
      assert.equal(answer.status, 400);
      const body = answer.json<ErrorBody>();
      assert.equal(body.error.code, 'invalid');
      assert.equal(body.error.field, field, body.error.message);
      assert.ok(body.error.message.startsWith(`${field}:`), body.error.message);
      assert.equal(server.stats().rejected, before + 1);
    });
  }

  test('400 for an unsupported protocol lists the supported versions', async () => {
    const body = (await post(server, report({ protocol: 2 }))).json<ErrorBody>();
    assert.match(body.error.message, /supports: 1/);
  });

  test('400 for malformed JSON names the body', async () => {
    const answer = await post(server, '{"protocol": 1, "reportId": ', { 'Idempotency-Key': 'abcdefgh-1' });
    assert.equal(answer.status, 400);
    assert.equal(answer.json<ErrorBody>().error.field, 'body');
  });

  test('400 for a JSON body that is not an object names the body', async () => {
    const answer = await post(server, '[1,2]', { 'Idempotency-Key': 'abcdefgh-1' });
    assert.equal(answer.status, 400);
    assert.equal(answer.json<ErrorBody>().error.field, 'body');
  });

  test('400 for a missing or mismatched Idempotency-Key names the header', async () => {
    const r = report();
    const missing = await request(`${server.url}/v1/usage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json(r),
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.json<ErrorBody>().error.field, 'Idempotency-Key');
    const mismatched = await post(server, r, { 'Idempotency-Key': 'another-report-id' });
    assert.equal(mismatched.status, 400);
    assert.equal(mismatched.json<ErrorBody>().error.field, 'Idempotency-Key');
    assert.equal((await request(`${server.url}/v1/usage/${String(r.reportId)}`)).status, 404);
  });

  test('413 past maxBodyBytes, whether the size is declared or not', async () => {
    const big = report({ padding: 'x'.repeat(70_000) });
    const declared = await post(server, big);
    assert.equal(declared.status, 413);
    assert.equal(declared.json<ErrorBody>().error.code, 'too-large');

    // Chunked, without Content-Length: refused at the first chunk past the limit, not after reading all.
    const { request: rawRequest } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = rawRequest(`${server.url}/v1/usage`, {
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'chunked-report-1' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(16 * 1024);
      let n = 0;
      const write = () => {
        while (n++ < 64) if (!req.write(chunk)) return void req.once('drain', write);
        req.end();
      };
      write();
    });
    assert.equal(status, 413);
  });

  test('415 when the body is not JSON', async () => {
    const r = report();
    const plain = await post(server, json(r), { 'Content-Type': 'text/plain' });
    assert.equal(plain.status, 415);
    assert.equal(plain.json<ErrorBody>().error.code, 'unsupported-media-type');
    const form = await post(server, 'a=b', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const charset = await post(server, r, { 'Content-Type': 'application/json; charset=utf-8' });
    assert.equal(charset.status, 201);
  });

  test('lists reports for reconciliation, by site and since a time', async () => {
    const other = report({ site: { id: 'site-rtm', name: 'Rotterdam' } });
    assert.equal((await post(server, other)).status, 201);
    const bySite = (await request(`${server.url}/v1/usage?siteId=site-rtm`)).json<{
      reports: Array<{ reportId: string; receivedAt: string }>;
      count: number;
    }>();
    assert.equal(bySite.count, 1);
    assert.equal(bySite.reports[0]?.reportId, other.reportId);
    const future = (await request(`${server.url}/v1/usage?since=2999-01-01T00:00:00Z`)).json<{
      count: number;
    }>();
    assert.equal(future.count, 0);
    const badSince = await request(`${server.url}/v1/usage?since=last-week`);
    assert.equal(badSince.status, 400);
    assert.equal(badSince.json<ErrorBody>().error.field, 'since');
  });

  test('404 and 405 are JSON errors', async () => {
    const missing = await request(`${server.url}/v1/usage/no-such-report-id`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json<ErrorBody>().error.code, 'not-found');
    const nowhere = await request(`${server.url}/v2/usage`);
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.json<ErrorBody>().error.code, 'not-found');
    const put = await request(`${server.url}/v1/usage`, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, HEAD, POST, OPTIONS');
    assert.equal(put.json<ErrorBody>().error.code, 'method-not-allowed');
  });

  test('GET and HEAD /v1/health answer 204', async () => {
    assert.equal((await request(`${server.url}/v1/health`)).status, 204);
    assert.equal((await request(`${server.url}/v1/health`, { method: 'HEAD' })).status, 204);
  });
});

describe('billing receiver: durable store', () => {
  test('a restart on the same data folder keeps every report and still de-duplicates', async () => {
    const dataDir = await tempDir();
    const first = await startBillingServer({ port: 0, dataDir, quiet: true });
    const r = report();
    const ack = (await post(first, r)).json<{ receivedAt: string }>();
    const port = first.port;
    await first.close();

    // Same port too, as the demo restarts it.
    const second = await startBillingServer({ port, dataDir, quiet: true });
    try {
      const list = (await request(`${second.url}/v1/usage`)).json<{ count: number }>();
      assert.equal(list.count, 1);
      const again = await post(second, r);
      assert.equal(again.status, 200);
      assert.deepEqual(again.json(), {
        status: 'duplicate',
        reportId: r.reportId,
        receivedAt: ack.receivedAt,
      });
      assert.deepEqual(second.warnings(), []);
    } finally {
      await second.close();
    }
  });

  test('a torn last line is skipped with a warning, and later writes stay readable', async () => {
    const dataDir = await tempDir();
    const first = await startBillingServer({ port: 0, dataDir, quiet: true });
    const kept = report();
    await post(first, kept);
    await first.close();
    const file = join(dataDir, STORE_FILE);
    await writeFile(file, `${await readFile(file, 'utf8')}{"v":1,"receivedAt":"2026-11-01T09:00:00Z","rep`);

    const second = await startBillingServer({ port: 0, dataDir, quiet: true });
    const added = report();
    try {
      assert.equal(second.warnings().length, 1);
      assert.match(second.warnings()[0] ?? '', /last line is incomplete/);
      assert.equal((await request(`${second.url}/v1/usage`)).json<{ count: number }>().count, 1);
      assert.equal((await post(second, added)).status, 201);
    } finally {
      await second.close();
    }

    const third = await startBillingServer({ port: 0, dataDir, quiet: true });
    try {
      assert.deepEqual(third.warnings(), []);
      const ids = (await request(`${third.url}/v1/usage`))
        .json<{ reports: Array<{ reportId: string }> }>()
        .reports.map((x) => x.reportId);
      assert.deepEqual(ids, [kept.reportId, added.reportId]);
    } finally {
      await third.close();
    }
  });

  test('a damaged line in the middle is skipped with a warning, the others are kept', async () => {
    const dataDir = await tempDir();
    const a = report();
    const b = report();
    const line = (r: unknown) => json({ v: 1, receivedAt: '2026-11-01T09:00:00.000Z', report: r });
    await writeFile(join(dataDir, STORE_FILE), `${line(a)}\nnot json at all\n{"v":1}\n${line(b)}\n`);
    const server = await startBillingServer({ port: 0, dataDir, quiet: true });
    try {
      assert.equal(server.warnings().length, 2);
      assert.match(server.warnings()[0] ?? '', /:2: not valid JSON/);
      assert.equal((await request(`${server.url}/v1/usage`)).json<{ count: number }>().count, 2);
      assert.equal((await post(server, b)).status, 200);
    } finally {
      await server.close();
    }
  });

  test('POST /control/clear forgets every report, on disk too', async () => {
    const dataDir = await tempDir();
    const server = await startBillingServer({ port: 0, dataDir, quiet: true });
    try {
      await post(server, report());
      const cleared = await request(`${server.url}/control/clear`, {
        method: 'POST',
        headers: { 'X-Control-Token': server.controlToken, 'Content-Type': 'application/json' },
      });
      assert.deepEqual(cleared.json(), { cleared: 1 });
      assert.equal((await request(`${server.url}/v1/usage`)).json<{ count: number }>().count, 0);
      assert.equal(await readFile(join(dataDir, STORE_FILE), 'utf8'), '');
      assert.equal(server.stats().accepted, 0);
    } finally {
      await server.close();
    }
  });
});

describe('billing receiver: faults', () => {
  let server: BillingServer;
  before(async () => {
    server = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      allowOrigins: [ALLOWED],
    });
  });
  afterEach(() => server.setFault({ mode: 'none' }));
  after(() => server.close());

  const setFault = (fault: unknown) =>
    request(`${server.url}/control/fault`, {
      method: 'POST',
      body: json(fault),
      headers: { 'Content-Type': 'application/json', 'X-Control-Token': server.controlToken },
    });

  test('error answers the status given (default 503) with a JSON error, on health too', async () => {
    const set = await setFault({ mode: 'error' });
    assert.deepEqual(set.json(), { mode: 'error', status: 503 });
    const current = await request(`${server.url}/control/fault`, {
      headers: { 'X-Control-Token': server.controlToken },
    });
    assert.deepEqual(current.json(), { mode: 'error', status: 503 });
    const r = report();
    const answer = await post(server, r);
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['retry-after'], '60');
    assert.equal(answer.json<ErrorBody>().error.code, 'fault-injected');
    assert.equal((await request(`${server.url}/v1/health`)).status, 503);

    server.setFault({ mode: 'error', status: 500 });
    assert.equal((await post(server, r)).status, 500);
    server.setFault({ mode: 'none' });
    // Nothing was stored while the fault was on.
    assert.equal((await post(server, r)).status, 201);
  });

  test('hang never answers: the client times out; close() still ends the socket', async () => {
    server.setFault({ mode: 'hang' });
    await assert.rejects(
      post(server, report(), {}, 300).then(() => undefined),
      { code: 'TEST_TIMEOUT' },
    );
    await assert.rejects(
      request(`${server.url}/v1/health`, { timeoutMs: 300 }).then(() => undefined),
      { code: 'TEST_TIMEOUT' },
    );

    const other = await startBillingServer({ port: 0, dataDir: await tempDir(), quiet: true });
    other.setFault({ mode: 'hang' });
    const pending = request(`${other.url}/v1/health`, { timeoutMs: 3000 });
    const outcome = pending.then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code,
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 1000, 'close() waited on a hanging request');
    assert.equal(await outcome, 'ECONNRESET');
  });

  test('reset destroys the connection', async () => {
    server.setFault({ mode: 'reset' });
    await assert.rejects(post(server, report()), { code: 'ECONNRESET' });
    assert.equal(server.stats().faulted > 0, true);
  });

  test('slow waits delayMs, then answers normally', async () => {
    server.setFault({ mode: 'slow', delayMs: 300 });
    const started = Date.now();
    const answer = await post(server, report());
    assert.ok(Date.now() - started >= 280, `answered after ${Date.now() - started} ms`);
    assert.equal(answer.status, 201);
  });

  test('malformed answers 200 with truncated JSON', async () => {
    server.setFault({ mode: 'malformed' });
    const answer = await post(server, report());
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /application\/json/);
    assert.throws(() => answer.json(), SyntaxError);
  });

  test('html answers 200 with a captive-portal page', async () => {
    server.setFault({ mode: 'html' });
    const answer = await post(server, report());
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^text\/html/);
    assert.match(answer.text, /<html/);
  });

  test('wrong-shape answers 200 JSON that is not an acknowledgement', async () => {
    server.setFault({ mode: 'wrong-shape' });
    const answer = await post(server, report());
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { ok: 'yes' });
  });

  test('oversized answers about 2 MB of JSON without a Content-Length', async () => {
    server.setFault({ mode: 'oversized' });
    const answer = await post(server, report());
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-length'], undefined);
    assert.ok(answer.body.length > 2_000_000, `${answer.body.length} bytes`);
    assert.equal(answer.json<{ status: string }>().status, 'accepted');
  });

  test('faults leave /control alone and let CORS preflights through', async () => {
    server.setFault({ mode: 'error', status: 502 });
    const stats = await request(`${server.url}/control/stats`, {
      headers: { 'X-Control-Token': server.controlToken },
    });
    assert.equal(stats.status, 200);
    const preflight = await request(`${server.url}/v1/usage`, {
      method: 'OPTIONS',
      headers: { Origin: ALLOWED, 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    // …so a browser can read the faulty answer itself.
    const answer = await post(server, report(), { Origin: ALLOWED });
    assert.equal(answer.status, 502);
    assert.equal(answer.headers['access-control-allow-origin'], ALLOWED);
  });

  test('a bad fault is refused with 400 naming the field, and setFault throws', async () => {
    const badMode = await setFault({ mode: 'explode' });
    assert.equal(badMode.status, 400);
    assert.equal(badMode.json<ErrorBody>().error.field, 'mode');
    const badStatus = await setFault({ mode: 'error', status: 200 });
    assert.equal(badStatus.json<ErrorBody>().error.field, 'status');
    const badDelay = await setFault({ mode: 'slow', delayMs: -5 });
    assert.equal(badDelay.json<ErrorBody>().error.field, 'delayMs');
    const unknown = await setFault({ mode: 'slow', delay: 5 });
    assert.equal(unknown.status, 400);
    const notJson = await request(`${server.url}/control/fault`, {
      method: 'POST',
      body: 'mode=hang',
      headers: { 'X-Control-Token': server.controlToken, 'Content-Type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json<ErrorBody>().error.field, 'body');
    const untyped = await request(`${server.url}/control/fault`, {
      method: 'POST',
      body: json({ mode: 'hang' }),
      headers: { 'X-Control-Token': server.controlToken },
    });
    assert.equal(untyped.status, 415);
    assert.equal(untyped.json<ErrorBody>().error.field, 'Content-Type');
    assert.throws(() => server.setFault({ mode: 'nope' as 'none' }), /mode: must be one of/);
    assert.deepEqual(server.fault(), { mode: 'none' });
  });
});

describe('billing receiver: CORS', () => {
  let server: BillingServer;
  before(async () => {
    server = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      allowOrigins: [ALLOWED],
    });
  });
  after(() => server.close());

  test('echoes an allowed origin, with Vary: Origin', async () => {
    const answer = await post(server, report(), { Origin: ALLOWED });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['access-control-allow-origin'], ALLOWED);
    assert.match(String(answer.headers.vary), /Origin/);
  });

  test('gives no CORS headers to other origins', async () => {
    const answer = await post(server, report(), { Origin: 'http://evil.test' });
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    const health = await request(`${server.url}/v1/health`, { headers: { Origin: 'http://evil.test' } });
    assert.equal(health.headers['access-control-allow-origin'], undefined);
  });

  test('answers a preflight with 204 and the allowed methods and headers', async () => {
    const answer = await request(`${server.url}/v1/usage`, {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, idempotency-key, authorization',
      },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers['access-control-allow-origin'], ALLOWED);
    assert.match(String(answer.headers['access-control-allow-methods']), /POST/);
    const allowHeaders = String(answer.headers['access-control-allow-headers']).toLowerCase();
    for (const h of ['content-type', 'idempotency-key', 'authorization', 'x-zerto-session']) {
      assert.ok(allowHeaders.includes(h), `${h} not allowed`);
    }

    const other = await request(`${server.url}/v1/usage`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.test', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.equal(other.headers['access-control-allow-headers'], undefined);
  });
});

describe('billing receiver: a web page cannot touch it', () => {
  const TOKEN = 'billing-control-token-for-tests';
  let server: BillingServer;
  before(async () => {
    server = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      allowOrigins: [ALLOWED],
      controlToken: TOKEN,
      hosts: ['billing.test'],
    });
    assert.equal((await post(server, report())).status, 201);
  });
  after(() => server.close());

  const stored = async () => (await listAll(`${server.url}/v1/usage`)).reports.length;
  const clear = (headers: Record<string, string>, body?: string) =>
    request(`${server.url}/control/clear`, { method: 'POST', headers, body });

  test('a cross-site text/plain POST to /control/clear (no preflight) is refused and clears nothing', async () => {
    const before = await stored();
    assert.ok(before > 0);
    // What a form or fetch(…, { mode: 'no-cors' }) on any web page can send without asking.
    const crossSite = await clear({ Origin: 'http://evil.test', 'Content-Type': 'text/plain' }, '{}');
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.json<ErrorBody>().error.code, 'forbidden-origin');
    assert.equal(crossSite.headers['access-control-allow-origin'], undefined);
    // Even with the token, a foreign origin or a text/plain body is refused.
    const withToken = await clear(
      { Origin: 'http://evil.test', 'Content-Type': 'text/plain', 'X-Control-Token': TOKEN },
      '{}',
    );
    assert.equal(withToken.status, 403);
    const plain = await clear({ 'Content-Type': 'text/plain', 'X-Control-Token': TOKEN }, '{}');
    assert.equal(plain.status, 415);
    assert.equal(plain.json<ErrorBody>().error.code, 'unsupported-media-type');
    const noToken = await clear({ Origin: ALLOWED, 'Content-Type': 'application/json' }, '{}');
    assert.equal(noToken.status, 401);
    assert.equal(noToken.json<ErrorBody>().error.field, 'X-Control-Token');
    const wrongToken = await clear({ 'Content-Type': 'application/json', 'X-Control-Token': `${TOKEN}x` });
    assert.equal(wrongToken.status, 401);
    assert.equal(await stored(), before);
  });

  test('faults need the token too: a cross-site post cannot make the receiver hang', async () => {
    const hang = await request(`${server.url}/control/fault`, {
      method: 'POST',
      headers: { Origin: 'http://evil.test', 'Content-Type': 'text/plain' },
      body: json({ mode: 'hang', delayMs: 600_000 }),
    });
    assert.equal(hang.status, 403);
    const stats = await request(`${server.url}/control/stats`);
    assert.equal(stats.status, 401);
    assert.deepEqual(server.fault(), { mode: 'none' });
  });

  test('a foreign Host (DNS rebinding) is refused on every route, the listing included', async () => {
    for (const [path, method] of [
      ['/v1/usage', 'GET'],
      ['/v1/health', 'GET'],
      ['/v1/usage', 'POST'],
      ['/control/stats', 'GET'],
      ['/v1/usage', 'OPTIONS'],
    ] as const) {
      for (const host of ['evil.test', `evil.test:${server.port}`, `127.0.0.1:${server.port + 1}`]) {
        const answer = await request(`${server.url}${path}`, {
          method,
          headers: { Host: host, 'X-Control-Token': TOKEN },
        });
        assert.equal(answer.status, 421, `${method} ${path} with Host ${host}`);
        const body = answer.json<ErrorBody>();
        assert.equal(body.error.code, 'wrong-host');
        assert.equal(body.error.field, 'Host');
        assert.doesNotMatch(answer.text, /reportId/);
      }
    }
    // Its own names: loopback with its port, and the configured name with any port.
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, 'billing.test:8080']) {
      const answer = await request(`${server.url}/v1/usage`, { headers: { Host: host } });
      assert.equal(answer.status, 200, host);
    }
  });

  test('a control call with the token and JSON works, from an allowed origin or none', async () => {
    const fromPage = await request(`${server.url}/control/fault`, {
      method: 'POST',
      headers: { Origin: ALLOWED, 'Content-Type': 'application/json', 'X-Control-Token': TOKEN },
      body: json({ mode: 'error' }),
    });
    assert.equal(fromPage.status, 200);
    assert.equal(fromPage.headers['access-control-allow-origin'], ALLOWED);
    assert.deepEqual(server.fault(), { mode: 'error', status: 503 });
    const fromCli = await request(`${server.url}/control/fault`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Control-Token': TOKEN },
      body: json({ mode: 'none' }),
    });
    assert.equal(fromCli.status, 200);
    assert.deepEqual(server.fault(), { mode: 'none' });
    // The page's preflight may carry the token header.
    const preflight = await request(`${server.url}/control/clear`, {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, x-control-token',
      },
    });
    assert.equal(preflight.status, 204);
    assert.match(String(preflight.headers['access-control-allow-headers']), /X-Control-Token/i);
    const cleared = await clear({
      Origin: ALLOWED,
      'Content-Type': 'application/json',
      'X-Control-Token': TOKEN,
    });
    assert.equal(cleared.status, 200);
    assert.equal(await stored(), 0);
  });

  test('405 and Allow come from the route table; 404 lists the control routes', async () => {
    const wrong = await request(`${server.url}/control/clear`, { headers: { 'X-Control-Token': TOKEN } });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST, OPTIONS');
    const fault = await request(`${server.url}/control/fault`, { method: 'DELETE' });
    assert.equal(fault.headers.allow, 'GET, POST, OPTIONS');
    const health = await request(`${server.url}/v1/health`, { method: 'POST' });
    assert.equal(health.headers.allow, 'GET, HEAD, OPTIONS');
    const one = await request(`${server.url}/v1/usage/some-report-id`, { method: 'POST' });
    assert.equal(one.headers.allow, 'GET, HEAD, OPTIONS');
    const missing = await request(`${server.url}/control/nothing`);
    assert.equal(missing.status, 404);
    assert.match(
      missing.json<ErrorBody>().error.message,
      /\/control\/fault, \/control\/stats, \/control\/clear/,
    );
  });

  test('a weak control token is refused at start', async () => {
    await assert.rejects(
      startBillingServer({ port: 0, dataDir: await tempDir(), quiet: true, controlToken: 'short' }),
      /controlToken must be 16 to 256/,
    );
    await assert.rejects(
      startBillingServer({ port: 0, dataDir: await tempDir(), quiet: true, hosts: ['http://x.test'] }),
      /is not a host name/,
    );
  });
});

describe('billing receiver: held connections and malformed HTTP', () => {
  let server: BillingServer;
  before(async () => {
    server = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, idleTimeoutMs: 2000 },
    });
  });
  after(() => server.close());

  test('a silent socket (connects, sends nothing) is closed by the header timeout', async () => {
    const silent = await rawExchange(server.port, '', { timeoutMs: 3000 });
    assert.ok(silent.closedByServer, 'the server kept a silent socket open');
    assert.ok(silent.closedAfterMs < 1500, `closed after ${silent.closedAfterMs} ms`);
    // Node answers 408 first; in JSON here.
    if (silent.status !== null) {
      assert.equal(silent.status, 408);
      assert.equal(silent.json().error.code, 'request-timeout');
    }
  });

  test('a body trickling in a byte at a time is cut by the request timeout', async () => {
    const head =
      `POST /v1/usage HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\n` +
      'Idempotency-Key: trickle-report-1\r\nContent-Length: 1000\r\n\r\n';
    const trickle = await rawExchange(server.port, head, { timeoutMs: 3000, trickleEveryMs: 50 });
    assert.ok(trickle.closedByServer, 'the server kept a trickling request open');
    assert.ok(trickle.closedAfterMs < 2000, `closed after ${trickle.closedAfterMs} ms`);
  });

  test('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
    const get = `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
    const kept = await rawExchange(server.port, get, { timeoutMs: 3000 });
    assert.equal(kept.status, 204);
    assert.ok(kept.closedByServer && kept.closedAfterMs < 1500, `closed after ${kept.closedAfterMs} ms`);
  });

  test('malformed HTTP gets a JSON error, then the connection closes', async () => {
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    const cases: Array<[string, string, number, string]> = [
      [
        'a Content-Length that is not a number',
        `POST /v1/usage HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`,
        400,
        'bad-request',
      ],
      [
        'two different Content-Lengths',
        `POST /v1/usage HTTP/1.1\r\n${host}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
        400,
        'bad-request',
      ],
      [
        'a 20 KB header',
        `GET /v1/health HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
        431,
        'headers-too-large',
      ],
      ['no Host', 'GET /v1/usage HTTP/1.1\r\n\r\n', 400, 'bad-request'],
      ['a garbage request line', 'HELLO THERE\r\n\r\n', 400, 'bad-request'],
      ['binary noise', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400, 'bad-request'],
    ];
    for (const [what, bytes, status, code] of cases) {
      const answer = await rawExchange(server.port, Buffer.from(bytes, 'latin1'));
      assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 200)}`);
      assert.match(answer.text, /content-type: application\/json/i, what);
      assert.equal(answer.json().error.code, code, what);
      assert.equal(typeof answer.json().error.message, 'string', what);
      assert.ok(answer.closedByServer, `${what}: the connection stayed open`);
    }
  });

  test('connections past the cap are closed at once', async () => {
    const capped = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      limits: { maxConnections: 2 },
    });
    const { connect } = await import('node:net');
    const open = [connect(capped.port, '127.0.0.1'), connect(capped.port, '127.0.0.1')];
    try {
      await Promise.all(open.map((s) => new Promise((r) => s.once('connect', r))));
      await new Promise((r) => setTimeout(r, 100));
      const third = await rawExchange(
        capped.port,
        `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${capped.port}\r\n\r\n`,
        {
          timeoutMs: 2000,
        },
      );
      assert.ok(third.closedByServer && third.closedAfterMs < 1000, 'the third connection was served');
      assert.equal(third.status, null);
    } finally {
      for (const s of open) s.destroy();
      await capped.close();
    }
  });

  test('bad limits are refused at start', async () => {
    await assert.rejects(
      startBillingServer({
        port: 0,
        dataDir: await tempDir(),
        quiet: true,
        limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 },
      }),
      /headersTimeoutMs \(5000\) must not exceed/,
    );
  });
});

describe('billing receiver: the listing comes in pages', () => {
  let server: BillingServer;
  let ids: string[];
  before(async () => {
    // 250 stored reports, written as the store writes them, so that the test needs no 250 posts.
    const dataDir = await tempDir();
    const reports = Array.from({ length: 250 }, (_, i) =>
      report({ site: { id: i % 5 === 0 ? 'site-five' : 'site-ams', name: 'x' }, period: hour(i) }),
    );
    ids = reports.map((r) => String(r.reportId));
    await writeFile(
      join(dataDir, STORE_FILE),
      reports.map((r) => `${json({ v: 1, receivedAt: '2026-11-01T09:00:00.000Z', report: r })}\n`).join(''),
    );
    server = await startBillingServer({ port: 0, dataDir, quiet: true });
  });
  after(() => server.close());

  type Page = { reports: Array<{ reportId: string }>; count: number; next: string | null };
  /** The i-th hour from 2026-11-01: consecutive periods that never overlap. */
  function hour(i: number): { from: string; to: string } {
    const at = (h: number) => new Date(Date.UTC(2026, 10, 1) + h * 3_600_000).toISOString();
    return { from: at(i), to: at(i + 1) };
  }

  test('by default 100 reports a page, with a cursor to the next; streamed without Content-Length', async () => {
    const first = await request(`${server.url}/v1/usage`);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-length'], undefined);
    assert.equal(first.headers['transfer-encoding'], 'chunked');
    const page = first.json<Page>();
    assert.equal(page.count, 100);
    assert.deepEqual(
      page.reports.map((r) => r.reportId),
      ids.slice(0, 100),
    );
    assert.equal(typeof page.next, 'string');
    const head = await request(`${server.url}/v1/usage`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  });

  test('every report is seen once, in the order received, whatever the page size', async () => {
    for (const limit of [1, 7, 60, 100, 249, 250, 1000]) {
      const { reports, pages } = await listAll(`${server.url}/v1/usage`, limit);
      assert.deepEqual(
        reports.map((r) => r.reportId),
        ids,
        `limit ${limit}`,
      );
      assert.equal(pages, Math.max(1, Math.ceil(250 / limit)), `limit ${limit}`);
    }
  });

  test('pages of one site, and a report received while paging is not missed', async () => {
    const five = ids.filter((_, i) => i % 5 === 0);
    const { reports } = await listAll(`${server.url}/v1/usage?siteId=site-five`, 8);
    assert.deepEqual(
      reports.map((r) => r.reportId),
      five,
    );
    const first = (await request(`${server.url}/v1/usage?siteId=site-five&limit=40`)).json<Page>();
    const added = report({ site: { id: 'site-five', name: 'x' }, period: hour(250) });
    assert.equal((await post(server, added)).status, 201);
    const second = (
      await request(`${server.url}/v1/usage?siteId=site-five&limit=40&cursor=${first.next}`)
    ).json<Page>();
    assert.deepEqual(
      [...first.reports, ...second.reports].map((r) => r.reportId),
      [...five, added.reportId],
    );
    assert.equal(second.next, null);
  });

  test('a bad limit or cursor is a 400 naming it', async () => {
    for (const limit of ['0', '1001', 'ten', '-5', '2.5', '']) {
      const answer = await request(`${server.url}/v1/usage?limit=${limit}`);
      assert.equal(answer.status, 400, `limit=${limit}`);
      assert.equal(answer.json<ErrorBody>().error.field, 'limit');
    }
    for (const cursor of ['nonsense!', Buffer.from('{"after":5}').toString('base64url'), 'e30']) {
      const answer = await request(`${server.url}/v1/usage?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(answer.status, 400, `cursor=${cursor}`);
      assert.equal(answer.json<ErrorBody>().error.field, 'cursor');
    }
    const gone = Buffer.from(json({ after: 'no-such-report-anywhere', at: 3 })).toString('base64url');
    const answer = await request(`${server.url}/v1/usage?cursor=${gone}`);
    assert.equal(answer.status, 400);
    assert.match(answer.json<ErrorBody>().error.message, /no longer listed here/);
  });
});

describe('billing receiver: the largest page', () => {
  let server: BillingServer;
  let ids: string[];
  before(async () => {
    // 1,000 reports of 300 sites each (a CSP's report lists its tenants' sites), some 19 KB each: every write
    // of the page fills the answer's 16 KB buffer.
    const dataDir = await tempDir();
    const at = (h: number) => new Date(Date.UTC(2026, 10, 1) + h * 3_600_000).toISOString();
    const reports = Array.from({ length: 1000 }, (_, i) => {
      const sites = Array.from({ length: 300 }, (_, k) => ({
        id: `tenant-${k}`,
        name: `Tenant site ${k}`,
        protectedVms: k,
      }));
      return report({
        period: { from: at(i), to: at(i + 1) },
        usage: { protectedVms: 42, licenseType: 'Enterprise', sites },
      });
    });
    ids = reports.map((r) => String(r.reportId));
    await writeFile(
      join(dataDir, STORE_FILE),
      reports.map((r) => `${json({ v: 1, receivedAt: '2026-11-01T09:00:00.000Z', report: r })}\n`).join(''),
    );
    server = await startBillingServer({ port: 0, dataDir, quiet: true });
  });
  after(() => server.close());

  test('limit=1000 over 1,000 reports comes whole, at once', async () => {
    // Node holds an answer's writes until the next tick, so a write that fills the buffer is drained while the
    // writer yields (every 64 KB): a wait decided before the yield missed that drain, and the page stopped at
    // 65 KB until the 60 s idle timeout. `request` gives up after 4 s.
    const started = Date.now();
    const answer = await request(`${server.url}/v1/usage?limit=1000`);
    assert.equal(answer.status, 200);
    const page = answer.json<{ reports: Array<{ reportId: string }>; count: number; next: string | null }>();
    assert.equal(page.count, 1000);
    assert.equal(page.next, null);
    assert.deepEqual(
      page.reports.map((r) => r.reportId),
      ids,
    );
    assert.ok(answer.body.length > 16_000_000, `${answer.body.length} bytes`);
    assert.ok(Date.now() - started < 4000, `listed in ${Date.now() - started} ms`);
  });
});

describe('billing receiver: the period rule and batches', () => {
  let server: BillingServer;
  let dir: string;
  before(async () => {
    dir = await tempDir();
    server = await startBillingServer({ port: 0, dataDir: dir, quiet: true });
  });
  after(() => server.close());

  const hourOf = (site: string, h: number) =>
    report({
      site: { id: site, name: site },
      period: {
        from: new Date(Date.UTC(2026, 0, 1) + h * 3_600_000).toISOString(),
        to: new Date(Date.UTC(2026, 0, 1) + (h + 1) * 3_600_000).toISOString(),
      },
    });

  test('refuses (422) a report whose period overlaps one already held for the site, naming both', async () => {
    const first = hourOf('site-overlap', 0);
    assert.equal((await post(server, first)).status, 201);
    const overlapping = report({
      site: { id: 'site-overlap', name: 'x' },
      period: { from: '2026-01-01T00:59:00Z', to: '2026-01-01T01:59:00Z' },
    });
    const refused = await post(server, overlapping);
    assert.equal(refused.status, 422);
    const err = refused.json<ErrorBody>().error;
    assert.equal(err.code, 'period-overlap');
    assert.equal(err.field, 'period');
    assert.match(err.message, new RegExp(String(overlapping.reportId)));
    assert.match(err.message, new RegExp(String(first.reportId)));
    // The next hour, starting where the first ended, is fine; so is the same hour of another site.
    assert.equal((await post(server, hourOf('site-overlap', 1))).status, 201);
    assert.equal((await post(server, hourOf('site-other', 0))).status, 201);
  });

  test('a batch of 10,000 reports (in batches of 500), sent twice, is stored once each: none lost, none counted twice', async () => {
    const reports = Array.from({ length: 10_000 }, (_, i) =>
      hourOf(`batch-site-${i % 10}`, 1000 + Math.floor(i / 10)),
    );
    const sendAll = async () => {
      const statuses: string[] = [];
      for (let i = 0; i < reports.length; i += 500) {
        const answer = await request(`${server.url}/v1/usage/batch`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: json({ protocol: 1, reports: reports.slice(i, i + 500) }),
          timeoutMs: 20_000,
        });
        assert.equal(answer.status, 200);
        const { results } = answer.json<{ results: Array<{ reportId: string; status: string }> }>();
        assert.deepEqual(
          results.map((r) => r.reportId),
          reports.slice(i, i + 500).map((r) => r.reportId),
        );
        statuses.push(...results.map((r) => r.status));
      }
      return statuses;
    };
    const first = await sendAll();
    assert.ok(first.every((s) => s === 'accepted'));
    const again = await sendAll();
    assert.ok(again.every((s) => s === 'duplicate'));
    const { reports: listed } = await listAll(`${server.url}/v1/usage?siteId=batch-site-3`, 1000);
    assert.equal(listed.length, 1000);
    assert.equal(new Set(listed.map((r) => r.reportId)).size, 1000);
    // Stored durably: a restarted receiver reads every one back.
    await server.close();
    server = await startBillingServer({ port: 0, dataDir: dir, quiet: true });
    assert.equal((await listAll(`${server.url}/v1/usage?siteId=batch-site-7`, 1000)).reports.length, 1000);
  });

  test('answers each report of a batch as if alone: invalid, reused id, overlap, in order', async () => {
    const good = hourOf('site-mixed', 0);
    const held = hourOf('site-mixed', 1);
    assert.equal((await post(server, held)).status, 201);
    const invalid = { ...hourOf('site-mixed', 2), usage: { protectedVms: -1 } };
    const reused = { ...held, usage: { protectedVms: 7 } };
    const overlap = report({
      site: { id: 'site-mixed', name: 'x' },
      period: { from: '2026-01-01T00:30:00Z', to: '2026-01-01T00:45:00Z' },
    });
    const answer = await request(`${server.url}/v1/usage/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: json({ protocol: 1, reports: [good, invalid, reused, overlap] }),
    });
    assert.equal(answer.status, 200);
    const { results } = answer.json<{
      results: Array<{ status: string; code: number; error?: { code: string } }>;
    }>();
    assert.deepEqual(
      results.map((r) => [r.status, r.code, r.error?.code]),
      [
        ['accepted', 201, undefined],
        ['refused', 400, 'invalid'],
        ['refused', 422, 'idempotency-key-reused'],
        ['refused', 422, 'period-overlap'],
      ],
    );
  });

  test("tells where a site's periods end (the last report), or 404 for a site it holds nothing of", async () => {
    await post(server, hourOf('site-last', 5));
    const last = hourOf('site-last', 7);
    await post(server, last);
    await post(server, hourOf('site-last', 6));
    const answer = await request(`${server.url}/v1/sites/site-last/last-report`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json<{ reportId: string; period: unknown }>().period, last.period);
    assert.equal(answer.json<{ reportId: string }>().reportId, last.reportId);
    assert.equal((await request(`${server.url}/v1/sites/nobody/last-report`)).status, 404);
  });

  test("judges a report in a batch by the single report's size limit (413), and refuses a batch body over its own (413)", async () => {
    const small = await startBillingServer({
      port: 0,
      dataDir: await tempDir(),
      quiet: true,
      maxBodyBytes: 2048,
    });
    try {
      const big = {
        ...hourOf('site-big', 0),
        usage: {
          protectedVms: 1,
          licenseType: 'x'.repeat(100),
          sites: Array.from({ length: 40 }, (_, i) => ({
            id: `s${i}`,
            name: 'n'.repeat(40),
            protectedVms: 1,
          })),
        },
      };
      const fine = hourOf('site-big', 1);
      const answer = await request(`${small.url}/v1/usage/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: json({ protocol: 1, reports: [big, fine] }),
      });
      assert.equal(answer.status, 200);
      const { results } = answer.json<{ results: Array<{ status: string; code: number }> }>();
      assert.deepEqual(
        results.map((r) => [r.status, r.code]),
        [
          ['refused', 413],
          ['accepted', 201],
        ],
      );
      const many = Array.from({ length: 500 }, (_, i) => hourOf('site-many', i));
      const tooLarge = await request(`${small.url}/v1/usage/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: json({ protocol: 1, reports: many }),
      });
      assert.equal(tooLarge.status, 413);
    } finally {
      await small.close();
    }
  });

  test('refuses a batch that is not one (400), or of another version', async () => {
    for (const body of [
      [],
      { protocol: 1, reports: [] },
      { protocol: 2, reports: [report()] },
      { protocol: 1 },
    ]) {
      const answer = await request(`${server.url}/v1/usage/batch`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: json(body),
      });
      assert.equal(answer.status, 400, JSON.stringify(body));
    }
  });
});

describe('billing receiver: command line', () => {
  test('prints its URL and stops cleanly on SIGTERM', async () => {
    const dataDir = await tempDir();
    const cli = runCli('servers/billing/cli.ts', ['--port', '0', '--data', dataDir, '--quiet']);
    const line = await cli.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = line.replace('listening on ', '');
    assert.equal((await request(`${url}/v1/health`)).status, 204);
    // A fresh random token each start, printed for whoever drives the control routes.
    const token = (await cli.waitForOutput(/control token: \S+/)).replace('control token: ', '');
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal((await request(`${url}/control/stats`)).status, 401);
    const stats = await request(`${url}/control/stats`, { headers: { 'X-Control-Token': token } });
    assert.equal(stats.status, 200);
    cli.signal('SIGTERM');
    const { code } = await cli.exit();
    assert.equal(code, 0);
  });

  test('says clearly that the port is taken, and exits 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = runCli('servers/billing/cli.ts', ['--port', String(port), '--data', await tempDir()]);
      const { code, stderr } = await cli.exit();
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  test('refuses a bad flag with exit 2', async () => {
    const { code, stderr } = await runCli('servers/billing/cli.ts', ['--port', 'eighty']).exit();
    assert.equal(code, 2);
    assert.match(stderr, /--port must be a whole number/);
  });
});
