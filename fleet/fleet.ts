/**
 * The watcher: every configured ZVM read on its own jittered schedule by the zvm probe, at most
 * `concurrency` at once, each attempt bounded in time, a ZVM that cannot be read retried with growing waits.
 * Each attempt goes through the engine (src/core) exactly as in a browser: the probe's result becomes the
 * engine's event (eventOf, from the page poller), and the new state is written in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  createState,
  DAY,
  reduce,
  type Alert,
  type FailureReason,
  type GraceEvent,
  type GraceState,
  type Policy,
} from '../src/core/index.ts';
import { dueAt, eventOf, nextCheck, ruleOf } from '../src/world/poller/schedule.ts';
import {
  CONFIG_LIMITS,
  parseSiteConfig,
  type ProbeResult,
  type SiteConfig,
} from '../src/world/probes/index.ts';
import { discoverSite, zvmProbe } from '../src/world/probes/zvm.ts';
import { licenceConcern } from '../src/protocol/zvm.ts';
import type { FleetConfig, SiteSpec } from './config.ts';
import { ZvmCredentials, type CredentialInfo } from './credentials.ts';
import { summarize, type SiteSummary, type Status } from './site.ts';
import { EMPTY_RUNTIME, LeaseLost, type AttemptRecord, type Runtime, type Store } from './store.ts';

/** A wall clock that moved this much more (or less) than the monotonic one between two looks was set. */
const CLOCK_STEP_MS = 30_000;
const CLOCK_LOOK_MS = 10_000;
/** Sharing: how long a send-usage asked here waits for the holder of the site's lease to answer, by default. */
export const SEND_WAIT_MS = 60_000;

/**
 * Sharing the sites with other instances on one PostgreSQL server: each site is read by the instance that
 * holds its lease. Leases last `ttlMs` and are renewed every `renewMs`; an instance that dies (`kill -9`)
 * stops renewing, and the others take its sites within `ttlMs + renewMs`. A send-usage asked of an instance
 * that does not hold the site's lease waits up to `sendWaitMs` for the holder's answer.
 */
export interface Sharing {
  instance: string;
  name: string;
  ttlMs: number;
  renewMs: number;
  sendWaitMs: number;
}

export function newSharing(leases: { ttlMs: number; renewMs: number; sendWaitMs?: number }): Sharing {
  const instance = randomUUID();
  return {
    instance,
    name: `${hostname()}:${process.pid}:${instance.slice(0, 8)}`,
    ttlMs: leases.ttlMs,
    renewMs: leases.renewMs,
    sendWaitMs: leases.sendWaitMs ?? SEND_WAIT_MS,
  };
}

interface Entry {
  spec: SiteSpec;
  config: SiteConfig;
  creds: ZvmCredentials;
  state: GraceState | null;
  runtime: Runtime;
  nextAt: number;
  /**
   * The wall clock and the monotonic clock when `nextAt` was planned: a step of the wall clock is measured for
   * each site from its own plan (one planned after the step is in the new frame already, and stays).
   */
  plannedWall: number;
  plannedMono: number;
  /** The attempt under way (scheduled or an operator's), so that a site is read by one attempt at a time. */
  running: Promise<void> | null;
  removed: boolean;
  /** This instance reads the site (always, alone; while it holds the lease, sharing a server). */
  owned: boolean;
  /** When the stored row was last written (sharing: another instance's writes are read back). */
  updatedAt: number;
  /**
   * The site as the ZVM names it (GET /v1/localsite), read once per entry rather than at every attempt, and
   * again a day later: its name where the config gives none.
   */
  zvmSite?: { name: string; readAt: number };
}

export interface AttemptOutcome {
  summary: SiteSummary;
  result: 'passed' | 'failed' | 'cannot-see';
  detail: string | null;
}

/** Sharing: the holder of the site's lease did not answer a send-usage asked here in time. */
export interface SendTimeout {
  /** The instance that reads the site, if known. */
  timeout: string | null;
  /** It took the request (the attempt is under way and will be stored) rather than not at all. */
  underWay: boolean;
  /** How long the answer was waited for. */
  waitedMs: number;
}

export interface FleetEvents {
  change: [summary: SiteSummary];
  transition: [t: { siteId: string; from: Status | null; to: Status; at: number; deadline: string | null }];
  /** The site moved into its last day (less than a day before the ZVM disconnects its VRAs). */
  lastDay: [t: { siteId: string; at: number; deadline: string | null }];
  /** Webhook posts were queued. */
  outbox: [];
  /** An attempt of this instance came to a result (stored or not): the metrics count them by result. */
  attempt: [a: { siteId: string; result: AttemptOutcome['result'] }];
}

export interface FleetStats {
  sites: number;
  inFlight: number;
  attempts: number;
  persistFailures: number;
  reloads: number;
  /** Sites this instance reads (all of them, alone). */
  owned: number;
  /** Live instances sharing the server (1 alone). */
  instances: number;
  clockSteps: number;
}

