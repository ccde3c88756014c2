/**
 * The fleet service's configuration: a JSON file listing the ZVMs to watch, validated with zod so that every
 * error names its field (`zvms[2].auth.clientSecret: …`). Credentials are references, `{ "env": "VAR" }` or
 * `{ "file": "/path" }`, resolved when the file is loaded (and again on SIGHUP): a secret is never written in
 * the config, and never printed, not even in an error about it.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parsePolicy, type Policy } from '../src/core/index.ts';
import { HELP_ID_PATTERN, ZVM_LIMITS } from '../src/protocol/zvm.ts';
import { isOrigin } from '../servers/http.ts';
import { internalUrl, type OwnApi } from './webhooks.ts';

const SECRET_HINT =
  'must be a reference, { "env": "VARIABLE" } or { "file": "/path/to/file" }: secrets are never written in the config';

const SecretRefSchema = z.union(
  [
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,199}$/, 'must be the name of an environment variable'),
    }),
    z.strictObject({ file: z.string().min(1).max(4096) }),
  ],
  { error: SECRET_HINT },
);
export type SecretRef = z.infer<typeof SecretRefSchema>;

const httpUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials in it, such as https://zvm.example:443');

const PolicyInputSchema = z
  .strictObject({
    interval: z.number().optional(),
    alertAfter: z.number().optional(),
    graceDays: z.number().optional(),
  })
  .optional();

const name = z.string().min(1).max(200);

const AuthSchema = z.discriminatedUnion(
  'type',
  [
    /** Zerto 10: the token endpoint's client_credentials grant. */
    z.strictObject({ type: z.literal('client-credentials'), clientId: name, clientSecret: SecretRefSchema }),
    /** Zerto 10: the token endpoint's password grant (the public `zerto-client` unless a client is named). */
    z.strictObject({
      type: z.literal('password'),
      clientId: name.default('zerto-client'),
      clientSecret: SecretRefSchema.optional(),
      username: name,
      password: SecretRefSchema,
    }),
    /** Older (Windows) ZVMs: POST /v1/session/add with basic auth, then `x-zerto-session`. */
    z.strictObject({ type: z.literal('session'), username: name, password: SecretRefSchema }),
    /** A bearer token obtained elsewhere. */
    z.strictObject({ type: z.literal('token'), token: SecretRefSchema }),
  ],
  { error: 'must have "type": "client-credentials", "password", "session" or "token"' },
);
export type AuthConfig = z.infer<typeof AuthSchema>;

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** Help identifiers of the ZVM's billing alerts (not published by Zerto: settings, see docs/fleet.md). */
const helpIds = z
  .array(z.string().regex(HELP_ID_PATTERN, 'must be a help identifier such as LIC0012'))
  .min(1)
  .max(ZVM_LIMITS.ids);
const billingAlertFields = {
  /** The usage alert's help identifiers (default LIC0012, LIC0021). */
  usageAlertIds: helpIds.optional(),
  /** The disconnection alert's help identifiers (default LIC0013, LIC0022). */
  disconnectionAlertIds: helpIds.optional(),
  /** How long after a sendUsage that only said "taken" the alerts are read again (default 2000 ms). */
  alertsDelayMs: ms(0, 60_000).optional(),
};

const ZvmSchema = z.strictObject({
  /** The service's key for the site (URLs, metrics labels, database). */
  id: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
      'must be 1 to 100 letters, digits, dots, dashes or underscores',
    ),
  name: z.string().max(200).optional(),
  url: httpUrl,
  auth: AuthSchema,
  policy: PolicyInputSchema,
  timeoutMs: ms(100, 120_000).optional(),
  ...billingAlertFields,
});

