// docs/fleet.md's quick start, run as written: its shell block (the billing receiver, three ZVM simulators each
// its own site, the webhook receiver of the Webhooks section, the service), its config, its check and the day
// it moves Paris on, with only the ports (free ones: this machine may run the demo on them) and the folder
// changed. The three must read ok, then Paris warning with 15 days left, and the receiver must print the
// warning it verified. Then the receiver alone: a forged signature, a stale timestamp and a changed body are
// refused (401).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../support/free-port.ts';
import { REPO_ROOT, request, sleep } from '../http-client.ts';
import { tempDir } from './harness.ts';

const FOLDER = '/tmp/zerto-fleet-quickstart';

/** The block between `<!-- name -->` and `<!-- /name -->` in docs/fleet.md, without its code fence. */
function docBlock(name: string): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs/fleet.md'), 'utf8');
  const m = new RegExp(`<!-- ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\s*<!-- /${name} -->`).exec(doc);
  assert.ok(m, `docs/fleet.md has a ${name} block`);
  return m[1]!;
}

/** Where a port is written in the blocks: a flag, a URL on loopback, a variable, the config's http.port. */
const PORT_AT = /(--port |127\.0\.0\.1:|PORT=|"port": )(\d{4,5})\b/g;

let dir: { path: string; remove(): Promise<void> };
let run: ChildProcess;
let output = '';
/** Each port written in the quick start, and the free one used for it here. */
const ports = new Map<number, number>();
let texts: { run: string; config: string; check: string; day: string; receiver: string };

/** A block with this test's ports and folder. */
function here(text: string): string {
  return text
    .replace(PORT_AT, (_, at: string, port: string) => `${at}${ports.get(Number(port))}`)
    .replaceAll(FOLDER, dir.path);
}

/** Runs a shell text from the repository's root; its stdout. */
function sh(text: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', text], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

before(async () => {
  dir = await tempDir('zbb-fleet-quickstart-');
  const blocks = {
    run: docBlock('quickstart-run'),
    config: docBlock('quickstart-config'),
    check: docBlock('quickstart-check'),
    day: docBlock('quickstart-day'),
    receiver: docBlock('webhook-verify'),
  };
  for (const text of Object.values(blocks)) {
    for (const m of text.matchAll(PORT_AT)) {
      const port = Number(m[2]);
      if (!ports.has(port)) ports.set(port, await freePort());
    }
  }
  texts = {
    run: here(blocks.run),
    config: here(blocks.config),
    check: here(blocks.check),
    day: here(blocks.day),
    receiver: blocks.receiver,
  };
  assert.ok(blocks.run.includes(FOLDER), 'the quick start works in its folder');
  // What the reader saves in the folder.
  await writeFile(join(dir.path, 'fleet.json'), texts.config);
  await writeFile(join(dir.path, 'hook-receiver.mjs'), texts.receiver);
  // Its own process group, so that everything it starts in the background is stopped with it.
  run = spawn('bash', ['-c', texts.run], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  run.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  run.stderr!.on('data', (c: Buffer) => (output += c.toString()));
});

after(async () => {
  if (run?.pid && run.exitCode === null) {
    const exited = new Promise((r) => run.once('exit', r));
    process.kill(-run.pid, 'SIGTERM');
    const t = setTimeout(() => process.kill(-run.pid!, 'SIGKILL'), 10_000);
    await exited;
    // The group's last members (the services stopping on SIGTERM).
    await sleep(500);
    clearTimeout(t);
    try {
      process.kill(-run.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await dir?.remove();
});

/** Polls the check block until `done` accepts the sites it lists (`id name` → status, daysLeft). */
async function sitesUntil(
  done: (sites: Map<string, { status: string; daysLeft: number | null }>) => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    assert.equal(run.exitCode, null, `the quick start stopped:\n${output}`);
    const checked = await sh(texts.check);
    let sites = new Map<string, { status: string; daysLeft: number | null }>();
    try {
      const list = (
        JSON.parse(checked.stdout) as {
          sites: Array<{ id: string; name: string; status: string; daysLeft: number | null }>;
        }
      ).sites;
      sites = new Map(list.map((s) => [`${s.id} ${s.name}`, s]));
    } catch {
      // not up yet
    }
    if (done(sites)) return;
    assert.ok(Date.now() < until, `${what}: not after ${timeoutMs / 1000} s: ${checked.stdout}\n${output}`);
    await sleep(1000);
  }
}

test('the quick start as written: three sites ok, then Paris in warning a day on, its webhook verified', async () => {
  await sitesUntil(
    (s) => ['ams Amsterdam', 'ber Berlin', 'par Paris'].every((k) => s.get(k)?.status === 'ok'),
    'the three sites ok',
    120_000,
  );
  const day = await sh(texts.day);
  assert.equal((JSON.parse(day.stdout) as { phase: string }).phase, 'warning', day.stdout);
  await sitesUntil(
    (s) => s.get('par Paris')?.status === 'warning' && output.includes('verified site.warning par'),
    'Paris in warning, and its webhook',
    30_000,
  );
  await sitesUntil(
    (s) =>
      s.get('par Paris')?.daysLeft === 15 &&
      s.get('ams Amsterdam')?.status === 'ok' &&
      s.get('ber Berlin')?.status === 'ok',
    '15 days left',
    5000,
  );
  assert.match(output, /verified site\.warning par \(from ok to warning\)/);
  assert.doesNotMatch(output, /verified site\.\S+ (ams|ber)/);
});

test("the Webhooks section's receiver refuses a forged signature, a stale one and a changed body", async () => {
  const url = `http://127.0.0.1:${ports.get(5290)}/`;
  const secret = /HOOK_SECRET=(\S+)/.exec(texts.run)![1]!;
  const body = JSON.stringify({
    id: 'a1b2',
    type: 'site.recovered',
    at: new Date().toISOString(),
    from: 'warning',
    to: 'ok',
    site: { id: 'test' },
  });
  const signed = (t: number, text = body, key = secret) =>
    `t=${t},v1=${createHmac('sha256', key).update(`${t}.${text}`).digest('hex')}`;
  const post = (signature: string, text = body) =>
    request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Zerto-Fleet-Signature': signature },
      body: text,
    });
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await post(signed(now, body, 'not-the-secret'))).status, 401, 'forged');
  assert.equal((await post(signed(now - 600))).status, 401, 'ten minutes old');
  assert.equal((await post(signed(now), body.replace('recovered', 'warning'))).status, 401, 'changed body');
  assert.equal((await post('')).status, 401, 'no signature');
  assert.equal((await post(signed(now - 60))).status, 204, 'a minute old: a retry');
  // Twice: handled once.
  assert.equal((await post(signed(now))).status, 204);
  await sleep(200);
  assert.equal(output.match(/verified site\.recovered test/g)?.length, 1);
});
