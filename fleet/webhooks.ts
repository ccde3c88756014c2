/**
 * Delivers the webhook outbox: each transition's JSON post, signed with HMAC-SHA256 of
 * `${timestamp}.${body}` under the webhook's secret (`X-Zerto-Fleet-Signature: t=…,v1=<hex>`), retried with
 * growing waits until the receiver answers 2xx. At least once: a receiver de-duplicates by the event id
 * (`X-Zerto-Fleet-Event-Id`, and `id` in the body). The outbox is in the database, so a restart resumes it.
 *
 * Each receiver has a lane of its own: at most LANE_QUEUE of its posts claimed at a time, posted one after the
 * other, so that a receiver that never answers holds up only its own posts; the first of them that fails gives
 * the rest of its lane back to the outbox until its retry, rather than each waiting out its own timeout.
 *
 * A webhook may not post to this service's own API, to a link-local address (169.254.0.0/16, fe80::/10: where
 * cloud metadata services answer) or to a database port on this machine, unless its config says so
 * (`allowInternalUrl`): checked in the config for addresses written in the URL, and at each connection for the
 * addresses a name resolves to.
 */
import { createHmac } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Webhook } from './config.ts';
import type { OutboxRow, Store } from './store.ts';

/** Posts of one receiver claimed at a time (queued in its lane, posted one after the other). */
export const LANE_QUEUE = 20;
/** Posts of receivers no longer configured handled per round. */
const ORPHANS = 20;
const MAX_BACKOFF_MS = 10 * 60_000;
/** What is read of a receiver's answer at most (it is not used: only the status counts). */
const ANSWER_MAX_BYTES = 64 * 1024;

/** Ports of databases (PostgreSQL, MySQL, Redis, MongoDB, SQL Server, Oracle, Cassandra, Elasticsearch, …). */
export const DATABASE_PORTS: ReadonlySet<number> = new Set([
  5432, 3306, 6379, 27017, 1433, 1521, 9042, 9200, 11211, 2379, 5984,
]);

/** Each delivery's outcome, `{ webhook, ok }`, published for the metrics (fleet/metrics.ts counts them). */
export const DELIVERIES = channel('zerto-fleet.webhook-delivery');

export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The service's own API, as the config gives it: bound address, port (0: not known yet), other names. */
export interface OwnApi {
  host: string;
  port: number;
  hosts: readonly string[];
}

/** An IPv6 address's eight 16-bit groups (a dotted IPv4 tail and a zone allowed); null for anything else. */
function ipv6Groups(address: string): number[] | null {
  const a = address.replace(/%.*$/, '');
  if (isIP(a) !== 6) return null;
  let text = a;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [p, q, r, t] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/** An IPv4 address's four numbers, also out of an IPv4-mapped IPv6 address (::ffff:a.b.c.d); else null. */
function ipv4(address: string): number[] | null {
  if (isIP(address) === 4) return address.split('.').map(Number);
  const g = ipv6Groups(address);
  if (!g || g.slice(0, 5).some((n) => n !== 0) || g[5] !== 0xffff) return null;
  return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255];
}

function isLinkLocal(address: string): boolean {
  const v4 = ipv4(address);
  if (v4) return v4[0] === 169 && v4[1] === 254;
  const g = ipv6Groups(address);
  // fe80::/10.
  return g !== null && (g[0]! & 0xffc0) === 0xfe80;
}

/** Loopback or the unspecified address (which reaches this machine too). */
function isThisMachine(address: string): boolean {
  const v4 = ipv4(address);
  if (v4) return v4[0] === 127 || v4.every((n) => n === 0);
  const g = ipv6Groups(address);
  return g !== null && g.slice(0, 7).every((n) => n === 0) && (g[7] === 0 || g[7] === 1);
}

/** An address of one of this machine's interfaces. */
function isOwnInterface(address: string): boolean {
  const key = (a: string) => (ipv4(a) ?? ipv6Groups(a))?.join('.') ?? a;
  const wanted = key(address);
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((i) => key(i.address) === wanted),
  );
}

