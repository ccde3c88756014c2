// Credential problems name the fleet config: a static token the ZVM refuses is tried once per attempt and said
// to be a refused static token, with where it was read and what to do; a token file's trailing line breaks are
// dropped (the token works); a token with a space or control character in it is refused at load, naming the
// field; a secret that is not a regular file (a FIFO) is refused with its path, at once, so that a reload
// (SIGHUP) never waits on it and the next reload is not held behind it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../../../fleet/config.ts';
import type { BillingServer } from '../../../servers/billing/server.ts';
import type { ZvmSim } from '../../../servers/zvm/server.ts';
import { sleep } from '../http-client.ts';
import { fakeZvm, type FakeZvm } from './fake-zvm.ts';
import {
  billing,
  READ_KEY,
  sim,
  startFleet,
  tempDir,
  waitForSites,
  writeConfig,
  type FleetProcess,
} from './harness.ts';

const SIM_TOKEN = 'static-token-for-credential-tests';
const ENV = {
  FLEET_CRED_READ_KEY: READ_KEY,
  // Not the token the fake ZVM takes.
  FLEET_CRED_WRONG: 'a-token-that-expired-long-ago',
};

let dir: { path: string; remove(): Promise<void> };
let receiver: BillingServer;
let zvm: ZvmSim;
let refusing: FakeZvm;
let fleet: FleetProcess;
let configPath: string;
let config: { zvms: Array<Record<string, unknown>> } & Record<string, unknown>;

before(async () => {
  dir = await tempDir('zbb-fleet-creds-');
  receiver = await billing(join(dir.path, 'billing'));
  zvm = await sim(receiver.url, { token: SIM_TOKEN, siteName: 'Lisbon' });
  refusing = await fakeZvm('zerto10');
  // As an editor on Windows or `echo` leaves it: line breaks at the end.
  await writeFile(join(dir.path, 'lisbon.token'), `${SIM_TOKEN}\r\n\n`);
  config = {
    dataDir: 'data',
    http: { port: 0 },
    apiKeys: [{ name: 'noc', role: 'read', key: { env: 'FLEET_CRED_READ_KEY' } }],
    defaults: {
      // One attempt at start, the next a minute later: the attempts counted are the first ones.
      policy: { interval: 60_000, alertAfter: 600_000, graceDays: 15 },
      timeoutMs: 2000,
      startSpreadMs: 0,
      jitter: 0,
    },
    zvms: [
      {
        id: 'expired',
        name: 'Oslo',
        url: refusing.url,
        auth: { type: 'token', token: { env: 'FLEET_CRED_WRONG' } },
      },
      {
        id: 'wrong-client',
        url: zvm.url,
        auth: {
          type: 'client-credentials',
          clientId: 'zerto-fleet',
          clientSecret: { env: 'FLEET_CRED_WRONG' },
        },
      },
      {
        id: 'from-file',
        url: zvm.url,
        auth: { type: 'token', token: { file: 'lisbon.token' } },
      },
    ],
  };
  configPath = join(dir.path, 'fleet.json');
  await writeConfig(configPath, config);
  fleet = await startFleet(configPath, ENV);
});

after(async () => {
  fleet?.child.kill('SIGTERM');
  await fleet?.exited();
  await zvm?.close();
  await refusing?.close();
  await receiver?.close();
  await dir?.remove();
});

