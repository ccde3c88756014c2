import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { startBillingServer, type BillingServer } from '../../servers/billing/server.ts';
import { STORE_FILE } from '../../servers/billing/store.ts';
import { json, request, runCli, type Answer } from './http-client.ts';

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
    period: { from: '2026-11-01T08:00:00Z', to: '2026-11-01T09:00:00Z' },
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
      const cleared = await request(`${server.url}/control/clear`, { method: 'POST' });
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
      headers: { 'Content-Type': 'application/json' },
    });

  test('error answers the status given (default 503) with a JSON error, on health too', async () => {
    const set = await setFault({ mode: 'error' });
    assert.deepEqual(set.json(), { mode: 'error', status: 503 });
    assert.deepEqual((await request(`${server.url}/control/fault`)).json(), { mode: 'error', status: 503 });
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
    assert.equal((await request(`${server.url}/control/stats`)).status, 200);
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
    const notJson = await request(`${server.url}/control/fault`, { method: 'POST', body: 'mode=hang' });
    assert.equal(notJson.json<ErrorBody>().error.field, 'body');
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

describe('billing receiver: command line', () => {
  test('prints its URL and stops cleanly on SIGTERM', async () => {
    const dataDir = await tempDir();
    const cli = runCli('servers/billing/cli.ts', ['--port', '0', '--data', dataDir, '--quiet']);
    const line = await cli.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const url = line.replace('listening on ', '');
    assert.equal((await request(`${url}/v1/health`)).status, 204);
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