const FileSchema = z.strictObject({
  dataDir: z.string().min(1).default('fleet-data'),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(5180),
      allowOrigins: z
        .array(
          z.string().refine(isOrigin, 'must be an origin such as https://console.example, without a path'),
        )
        .default([]),
      hosts: z.array(z.string().min(1).max(253)).default([]),
      /** GET /metrics without an API key (a scraper on a trusted network). Default false. */
      publicMetrics: z.boolean().default(false),
    })
    .default({ host: '127.0.0.1', port: 5180, allowOrigins: [], hosts: [], publicMetrics: false }),
  apiKeys: z
    .array(z.strictObject({ name, role: z.enum(['read', 'operator']), key: SecretRefSchema }))
    .default([]),
  /** Receivers of a signed JSON post on every transition (see docs/fleet.md). */
  webhooks: z
    .array(
      z.strictObject({
        name,
        url: httpUrl,
        /** The HMAC-SHA256 key of the signature header. */
        secret: SecretRefSchema,
        /**
         * The URL may point at this service's own API, a link-local address (169.254.0.0/16, fe80::/10: cloud
         * metadata) or a database port on this machine, all refused otherwise. Default false.
         */
        allowInternalUrl: z.boolean().default(false),
      }),
    )
    .default([]),
  /** ZVMs read at once. */
  concurrency: z.number().int().min(1).max(256).default(16),
  defaults: z
    .strictObject({
      policy: PolicyInputSchema,
      timeoutMs: ms(100, 120_000).default(10_000),
      ...billingAlertFields,
      /** The longest wait between attempts at a ZVM that keeps failing. */
      maxBackoffMs: ms(1000, 86_400_000).default(15 * 60_000),
      /** Each wait is the interval ± this fraction, at random, so that a thousand ZVMs never align. */
      jitter: z.number().min(0).max(0.5).default(0.1),
      /** The first attempts are spread over this (or the interval, if shorter). */
      startSpreadMs: ms(0, 86_400_000).default(60_000),
    })
    .default({ timeoutMs: 10_000, maxBackoffMs: 15 * 60_000, jitter: 0.1, startSpreadMs: 60_000 }),
  /**
   * With a PostgreSQL server (DATABASE_URL) shared by several instances: each site's lease lasts `ttlMs` and
   * is renewed every `renewMs`; a dead instance's sites are taken over within their sum. Keep the sum under
   * the interval. A `send-usage` asked of an instance that does not read the site waits up to `sendWaitMs` for
   * the holder's answer (then 504 `send-timeout`); at most 2 minutes, as a request not taken by then is not run.
   */
  leases: z
    .strictObject({
      ttlMs: ms(500, 600_000).default(30_000),
      renewMs: ms(100, 300_000).default(10_000),
      sendWaitMs: ms(500, 120_000).default(60_000),
    })
    .refine((l) => l.renewMs * 2 <= l.ttlMs, {
      message: 'renewMs must be at most half of ttlMs (a lease is renewed at least twice before it lapses)',
    })
    .default({ ttlMs: 30_000, renewMs: 10_000, sendWaitMs: 60_000 }),
  zvms: z.array(ZvmSchema).max(100_000),
});

/** `{ [key]: value }` when the value is set, else nothing (an optional field stays absent). */
const pick = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

export interface ResolvedAuth {
  type: AuthConfig['type'];
  clientId?: string;
  username?: string;
  /** The resolved secret: the client secret, the password or the token (never logged). */
  secret: string;
  /** The client secret beside a password (password grant through a confidential client). */
  clientSecret?: string;
  /** Where the secret was read (`the environment variable X`, `the file /path`), for what a refusal says. */
  source?: string;
}

export interface SiteSpec {
  id: string;
  name: string;
  url: string;
  auth: ResolvedAuth;
  policy: Policy;
  timeoutMs: number;
  /** The billing alerts' help identifiers set for this ZVM (or as the default); absent: the built-in defaults. */
  usageAlertIds?: string[];
  disconnectionAlertIds?: string[];
  alertsDelayMs?: number;
  /** A fingerprint of what was configured (not the secret values): a change means the site is reconfigured. */
  fingerprint: string;
}

export interface ApiKey {
  name: string;
  role: 'read' | 'operator';
  key: string;
}

export interface Webhook {
  name: string;
  url: string;
  secret: string;
  /** Posting to this service's own API, a link-local address or a local database port is allowed. */
  allowInternalUrl: boolean;
  /** This service's API, which a webhook may not post to unless allowed. */
  api: OwnApi;
}