describe('fleet service: credentials', () => {
  test('a refused static token is tried once per attempt and named as such, with what to do', async () => {
    const seen = await waitForSites(
      fleet,
      (s) => s.get('expired')?.status === 'cannot-see',
      20_000,
      'the refused site',
    );
    const reason = seen.get('expired')!.cannotSee!.reason;
    assert.match(
      reason,
      /refused the static token of the fleet config \(HTTP 401\) \(auth\.token, read from the environment variable FLEET_CRED_WRONG\)/,
    );
    assert.match(reason, /does not renew a token obtained elsewhere.*SIGHUP.*client-credentials/);
    assert.doesNotMatch(reason, /fresh credentials/);
    const detail = (await fleet.get('/v1/sites/expired')).json<{ runtime: { attempts: number } }>();
    assert.equal(detail.runtime.attempts, 1);
    // One request to the ZVM in that attempt: the token is not tried a second time.
    assert.equal(refusing.seen.length, 1, refusing.seen.join(', '));
  });

  test('a refused grant names the auth fields of the fleet config and where their secret was read', async () => {
    const seen = await waitForSites(
      fleet,
      (s) => s.get('wrong-client')?.status === 'cannot-see',
      20_000,
      'the site whose grant is refused',
    );
    assert.match(
      seen.get('wrong-client')!.cannotSee!.reason,
      /^the ZVM's token endpoint refused the client-credentials grant \(invalid_client\): check this ZVM's auth in the fleet config \(clientId, clientSecret, read from the environment variable FLEET_CRED_WRONG\)$/,
    );
  });

  test("a token file's trailing line breaks are dropped: the ZVM takes the token", async () => {
    const seen = await waitForSites(
      fleet,
      (s) => s.get('from-file')?.status === 'ok',
      20_000,
      'the site read with the token from a file',
    );
    assert.equal(seen.get('from-file')!.lastResult, 'passed');
  });

  test('a secret file that is a FIFO is refused with its path at once; the next reload is not held behind it', async () => {
    const fifo = join(dir.path, 'token.fifo');
    const made = spawnSync('mkfifo', [fifo], { encoding: 'utf8' });
    assert.equal(made.status, 0, `mkfifo: ${made.stderr}`);
    await writeConfig(configPath, {
      ...config,
      zvms: config.zvms.map((z) =>
        z.id === 'from-file' ? { ...z, auth: { type: 'token', token: { file: 'token.fifo' } } } : z,
      ),
    });
    fleet.child.kill('SIGHUP');
    const refusedBy = Date.now() + 3000;
    while (!/config not reloaded/.test(fleet.stderr()) && Date.now() < refusedBy) await sleep(50);
    assert.match(fleet.stderr(), /config not reloaded/, 'the reload with the FIFO said nothing');
    assert.ok(
      fleet
        .stderr()
        .includes(`zvms[2].auth.token: ${fifo} is a FIFO (named pipe): a secret must be a regular file`),
      fleet.stderr(),
    );
    // The next reload is taken at once: a site added.
    await writeConfig(configPath, {
      ...config,
      zvms: [...config.zvms, { ...config.zvms[2]!, id: 'added' }],
    });
    fleet.child.kill('SIGHUP');
    await waitForSites(fleet, (s) => s.has('added'), 3000, 'the site of the next reload');
  });
});

describe('fleet config: secrets', () => {
  const parse = (token: Record<string, string>, path: string) =>
    parseConfig(
      JSON.stringify({
        zvms: [{ id: 'z', url: 'http://127.0.0.1:9', auth: { type: 'token', token } }],
      }),
      path,
    );

  test('a token with a space or a line break in it is refused at load, naming the field and its source', async () => {
    const path = join(dir.path, 'bad.json');
    await writeFile(join(dir.path, 'two-lines.token'), 'first-half\nsecond-half\n');
    process.env.FLEET_CRED_SPACED = 'Bearer abc';
    for (const [token, source] of [
      [{ file: 'two-lines.token' }, `the file ${join(dir.path, 'two-lines.token')}`],
      [{ env: 'FLEET_CRED_SPACED' }, 'the environment variable FLEET_CRED_SPACED'],
    ] as const) {
      await assert.rejects(parse(token, path), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /zvms\[0\]\.auth\.token: has a space, line break or control character/);
        assert.ok(e.message.includes(`check ${source}`), e.message);
        // The value itself is never shown.
        assert.doesNotMatch(e.message, /first-half|abc/);
        return true;
      });
    }
  });

  test('a secret that is a folder is refused with its path; a trailing line break of a variable is dropped', async () => {
    const path = join(dir.path, 'folder.json');
    await assert.rejects(parse({ file: '.' }, path), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.includes(`zvms[0].auth.token: ${dir.path} is a folder`), e.message);
      return true;
    });
    process.env.FLEET_CRED_NEWLINE = 'token-from-a-secret-store\n';
    const config = await parse({ env: 'FLEET_CRED_NEWLINE' }, path);
    assert.equal(config.sites[0]!.auth.secret, 'token-from-a-secret-store');
  });
});