export class Fleet extends EventEmitter<FleetEvents> {
  private readonly entries = new Map<string, Entry>();
  /** States of sites stored but not (or no longer) configured: taken up again if they come back. */
  private readonly dormant = new Map<string, { state: GraceState; runtime: Runtime }>();
  private settings: Pick<
    FleetConfig,
    'concurrency' | 'maxBackoffMs' | 'jitter' | 'startSpreadMs' | 'webhooks'
  >;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly stop = new AbortController();
  readonly stats: FleetStats = {
    sites: 0,
    inFlight: 0,
    attempts: 0,
    persistFailures: 0,
    reloads: 0,
    owned: 0,
    instances: 1,
    clockSteps: 0,
  };
  private leaseTimer: NodeJS.Timeout | null = null;
  private leasing: Promise<void> | null = null;
  /** Who holds each site's lease (sharing), by instance name. */
  private owners = new Map<string, string>();
  private clockTimer: NodeJS.Timeout | null = null;
  private lastLook = { wall: 0, mono: 0 };
  /** Sharing: until when (monotonic) the leases renewed last are sure to hold; no attempt starts after. */
  private leaseUntil = 0;
  /** Sharing: stops listening for send-usage requests. */
  private unlisten: (() => Promise<void>) | null = null;
  /** Sharing: send-usage requests of other instances under way here, by request id. */
  private readonly serving = new Map<number, Promise<void>>();
  /** Sharing: this instance's own requests waiting for their answer, by request id. */
  private readonly waiting = new Map<number, () => void>();
  private serveTimer: NodeJS.Timeout | null = null;
  private servingRound: Promise<void> | null = null;
  private serveAgain = false;

  constructor(
    private readonly store: Store,
    config: FleetConfig,
    stored: ReadonlyArray<{ id: string; state: GraceState; runtime: Runtime }>,
    private readonly log: (line: string) => void,
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
    /** Null alone (PGlite, or one instance): every configured site is read here. */
    readonly sharing: Sharing | null = null,
  ) {
    super();
    this.settings = config;
    for (const s of stored) this.dormant.set(s.id, { state: s.state, runtime: s.runtime });
    this.apply(config);
  }

  /** Takes a (re)loaded config: new sites start, removed ones stop, changed ones keep their state. */
  reconfigure(config: FleetConfig): { added: string[]; removed: string[]; changed: string[] } {
    this.stats.reloads++;
    return this.apply(config);
  }

  private apply(config: FleetConfig): { added: string[]; removed: string[]; changed: string[] } {
    this.settings = config;
    const now = this.clock();
    const added: string[] = [];
    const changed: string[] = [];
    const wanted = new Set(config.sites.map((s) => s.id));
    const removed = [...this.entries.keys()].filter((id) => !wanted.has(id));
    for (const id of removed) {
      const e = this.entries.get(id)!;
      e.removed = true;
      this.entries.delete(id);
      if (e.state) this.dormant.set(id, { state: e.state, runtime: e.runtime });
    }
    for (const spec of config.sites) {
      const siteConfig = toSiteConfig(spec);
      const existing = this.entries.get(spec.id);
      if (existing) {
        if (existing.spec.fingerprint === spec.fingerprint) continue;
        const credsChanged =
          existing.spec.url !== spec.url || JSON.stringify(existing.spec.auth) !== JSON.stringify(spec.auth);
        existing.spec = spec;
        existing.config = siteConfig;
        if (credsChanged)
          existing.creds = new ZvmCredentials(spec.url, spec.auth, spec.timeoutMs, this.clock);
        this.plan(existing, Math.min(existing.nextAt, now + this.spread(spec.policy)));
        changed.push(spec.id);
        continue;
      }
      const kept = this.dormant.get(spec.id);
      this.dormant.delete(spec.id);
      const state = kept?.state ?? null;
      this.entries.set(spec.id, {
        spec,
        config: siteConfig,
        creds: new ZvmCredentials(spec.url, spec.auth, spec.timeoutMs, this.clock),
        state,
        runtime: kept?.runtime ?? { ...EMPTY_RUNTIME },
        nextAt: this.firstAttempt(state, spec.policy, now),
        plannedWall: this.clock(),
        plannedMono: performance.now(),
        running: null,
        removed: false,
        owned: this.sharing === null,
        updatedAt: 0,
      });
      added.push(spec.id);
    }
    this.stats.sites = this.entries.size;
    this.countOwned();
    this.kick();
    return { added, removed, changed };
  }