export interface FleetConfig {
  path: string;
  webhooks: Webhook[];
  dataDir: string;
  http: z.infer<typeof FileSchema>['http'];
  apiKeys: ApiKey[];
  concurrency: number;
  maxBackoffMs: number;
  jitter: number;
  startSpreadMs: number;
  leases: { ttlMs: number; renewMs: number; sendWaitMs: number };
  sites: SiteSpec[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `zvms[2].auth.clientSecret`, from zod's path. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/** Zod's issues as lines naming each field; values are never shown (one of them could be a secret). */
function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${fieldPath(i.path)}: ${i.message}`).join('\n');
}

/** Parses a config text; throws a ConfigError listing every bad field. */
export async function parseConfig(text: string, path: string): Promise<FleetConfig> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${path}:\n${describe(parsed.error)}`);
  const file = parsed.data;
  const base = dirname(resolve(path));
  const errors: string[] = [];

  const seen = new Map<string, number>();
  file.zvms.forEach((z, i) => {
    const first = seen.get(z.id);
    if (first !== undefined) errors.push(`zvms[${i}].id: "${z.id}" is already the id of zvms[${first}]`);
    else seen.set(z.id, i);
  });
  const defaultsPolicy = file.defaults.policy ?? {};
  const dp = parsePolicy(defaultsPolicy);
  if (!dp.ok) errors.push(`defaults.${dp.error}`);

  /** Where each resolved secret was read from, by field, for messages that tell the operator where to look. */
  const sources = new Map<string, string>();
  const secret = async (ref: SecretRef, field: string): Promise<string> => {
    if ('env' in ref) {
      // A trailing line break is dropped, as from a file: a variable filled from a file or a secret store often
      // carries one, and a token with it cannot go in a header.
      const v = process.env[ref.env]?.replace(TRAILING_LINE_BREAKS, '');
      if (v === undefined || v === '') {
        errors.push(`${field}: the environment variable ${ref.env} is not set (or empty)`);
        return '';
      }
      sources.set(field, `the environment variable ${ref.env}`);
      return v;
    }
    const file = isAbsolute(ref.file) ? ref.file : resolve(base, ref.file);
    const read = await readSecretFile(file);
    if (!read.ok) {
      errors.push(`${field}: ${read.error}`);
      return '';
    }
    if (read.value === '') errors.push(`${field}: the file ${file} is empty`);
    sources.set(field, `the file ${file}`);
    return read.value;
  };