/**
 * Why a webhook may not post to this address and port, or null when it may: a link-local address, a database
 * port on this machine, or this service's own API.
 */
export function internalAddress(address: string, port: number, api: OwnApi): string | null {
  if (isLinkLocal(address)) {
    return `${address} is link-local (169.254.0.0/16, fe80::/10: cloud metadata services answer there)`;
  }
  const here = isThisMachine(address) || isOwnInterface(address);
  const at = isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
  if (here && api.port !== 0 && port === api.port) return `${at} is this service's own API`;
  if (here && DATABASE_PORTS.has(port)) return `${at} is a database port on this machine`;
  return null;
}

/** The URL's port, the scheme's default when none is written. */
function portOf(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/**
 * Why a webhook URL is refused as written (an address in it, `localhost`, or a name of this service's API),
 * or null. A name is checked again when it is resolved, at each connection.
 */
export function internalUrl(url: string, api: OwnApi): string | null {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = portOf(u);
  if (isIP(host)) return internalAddress(host, port, api);
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  const apiName = [api.host, ...api.hosts].some((h) => h.toLowerCase() === host);
  if ((loopbackName || apiName) && api.port !== 0 && port === api.port) {
    return `${host}:${port} is this service's own API`;
  }
  if (loopbackName && DATABASE_PORTS.has(port)) return `${host}:${port} is a database port on this machine`;
  return null;
}

/** A connection refused before it was made: the name resolved to an address the webhook may not post to. */
class InternalTarget extends Error {
  override name = 'InternalTarget';
}

/** `dns.lookup` for one webhook's connections, refusing a name that resolves to an internal address. */
function guardedLookup(hook: Webhook, port: number) {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!hook.allowInternalUrl) {
        for (const a of addresses) {
          const why = internalAddress(a.address, port, hook.api);
          if (why) return callback(new InternalTarget(`${hostname} resolves to ${why}`), []);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** One post's outcome: null when the receiver answered 2xx, else what went wrong. */
type PostError = string | null;

interface Lane {
  /** Claimed posts waiting their turn. */
  queue: OutboxRow[];
  /** The post under way, if any. */
  posting: Promise<void> | null;
  /** Its connections, kept alive between posts. */
  http: HttpAgent;
  https: HttpsAgent;
}

export class WebhookSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private readonly lanes = new Map<string, Lane>();
  delivered = 0;
  failures = 0;

  constructor(
    private readonly store: Store,
    private hooks: () => readonly Webhook[],
    private readonly log: (line: string) => void,
    private readonly timeoutMs = 10_000,
    private readonly pollMs = 1000,
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Something was queued: deliver now. */
  kick(): void {
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops claiming; waits for the posts under way (each within the timeout); gives the queued ones back. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    const queued = [...this.lanes.values()].flatMap((l) => l.queue.splice(0).map((r) => r.id));
    await this.store
      .webhookRelease(queued, Date.now())
      .catch((e: unknown) => this.log(`webhooks: queued posts not given back (${String(e)})`));
    await Promise.all([...this.lanes.values()].map((l) => l.posting));
    for (const l of this.lanes.values()) {
      l.http.destroy();
      l.https.destroy();
    }
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.round()
        .catch((e: unknown) => this.log(`webhooks: ${String(e)}`))
        .finally(() => {
          this.running = null;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Claims what each lane has room for, and starts the lanes; posts of removed webhooks wait. */
  private async round(): Promise<void> {
    const hooks = this.hooks();
    if (hooks.length === 0) return;
    const names = hooks.map((h) => h.name);
    const now = Date.now();
    // A lane's whole queue can take LANE_QUEUE timeouts; claimed that long (and a minute), so that another
    // instance on a shared server does not post them meanwhile.
    const claimMs = LANE_QUEUE * this.timeoutMs + 60_000;
    for (const row of await this.store.dueWebhooks(now, ORPHANS, claimMs, { except: names })) {
      // Removed from the config: kept, and delivered if it comes back.
      await this.store.webhookFailed(
        row.id,
        now + MAX_BACKOFF_MS,
        `no webhook named ${row.webhook} in the config`,
      );
    }
    for (const hook of hooks) {
      if (this.closed) return;
      const lane = this.lane(hook.name);
      const room = LANE_QUEUE - lane.queue.length - (lane.posting ? 1 : 0);
      if (room <= 0) continue;
      lane.queue.push(...(await this.store.dueWebhooks(now, room, claimMs, { webhook: hook.name })));
      this.run(hook.name, lane);
    }
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = {
        queue: [],
        posting: null,
        http: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
        https: new HttpsAgent({ keepAlive: true, maxSockets: 1 }),
      };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /** Posts the lane's queue one after the other, unless it is already doing so. */
  private run(name: string, lane: Lane): void {
    if (lane.posting || this.closed) return;
    const row = lane.queue.shift();
    if (!row) return;
    lane.posting = this.deliver(name, lane, row)
      .catch((e: unknown) => this.log(`webhook ${name}: ${String(e)}`))
      .finally(() => {
        lane.posting = null;
        if (lane.queue.length > 0) this.run(name, lane);
        // The lane is empty: more may be waiting in the outbox.
        else this.kick();
      });
  }

  private async deliver(name: string, lane: Lane, row: OutboxRow): Promise<void> {
    const hook = this.hooks().find((h) => h.name === name);
    if (!hook) {
      await this.store.webhookFailed(
        row.id,
        Date.now() + MAX_BACKOFF_MS,
        `no webhook named ${name} in the config`,
      );
      return;
    }
    const error = await this.post(hook, lane, row);
    DELIVERIES.publish({ webhook: hook.name, ok: error === null });
    if (error === null) {
      this.delivered++;
      await this.store.webhookDelivered(row.id, Date.now());
      return;
    }
    this.failures++;
    const wait =
      Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(row.attempts, 20)) * (0.8 + 0.4 * Math.random());
    const nextAt = Date.now() + Math.round(wait);
    await this.store.webhookFailed(row.id, nextAt, error);
    // The receiver is failing: the rest of its lane waits for the same retry rather than each its own timeout.
    await this.store.webhookRelease(
      lane.queue.splice(0).map((r) => r.id),
      nextAt,
    );
    this.log(`webhook ${hook.name}: ${row.eventId} not delivered (${error}); attempt ${row.attempts + 1}`);
  }

  /** One signed post; null when the receiver answered 2xx. Redirects are not followed (a 3xx is a failure). */
  private post(hook: Webhook, lane: Lane, row: OutboxRow): Promise<PostError> {
    const body = JSON.stringify(row.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const url = new URL(hook.url);
    const signal = AbortSignal.timeout(this.timeoutMs);
    return new Promise<PostError>((resolve) => {
      let done = false;
      const finish = (error: PostError) => {
        if (done) return;
        done = true;
        resolve(error);
      };
      const onAnswer = (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (c: Buffer) => {
          read += c.length;
          if (read > ANSWER_MAX_BYTES) res.destroy();
        });
        const settle = () => finish(status >= 200 && status <= 299 ? null : `HTTP ${status}`);
        res.on('end', settle);
        res.on('close', settle);
        res.on('error', settle);
      };
      const options = {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
          'User-Agent': 'zerto-fleet',
          'X-Zerto-Fleet-Event-Id': row.eventId,
          'X-Zerto-Fleet-Signature': `t=${timestamp},v1=${sign(hook.secret, timestamp, body)}`,
        },
        lookup: guardedLookup(hook, portOf(url)),
        signal,
      };
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, { ...options, agent: lane.https }, onAnswer)
          : httpRequest(url, { ...options, agent: lane.http }, onAnswer);
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish(
          signal.aborted
            ? `no answer within ${this.timeoutMs} ms`
            : e instanceof InternalTarget
              ? `refused: ${e.message}; set "allowInternalUrl": true on this webhook if it is meant`
              : `could not connect${e.code ? ` (${e.code})` : ''}`,
        ),
      );
      req.end(body);
    });
  }
}