  /**
   * A site with a stored state is read when its last attempt says (an interval after it, or at its deadline):
   * a restart, or another instance taking the site over, does not read it again early. One never read, or
   * overdue, is read within the start spread.
   */
  private firstAttempt(state: GraceState | null, policy: Policy, now: number, calledAt?: number): number {
    // A call of the ZVM stored later than the last attempt: its holder died before storing the attempt (the
    // ZVM was asked all the same), and the interval counts from that call.
    const last = state?.lastAttemptAt ?? null;
    const lastAttemptAt = calledAt !== undefined && (last === null || calledAt > last) ? calledAt : last;
    const due = state
      ? dueAt({ ...state, lastAttemptAt }, now, policy.interval)
      : lastAttemptAt !== null
        ? lastAttemptAt + policy.interval
        : now;
    return due > now ? due : now + this.spread(policy);
  }

  /** When each of these sites' ZVM was last called (this process's clock), from the calls stored before made. */
  private async lastCalls(ids: readonly string[], now: number): Promise<Map<string, number>> {
    const ago = await this.store.lastCalls(ids);
    return new Map([...ago].map(([id, ms]) => [id, now - ms]));
  }

  private countOwned(): void {
    let n = 0;
    for (const e of this.entries.values()) if (e.owned) n++;
    this.stats.owned = n;
  }

  /** A random start within the spread (or the interval, if shorter): a thousand ZVMs do not all start at once. */
  private spread(policy: Policy): number {
    return Math.floor(this.random() * Math.min(this.settings.startSpreadMs, policy.interval));
  }

  /** Starts reading; sharing a server, takes its first leases first. */
  async start(): Promise<void> {
    this.lastLook = { wall: this.clock(), mono: performance.now() };
    this.clockTimer = setInterval(() => this.lookAtClock(), CLOCK_LOOK_MS);
    this.clockTimer.unref();
    if (this.sharing) {
      try {
        this.unlisten = await this.store.listenSends((payload) => this.heard(payload));
      } catch (e) {
        this.log(`send-usage requests: cannot listen (${String(e)}); looking every second instead`);
      }
      await this.leaseRound();
    } else {
      // Restarted after a kill mid-attempt: the call it made counts, though its attempt was not stored.
      const now = this.clock();
      const called = await this.lastCalls([...this.entries.keys()], now).catch((e: unknown) => {
        this.log(`the last calls of the ZVMs could not be read (${String(e)})`);
        return new Map<string, number>();
      });
      for (const [id, at] of called) {
        const e = this.entries.get(id);
        if (e) this.plan(e, Math.max(e.nextAt, this.firstAttempt(e.state, e.spec.policy, now, at)));
      }
    }
    this.kick();
  }

  /** Stops scheduling and waits (up to `graceMs`) for the attempts under way, which are then cut. */
  async close(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    if (this.clockTimer) clearInterval(this.clockTimer);
    if (this.serveTimer) clearTimeout(this.serveTimer);
    for (const wake of this.waiting.values()) wake();
    await this.leasing;
    await this.servingRound;
    const running = [...this.entries.values()].map((e) => e.running).filter((p) => p !== null);
    const cut = setTimeout(() => this.stop.abort(), graceMs);
    await Promise.all(running);
    await Promise.all(this.serving.values());
    clearTimeout(cut);
    await this.unlisten?.().catch(() => undefined);
    // A clean stop hands the sites over at once rather than when the leases expire.
    if (this.sharing) {
      await this.store
        .leaveFleet(this.sharing.instance)
        .catch((e: unknown) => this.log(`could not give up the leases: ${String(e)}`));
    }
  }

  /**
   * The wall clock set forward or back (NTP step, an operator, a VM resumed): every planned attempt is moved
   * by the step, so that a clock set an hour ahead does not make every site due at once, and one set back
   * does not stop the reading for an hour. The engine reads times from the ZVM, so no state is wrong.
   */
  private lookAtClock(): void {
    const wall = this.clock();
    const mono = performance.now();
    const step = wall - this.lastLook.wall - (mono - this.lastLook.mono);
    this.lastLook = { wall, mono };
    if (Math.abs(step) < CLOCK_STEP_MS) return;
    this.stats.clockSteps++;
    this.log(
      `the clock was set ${step > 0 ? 'forward' : 'back'} by ${Math.round(Math.abs(step) / 1000)} s: the schedule moves with it`,
    );
    for (const e of this.entries.values()) {
      // Each plan moves by the step it saw: one made after the step (an attempt that ended meanwhile) is in
      // the new frame already, and moving it would leave its site unread for as long as the step.
      const own = wall - e.plannedWall - (mono - e.plannedMono);
      if (Math.abs(own) >= CLOCK_STEP_MS) this.plan(e, e.nextAt + own);
    }
    this.kick();
  }

  /** Sets when a site is read next, noting the clocks it was planned by. */
  private plan(e: Entry, at: number): void {
    e.nextAt = at;
    e.plannedWall = this.clock();
    e.plannedMono = performance.now();
  }