  const sites: SiteSpec[] = [];
  for (const [i, z] of file.zvms.entries()) {
    const field = `zvms[${i}]`;
    const policy = parsePolicy({ ...defaultsPolicy, ...(z.policy ?? {}) });
    if (!policy.ok) errors.push(`${field}.${policy.error}`);
    const a = z.auth;
    let auth: ResolvedAuth;
    switch (a.type) {
      case 'client-credentials':
        auth = {
          type: a.type,
          clientId: a.clientId,
          secret: await secret(a.clientSecret, `${field}.auth.clientSecret`),
          source: sources.get(`${field}.auth.clientSecret`) ?? '',
        };
        break;
      case 'password':
        auth = {
          type: a.type,
          clientId: a.clientId,
          username: a.username,
          secret: await secret(a.password, `${field}.auth.password`),
          source: sources.get(`${field}.auth.password`) ?? '',
          ...(a.clientSecret
            ? { clientSecret: await secret(a.clientSecret, `${field}.auth.clientSecret`) }
            : {}),
        };
        break;
      case 'session':
        auth = {
          type: a.type,
          username: a.username,
          secret: await secret(a.password, `${field}.auth.password`),
          source: sources.get(`${field}.auth.password`) ?? '',
        };
        break;
      case 'token': {
        const token = await secret(a.token, `${field}.auth.token`);
        const bad = token.search(/[^\x21-\x7e]/);
        if (bad >= 0) {
          errors.push(
            `${field}.auth.token: has a space, line break or control character (character ${bad + 1}); a token is sent in an HTTP header as it is: check ${sources.get(`${field}.auth.token`) ?? 'its source'}`,
          );
        }
        auth = { type: a.type, secret: token, source: sources.get(`${field}.auth.token`) ?? '' };
        break;
      }
    }
    const timeoutMs = z.timeoutMs ?? file.defaults.timeoutMs;
    sites.push({
      id: z.id,
      name: z.name ?? '',
      url: z.url,
      auth,
      policy: policy.ok ? policy.value : { interval: 0, alertAfter: 0, graceDays: 0 },
      timeoutMs,
      ...pick('usageAlertIds', z.usageAlertIds ?? file.defaults.usageAlertIds),
      ...pick('disconnectionAlertIds', z.disconnectionAlertIds ?? file.defaults.disconnectionAlertIds),
      ...pick('alertsDelayMs', z.alertsDelayMs ?? file.defaults.alertsDelayMs),
      fingerprint: JSON.stringify([z, file.defaults, secretDigest(auth)]),
    });
  }
  const apiKeys: ApiKey[] = [];
  for (const [i, k] of file.apiKeys.entries()) {
    const key = await secret(k.key, `apiKeys[${i}].key`);
    if (key && !/^[\x21-\x7e]{16,512}$/.test(key)) {
      errors.push(`apiKeys[${i}].key: must be 16 to 512 printable ASCII characters without spaces`);
    }
    apiKeys.push({ name: k.name, role: k.role, key });
  }
  const webhooks: Webhook[] = [];
  const hookNames = new Set<string>();
  for (const [i, w] of file.webhooks.entries()) {
    if (hookNames.has(w.name)) errors.push(`webhooks[${i}].name: "${w.name}" is used twice`);
    hookNames.add(w.name);
    const api: OwnApi = { host: file.http.host, port: file.http.port, hosts: file.http.hosts };
    const internal = w.allowInternalUrl ? null : internalUrl(w.url, api);
    if (internal) {
      errors.push(
        `webhooks[${i}].url: ${internal}; a webhook may not post there unless its config says "allowInternalUrl": true`,
      );
    }
    webhooks.push({
      name: w.name,
      url: w.url,
      secret: await secret(w.secret, `webhooks[${i}].secret`),
      allowInternalUrl: w.allowInternalUrl,
      api,
    });
  }
  if (errors.length) throw new ConfigError(`${path}:\n${errors.join('\n')}`);
  return {
    path,
    dataDir: isAbsolute(file.dataDir) ? file.dataDir : resolve(base, file.dataDir),
    http: file.http,
    apiKeys,
    webhooks,
    concurrency: file.concurrency,
    maxBackoffMs: file.defaults.maxBackoffMs,
    jitter: file.defaults.jitter,
    startSpreadMs: file.defaults.startSpreadMs,
    leases: file.leases,
    sites,
  };
}

/** Line breaks at the end of a secret (a file written by an editor or `echo`), dropped. */
const TRAILING_LINE_BREAKS = /[\r\n]+$/;
/** A secret is a few hundred bytes; a file far larger is not one. */
const SECRET_FILE_MAX_BYTES = 64 * 1024;

/**
 * Reads a secret file: a regular file of at most 64 KB, its trailing line breaks dropped. Anything else (a
 * FIFO, a socket, a device, a folder) is refused with its path, without waiting on it: reading a FIFO blocks
 * until something writes into it, which would hold the start, or a reload (SIGHUP) and every one after it.
 */
export async function readSecretFile(
  file: string,
): Promise<{ ok: true; value: string } | { ok: false; error: string }> {
  let handle;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, error: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const what = stat.isFIFO()
        ? 'a FIFO (named pipe)'
        : stat.isSocket()
          ? 'a socket'
          : stat.isDirectory()
            ? 'a folder'
            : stat.isCharacterDevice() || stat.isBlockDevice()
              ? 'a device'
              : 'not a regular file';
      return {
        ok: false,
        error: `${file} is ${what}: a secret must be a regular file (the service does not wait on a pipe)`,
      };
    }
    if (stat.size > SECRET_FILE_MAX_BYTES) {
      return { ok: false, error: `${file} is larger than ${SECRET_FILE_MAX_BYTES / 1024} KB: not a secret` };
    }
    const text = await handle.readFile('utf8');
    return { ok: true, value: text.replace(TRAILING_LINE_BREAKS, '') };
  } catch (e) {
    return { ok: false, error: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export async function loadConfig(path: string): Promise<FleetConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `${path}: cannot read the config (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  return parseConfig(text, path);
}

/** Changes when a secret changes, without holding it (a rotated secret reconfigures the site). */
function secretDigest(auth: ResolvedAuth): string {
  return createHash('sha256')
    .update(`${auth.secret}\u0000${auth.clientSecret ?? ''}`)
    .digest('base64url');
}