  /** Sharing: renew, give up and take leases; read back the state of the sites other instances read. */
  private async leaseRound(): Promise<void> {
    const sharing = this.sharing;
    if (!sharing || this.stopped) return;
    const run = (async () => {
      try {
        const started = performance.now();
        const wanted = [...this.entries.keys()];
        const round = await this.store.leaseRound({
          instance: sharing.instance,
          name: sharing.name,
          ttlMs: sharing.ttlMs,
          wanted,
          release: [],
        });
        this.stats.instances = round.live;
        await this.store
          .pruneSends()
          .catch((err: unknown) => this.log(`send-usage requests: old ones not deleted (${String(err)})`));
        this.leaseUntil = started + sharing.ttlMs;
        this.owners = round.owners;
        const held = new Set(round.held);
        // More than a fair share (another instance joined): give up some that are not being read now.
        const excess = held.size - round.share;
        if (excess > 0) {
          const give = [...held].filter((id) => !this.entries.get(id)?.running).slice(0, excess);
          // Not read here from now on, before the lease goes: no attempt starts in between.
          for (const id of give) {
            held.delete(id);
            this.owners.delete(id);
            const e = this.entries.get(id);
            if (e) e.owned = false;
          }
          await this.store.releaseLeases(sharing.instance, give);
        }
        const gained = [...held].filter((id) => this.entries.get(id)?.owned === false);
        const lost = [...this.entries.values()].filter((e) => e.owned && !held.has(e.spec.id));
        for (const e of lost) e.owned = false;
        if (lost.length) this.log(`leases: ${lost.length} sites went to other instances`);
        // Everything not read here is read back from the database; a site just taken over too, so that its
        // schedule follows from its last attempt, whoever made it.
        const others = [...this.entries.values()].filter((e) => !e.owned).map((e) => e.spec.id);
        const fresh = await this.store.loadSites(
          (id, error) => this.log(`site ${id}: stored state damaged (${error})`),
          others,
        );
        const now = this.clock();
        for (const row of fresh) {
          const e = this.entries.get(row.id);
          if (!e || row.updatedAt <= e.updatedAt) continue;
          const prev = e.state ? summarize(e.spec, e.state, e.runtime, now).summary : null;
          e.state = row.state;
          e.runtime = row.runtime;
          e.updatedAt = row.updatedAt;
          if (!held.has(row.id)) this.announceRemote(e, prev, now);
        }
        // Taken over from an instance that may have died mid-attempt: its last call counts, stored or not.
        const called = await this.lastCalls(gained, now);
        for (const id of gained) {
          const e = this.entries.get(id)!;
          e.owned = true;
          this.plan(e, this.firstAttempt(e.state, e.spec.policy, now, called.get(id)));
        }
        if (gained.length) this.log(`leases: took ${gained.length} sites (${held.size} held now)`);
        this.countOwned();
        this.kick();
        // Requests of sites just taken over (their holder died) or missed notifications.
        this.serve();
      } catch (err) {
        // The database cannot be reached: leases lapse, and the fence keeps this instance from writing.
        this.log(`leases: round failed (${String(err)})`);
      }
    })();
    this.leasing = run;
    await run;
    this.leasing = null;
    if (!this.stopped) {
      this.leaseTimer = setTimeout(() => void this.leaseRound(), sharing.renewMs);
      this.leaseTimer.unref();
    }
  }

  /** Reads a site another instance reads back from the database now (after it answered a request here). */
  private async refresh(id: string): Promise<void> {
    const rows = await this.store.loadSites(
      (sid, error) => this.log(`site ${sid}: stored state damaged (${error})`),
      [id],
    );
    const now = this.clock();
    for (const row of rows) {
      const e = this.entries.get(row.id);
      if (!e || e.owned || row.updatedAt <= e.updatedAt) continue;
      const prev = e.state ? summarize(e.spec, e.state, e.runtime, now).summary : null;
      e.state = row.state;
      e.runtime = row.runtime;
      e.updatedAt = row.updatedAt;
      this.announceRemote(e, prev, now);
    }
  }

  /** A notification: a request was made (the holder looks for its own), or one of ours was answered. */
  private heard(payload: string): void {
    if (payload === 'new') return this.serve();
    const m = /^done:(\d+)$/.exec(payload);
    if (m) this.waiting.get(Number(m[1]))?.();
  }

  /**
   * Sharing: takes and runs the open send-usage requests of the sites this instance holds, each the same
   * operator attempt as a local one, its outcome written into the request. While any request is open,
   * looks again every second (a notification missed, a holder that died).
   */
  private serve(): void {
    const sharing = this.sharing;
    if (!sharing || this.stopped) return;
    if (this.servingRound) {
      this.serveAgain = true;
      return;
    }
    if (this.serveTimer) clearTimeout(this.serveTimer);
    this.serveTimer = null;
    const round = (async () => {
      let open: boolean;
      try {
        const taken = await this.store.takeSends(sharing.instance, [...this.serving.keys()]);
        for (const r of taken) {
          const run = this.serveOne(sharing, r.id, r.siteId).finally(() => this.serving.delete(r.id));
          this.serving.set(r.id, run);
        }
        open = this.serving.size > 0 || (await this.store.openSends());
      } catch (err) {
        this.log(`send-usage requests: could not look for them (${String(err)})`);
        open = true;
      }
      return open;
    })();
    this.servingRound = round.then(
      () => undefined,
      () => undefined,
    );
    void round.then((open) => {
      this.servingRound = null;
      if (this.stopped) return;
      if (this.serveAgain) {
        this.serveAgain = false;
        return this.serve();
      }
      if (open) {
        this.serveTimer = setTimeout(() => this.serve(), 1000);
        this.serveTimer.unref();
      }
    });
  }

  private async serveOne(sharing: Sharing, id: number, siteId: string): Promise<void> {
    try {
      const outcome = await this.sendUsage(siteId, false);
      if (outcome && 'notHere' in outcome) {
        // Lost the site meanwhile: its next holder takes the request.
        await this.store.returnSend(id, sharing.instance);
        return;
      }
      this.log(
        `site ${siteId}: send-usage asked through another instance: ${outcome?.result ?? 'unknown site'}`,
      );
      await this.store.answerSend(
        id,
        sharing.instance,
        outcome
          ? { result: outcome.result, detail: outcome.detail, site: outcome.summary }
          : {
              result: 'cannot-see',
              detail: `site ${siteId} is not in the config of ${sharing.name}`,
              site: null,
            },
      );
    } catch (err) {
      this.log(`site ${siteId}: send-usage request ${id} could not be answered (${String(err)})`);
      await this.store.returnSend(id, sharing.instance).catch(() => undefined);
    }
  }

  /**
   * Sharing: asks the holder of the site's lease to send usage, and waits (up to `sendWaitMs`) for its
   * answer; a timeout when none came in time (the request is then withdrawn if no instance took it yet).
   */
  private async sendElsewhere(sharing: Sharing, e: Entry): Promise<AttemptOutcome | SendTimeout> {
    const id = await this.store.askSend(e.spec.id, sharing.instance);
    const until = performance.now() + sharing.sendWaitMs;
    try {
      for (;;) {
        const answer = await this.store.sendAnswer(id);
        if (answer) {
          await this.refresh(e.spec.id).catch((err: unknown) =>
            this.log(`site ${e.spec.id}: could not read it back (${String(err)})`),
          );
          const result = answer.result as AttemptOutcome['result'];
          const summary =
            answer.site && typeof answer.site === 'object'
              ? (answer.site as SiteSummary)
              : summarize(e.spec, e.state, e.runtime, this.clock()).summary;
          return { result, detail: answer.detail, summary };
        }
        const left = until - performance.now();
        if (left <= 0 || this.stopped) {
          // Withdrawn unless an instance took it already (then it is under way, and its outcome is stored).
          const withdrawn = await this.store.cancelSend(id).catch(() => false);
          return { timeout: this.ownerOf(e.spec.id), underWay: !withdrawn, waitedMs: sharing.sendWaitMs };
        }
        // A notification wakes this up at once; otherwise look again in a second.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(10, Math.min(1000, left)));
          this.waiting.set(id, () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    } finally {
      this.waiting.delete(id);
    }
  }

  /** A site another instance reads changed: the event stream here hears of it too. */
  private announceRemote(e: Entry, prev: SiteSummary | null, now: number): void {
    const { summary } = summarize(e.spec, e.state, e.runtime, now);
    this.emit('change', summary);
    if (prev && prev.status !== summary.status) {
      this.emit('transition', {
        siteId: e.spec.id,
        from: prev.status,
        to: summary.status,
        at: now,
        deadline: summary.deadline,
      });
    }
  }

  /** The instance that reads each site (sharing), by instance name. */
  ownerOf(id: string): string | null {
    if (!this.sharing) return null;
    if (this.entries.get(id)?.owned) return this.sharing.name;
    return this.owners.get(id) ?? null;
  }

  /** Display names by site id, as the export names its rows. */
  names(): Map<string, string> {
    const now = this.clock();
    return new Map(
      [...this.entries.values()].map((e) => [
        e.spec.id,
        summarize(e.spec, e.state, e.runtime, now).summary.name,
      ]),
    );
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  summaries(): SiteSummary[] {
    const now = this.clock();
    return [...this.entries.values()].map((e) => summarize(e.spec, e.state, e.runtime, now).summary);
  }

  detail(id: string) {
    const e = this.entries.get(id);
    if (!e) return null;
    const { summary, view } = summarize(e.spec, e.state, e.runtime, this.clock());
    const credentials: CredentialInfo = e.creds.info();
    return {
      summary,
      view,
      state: e.state,
      runtime: e.runtime,
      credentials,
      nextAttemptAt: e.owned ? e.nextAt : null,
      readBy: this.ownerOf(id),
    };
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * The vendor's action through the ZVM, now, in turn with a scheduled attempt under way. Sharing a server,
   * the instance holding the site's lease makes it: another asks that one (a request in the database) and
   * waits for its outcome; `timeout` (naming the holder) when none came in time.
   */
  async sendUsage(id: string): Promise<AttemptOutcome | SendTimeout | null>;
  async sendUsage(id: string, forward: false): Promise<AttemptOutcome | { notHere: true } | null>;
  async sendUsage(
    id: string,
    forward = true,
  ): Promise<AttemptOutcome | SendTimeout | { notHere: true } | null> {
    const e = this.entries.get(id);
    if (!e) return null;
    if (!e.owned) {
      if (!this.sharing || !forward) return { notHere: true };
      return this.sendElsewhere(this.sharing, e);
    }
    while (e.running) await e.running;
    let outcome: AttemptOutcome | null = null;
    const run = this.attempt(e, 'operator').then((o) => {
      outcome = o;
    });
    e.running = run.finally(() => (e.running = null));
    await e.running;
    this.kick();
    return outcome;
  }

  /** Starts every attempt that is due, as far as the concurrency allows, and sleeps until the next one. */
  private kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.clock();
    let earliest = Infinity;
    if (this.sharing && performance.now() > this.leaseUntil) {
      // The leases could not be renewed in time (the database is away, or this process was stalled): they
      // may be another instance's now. Read nothing until a lease round succeeds.
      this.timer = setTimeout(() => this.kick(), Math.min(1000, this.sharing.renewMs));
      return;
    }
    const due = [...this.entries.values()]
      .filter((e) => e.owned && !e.running)
      .sort((a, b) => a.nextAt - b.nextAt);
    for (const e of due) {
      if (e.nextAt > now) {
        earliest = Math.min(earliest, e.nextAt);
        break;
      }
      if (this.stats.inFlight >= this.settings.concurrency) break;
      this.stats.inFlight++;
      e.running = this.attempt(e, 'schedule')
        .then(() => undefined)
        .finally(() => {
          e.running = null;
          this.stats.inFlight--;
          this.kick();
        });
    }
    if (earliest < Infinity) {
      // At most a minute: a clock set forward or a config change is noticed soon.
      this.timer = setTimeout(() => this.kick(), Math.max(10, Math.min(earliest - now, 60_000)));
    }
  }

  private async attempt(e: Entry, trigger: AttemptRecord['trigger']): Promise<AttemptOutcome> {
    this.stats.attempts++;
    const spec = e.spec;
    // A login, the site's name once (localsite), license, sendUsage, and the ZVM's clock, alerts and help
    // identifiers, read twice when sendUsage only took the request: each within the timeout, and the wait.
    const limit = AbortSignal.timeout(
      spec.timeoutMs * 10 + (spec.alertsDelayMs ?? CONFIG_LIMITS.alertsDelayMs.default) + 1000,
    );
    const signal = AbortSignal.any([limit, this.stop.signal]);
    const result = await this.probe(e, signal);
    const probed: ProbeResult | null = result.ok ? result.probed : null;
    const event: GraceEvent = result.ok
      ? eventOf(e.config, result.probed)
      : { type: 'blind', reason: result.reason };
    const now = this.clock();
    const before = e.state;
    const identity = { id: spec.id, name: spec.name || probed?.site?.name || before?.site.name || spec.id };
    const rule = ruleOf(e.config);
    let base = before ?? createState(identity, rule.policy, now, rule.authority);
    if (
      !samePolicy(base.policy, rule.policy) ||
      base.authority !== rule.authority ||
      base.site.name !== identity.name
    ) {
      base = reduce(
        base,
        { type: 'configure', policy: rule.policy, authority: rule.authority, siteName: identity.name },
        now,
      );
    }
    const after = reduce(base, event, now);
    const kind: AttemptOutcome['result'] =
      event.type === 'blind'
        ? 'cannot-see'
        : event.type === 'zvm' && event.passed === true
          ? 'passed'
          : 'failed';
    this.emit('attempt', { siteId: spec.id, result: kind });
    const reason: FailureReason | null =
      event.type === 'blind' ? event.reason : probed && !probed.outcome.ok ? probed.outcome.reason : null;
    const detail = reason ? `${reason.kind}${reason.detail ? `: ${reason.detail}` : ''}`.slice(0, 500) : null;
    const runtime: Runtime = {
      attempts: e.runtime.attempts + 1,
      consecutiveFailures: kind === 'cannot-see' ? e.runtime.consecutiveFailures + 1 : 0,
      lastResult: kind,
      lastResultAt: now,
      lastDetail: detail,
      ...licenceOf(probed, now, e.runtime.licence),
    };
    // As it was told after the previous attempt (time alone moves a site into its last day).
    const prevSummary = before
      ? summarize(spec, before, e.runtime, before.lastAttemptAt ?? now).summary
      : null;
    const prevStatus = prevSummary?.status ?? null;
    const { summary } = summarize(spec, after, runtime, now);
    // Within warning, the move into the last day is an escalation of its own (not a status change).
    const lastDay = summary.lastDay && summary.status === 'warning' && prevSummary?.lastDay === false;
    const transition =
      prevStatus !== summary.status
        ? {
            siteId: spec.id,
            at: now,
            from: prevStatus,
            to: summary.status,
            deadline: after.deadline,
          }
        : null;
    try {
      await this.store.recordAttempt(
        { id: spec.id, state: after, runtime },
        {
          siteId: spec.id,
          at: now,
          result: kind,
          passed: event.type === 'zvm' ? event.passed : null,
          status: summary.status,
          reasonKind: reason?.kind ?? null,
          reasonDetail: reason?.detail?.slice(0, 500) ?? null,
          trigger,
          instance: this.sharing?.name ?? null,
        },
        changedAlerts(before?.alerts ?? [], after.alerts),
        transition,
        // In the same transaction as the transition: a transition stored is a transition announced.
        [
          ...(transition ? webhookPosts(this.settings.webhooks, transition, summary) : []),
          ...(lastDay
            ? webhookPosts(
                this.settings.webhooks,
                { siteId: spec.id, at: now, from: 'warning', to: 'warning' },
                summary,
                'last-day',
              )
            : []),
        ],
        // The manual-billing history: what the ZVM counted, acknowledged when its sendUsage passed.
        probed?.usage
          ? {
              siteId: spec.id,
              siteName: identity.name,
              at: now,
              protectedVms: probed.usage.protectedVms,
              licenseType: probed.usage.licenseType ?? null,
              reportId: null,
              acknowledgedAt: kind === 'passed' ? now : null,
            }
          : null,
        this.sharing?.instance ?? null,
      );
    } catch (err) {
      if (err instanceof LeaseLost) {
        // Another instance took the site (this one was too slow to renew): its word stands, not this one.
        e.owned = false;
        this.countOwned();
        this.log(`site ${spec.id}: lease lost during the attempt; its result is left to the new holder`);
        return { summary: summarize(spec, before, e.runtime, now).summary, result: kind, detail };
      }
      // Not written: the state in memory stays as it was, and the attempt is made again soon.
      this.stats.persistFailures++;
      this.log(`site ${spec.id}: the attempt could not be stored (${String(err)}); retrying`);
      this.plan(e, now + Math.min(spec.policy.interval, 5000));
      return { summary: summarize(spec, before, e.runtime, now).summary, result: kind, detail };
    }
    e.state = after;
    e.runtime = runtime;
    e.updatedAt = Date.now();
    this.plan(e, this.nextAttempt(e, now));
    if (!e.removed) {
      this.emit('change', summary);
      if ((transition || lastDay) && this.settings.webhooks.length) this.emit('outbox');
      if (lastDay) {
        this.log(`site ${spec.id}: last day before the ZVM disconnects its VRAs (${summary.deadline})`);
        this.emit('lastDay', { siteId: spec.id, at: now, deadline: summary.deadline });
      }
      if (transition) {
        this.log(
          `site ${spec.id}: ${transition.from ?? 'new'} → ${transition.to}${detail ? ` (${detail})` : ''}`,
        );
        this.emit('transition', { ...transition, deadline: summary.deadline });
      }
    }
    return { summary, result: kind, detail };
  }

  /**
   * The probe with this site's current credentials; a cached token or session the ZVM refuses is renewed once.
   * A static token the ZVM refuses is not tried again (it would be the same one): the refusal says so.
   */
  private async probe(
    e: Entry,
    signal: AbortSignal,
  ): Promise<{ ok: true; probed: ProbeResult } | { ok: false; reason: FailureReason }> {
    // Stored before the ZVM is called: an instance that takes the site over after this one died mid-attempt
    // (its attempt never stored) waits out the interval from this call, not from the last stored attempt.
    const marked = await this.store
      .markCall(e.spec.id, this.sharing?.instance ?? null)
      .catch((err: unknown) => {
        this.log(`site ${e.spec.id}: the call could not be noted before it is made (${String(err)})`);
        // Alone, only a restart would read it early; sharing, another instance may take it over: not called.
        return this.sharing === null;
      });
    if (!marked) {
      return {
        ok: false,
        reason: {
          kind: 'misconfigured',
          detail: `the fleet service did not read the ZVM: ${this.sharing?.name ?? 'this instance'} could not note the call in its database, or no longer holds the site's lease`,
        },
      };
    }
    for (let round = 0; round < 2; round++) {
      const creds = await e.creds.get(signal);
      if (!creds.ok) return { ok: false, reason: e.creds.inFleetConfig(creds.reason) };
      const ctx = {
        config: e.config,
        secrets: creds.secrets,
        now: this.clock,
        signal,
        where: 'service' as const,
      };
      if (!e.spec.name && (!e.zvmSite || this.clock() - e.zvmSite.readAt > DAY)) {
        const found = await discoverSite(ctx);
        if (found.ok) e.zvmSite = { name: found.name, readAt: this.clock() };
      }
      const probed = await zvmProbe.transmit(ctx);
      if (e.zvmSite?.name && !probed.site) probed.site = { id: e.spec.id, name: e.zvmSite.name };
      const refused = !probed.outcome.ok && probed.blind && probed.outcome.reason.kind === 'auth';
      if (refused && !probed.outcome.ok && !e.creds.renewable) {
        return { ok: false, reason: e.creds.refusedStatic(probed.outcome.reason) };
      }
      if (refused) e.creds.invalidate();
      if (!refused || creds.fresh) return { ok: true, probed };
    }
    // Unreachable: the second round always has fresh credentials or fails to get them.
    return { ok: false, reason: { kind: 'auth', detail: 'the ZVM refused fresh credentials' } };
  }

  /**
   * An interval after this attempt, give or take the jitter; longer and longer while the ZVM cannot be read.
   * While it can, the pollers' rules (nextCheck, dueAt) bring it forward to the ZVM's deadline, then every
   * minute past it until the ZVM reports the disconnection; and to the start of the last day, so that its
   * webhook goes out on time.
   */
  private nextAttempt(e: Entry, now: number): number {
    const { interval } = e.spec.policy;
    const n = e.runtime.consecutiveFailures;
    const base =
      n > 0
        ? Math.min(interval * 2 ** Math.min(n - 1, 20), Math.max(interval, this.settings.maxBackoffMs))
        : interval;
    let wait = base * (1 + this.settings.jitter * (2 * this.random() - 1));
    const s = e.state;
    if (s && n === 0) {
      wait = nextCheck({ ...s, lastAttemptAt: now }, now, wait);
      if (s.phase === 'warning' && s.deadline !== null && s.deadline - DAY > now) {
        wait = Math.min(wait, s.deadline - DAY - now + 1000);
      }
    }
    return now + Math.max(1000, Math.round(wait));
  }
}

/**
 * What a transition announces: a usage alert (`warning`), the VRAs disconnected, usage through again
 * (`recovered`), the ZVM no longer readable (`cannot-see`). Discovering a healthy site is no news.
 */
export function webhookKind(from: Status | null, to: Status): string | null {
  if (to === 'warning' || to === 'disconnected' || to === 'cannot-see') return to;
  if (to === 'ok' && (from === 'warning' || from === 'disconnected')) return 'recovered';
  return null;
}

function webhookPosts(
  hooks: FleetConfig['webhooks'],
  t: { siteId: string; at: number; from: Status | null; to: Status },
  summary: SiteSummary,
  escalation?: 'last-day',
): Array<{ eventId: string; webhook: string; payload: unknown }> {
  const kind = escalation ?? webhookKind(t.from, t.to);
  if (!kind) return [];
  const eventId = randomUUID();
  const payload = {
    id: eventId,
    type: `site.${kind}`,
    at: new Date(t.at).toISOString(),
    from: t.from,
    to: t.to,
    site: summary,
  };
  return hooks.map((h) => ({ eventId, webhook: h.name, payload }));
}

/** The licence this attempt read (else the one read before), with the likely billing concern it raises. */
function licenceOf(
  probed: ProbeResult | null,
  now: number,
  before: Runtime['licence'],
): Pick<Runtime, 'licence'> {
  const u = probed?.usage;
  if (!u) return before ? { licence: before } : {};
  const licence = { type: u.licenseType ?? null, expiry: u.licenseExpiry ?? null };
  return { licence: { ...licence, concern: licenceConcern(licence, now) } };
}

function toSiteConfig(spec: SiteSpec): SiteConfig {
  const parsed = parseSiteConfig({
    siteId: spec.id,
    siteName: spec.name,
    mode: 'zvm',
    zvmUrl: spec.url,
    policy: spec.policy,
    timeoutMs: spec.timeoutMs,
    // The scheduler retries with back-off; an attempt does not retry inside itself.
    retries: 0,
    ...(spec.usageAlertIds ? { usageAlertIds: spec.usageAlertIds } : {}),
    ...(spec.disconnectionAlertIds ? { disconnectionAlertIds: spec.disconnectionAlertIds } : {}),
    ...(spec.alertsDelayMs !== undefined ? { alertsDelayMs: spec.alertsDelayMs } : {}),
  });
  if (!parsed.ok) throw new Error(`site ${spec.id}: ${parsed.error}`);
  return parsed.value;
}

const samePolicy = (a: Policy, b: Policy) =>
  a.interval === b.interval && a.alertAfter === b.alertAfter && a.graceDays === b.graceDays;

/** Alerts that are new or whose resolution changed. */
function changedAlerts(before: readonly Alert[], after: readonly Alert[]): Alert[] {
  const prev = new Map(before.map((a) => [a.id, a]));
  return after.filter((a) => {
    const p = prev.get(a.id);
    return !p || p.resolvedAt !== a.resolvedAt || p.resolution !== a.resolution;
  });
}
