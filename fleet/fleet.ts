/**
 * The watcher: every configured ZVM read on its own jittered schedule by the zvm probe, at most
 * `concurrency` at once, each attempt bounded in time, a ZVM that cannot be read retried with growing waits.
 * Each attempt goes through the engine (src/core) exactly as in a browser: the probe's result becomes the
 * engine's event (eventOf, from the page poller), and the new state is written in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createState,
  reduce,
  type Alert,
  type FailureReason,
  type GraceEvent,
  type GraceState,
  type Policy,
} from '../src/core/index.ts';
import { eventOf } from '../src/world/poller/schedule.ts';
import { parseSiteConfig, type ProbeResult, type SiteConfig } from '../src/world/probes/index.ts';
import { zvmProbe } from '../src/world/probes/zvm.ts';
import type { FleetConfig, SiteSpec } from './config.ts';
import { ZvmCredentials, type CredentialInfo } from './credentials.ts';
import { summarize, type SiteSummary, type Status } from './site.ts';
import { EMPTY_RUNTIME, type AttemptRecord, type Runtime, type Store } from './store.ts';

/** How often a ZVM past its deadline is read until it reports its disconnection. */
const OVERDUE_READ_MS = 60_000;

interface Entry {
  spec: SiteSpec;
  config: SiteConfig;
  creds: ZvmCredentials;
  state: GraceState | null;
  runtime: Runtime;
  nextAt: number;
  /** The attempt under way (scheduled or an operator's), so that a site is read by one attempt at a time. */
  running: Promise<void> | null;
  removed: boolean;
}

export interface AttemptOutcome {
  summary: SiteSummary;
  result: 'passed' | 'failed' | 'cannot-see';
  detail: string | null;
}

export interface FleetEvents {
  change: [summary: SiteSummary];
  transition: [t: { siteId: string; from: Status | null; to: Status; at: number; deadline: string | null }];
  /** Webhook posts were queued. */
  outbox: [];
}

export interface FleetStats {
  sites: number;
  inFlight: number;
  attempts: number;
  persistFailures: number;
  reloads: number;
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
  readonly stats: FleetStats = { sites: 0, inFlight: 0, attempts: 0, persistFailures: 0, reloads: 0 };

  constructor(
    private readonly store: Store,
    config: FleetConfig,
    stored: ReadonlyArray<{ id: string; state: GraceState; runtime: Runtime }>,
    private readonly log: (line: string) => void,
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
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
        existing.nextAt = Math.min(existing.nextAt, now + this.spread(spec.policy));
        changed.push(spec.id);
        continue;
      }
      const kept = this.dormant.get(spec.id);
      this.dormant.delete(spec.id);
      this.entries.set(spec.id, {
        spec,
        config: siteConfig,
        creds: new ZvmCredentials(spec.url, spec.auth, spec.timeoutMs, this.clock),
        state: kept?.state ?? null,
        runtime: kept?.runtime ?? { ...EMPTY_RUNTIME },
        nextAt: now + this.spread(spec.policy),
        running: null,
        removed: false,
      });
      added.push(spec.id);
    }
    this.stats.sites = this.entries.size;
    this.kick();
    return { added, removed, changed };
  }

  /** A random start within the spread (or the interval, if shorter): a thousand ZVMs do not all start at once. */
  private spread(policy: Policy): number {
    return Math.floor(this.random() * Math.min(this.settings.startSpreadMs, policy.interval));
  }

  start(): void {
    this.kick();
  }

  /** Stops scheduling and waits (up to `graceMs`) for the attempts under way, which are then cut. */
  async close(graceMs = 5000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const running = [...this.entries.values()].map((e) => e.running).filter((p) => p !== null);
    const cut = setTimeout(() => this.stop.abort(), graceMs);
    await Promise.all(running);
    clearTimeout(cut);
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
    return { summary, view, state: e.state, runtime: e.runtime, credentials, nextAttemptAt: e.nextAt };
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The vendor's action through the ZVM, now, in turn with a scheduled attempt under way. */
  async sendUsage(id: string): Promise<AttemptOutcome | null> {
    const e = this.entries.get(id);
    if (!e) return null;
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
    const due = [...this.entries.values()].filter((e) => !e.running).sort((a, b) => a.nextAt - b.nextAt);
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
    // Four requests (localsite, license, sendUsage, alerts) and a login, each within the timeout.
    const limit = AbortSignal.timeout(spec.timeoutMs * 5 + 1000);
    const signal = AbortSignal.any([limit, this.stop.signal]);
    const result = await this.probe(e, signal);
    const probed: ProbeResult | null = result.ok ? result.probed : null;
    const event: GraceEvent = result.ok
      ? eventOf(e.config, result.probed)
      : { type: 'blind', reason: result.reason };
    const now = this.clock();
    const before = e.state;
    const identity = { id: spec.id, name: spec.name || probed?.site?.name || before?.site.name || spec.id };
    let base = before ?? createState(identity, spec.policy, now, true);
    if (!samePolicy(base.policy, spec.policy) || !base.authority || base.site.name !== identity.name) {
      base = reduce(
        base,
        { type: 'configure', policy: spec.policy, authority: true, siteName: identity.name },
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
    const reason: FailureReason | null =
      event.type === 'blind' ? event.reason : probed && !probed.outcome.ok ? probed.outcome.reason : null;
    const detail = reason ? `${reason.kind}${reason.detail ? `: ${reason.detail}` : ''}`.slice(0, 500) : null;
    const runtime: Runtime = {
      attempts: e.runtime.attempts + 1,
      consecutiveFailures: kind === 'cannot-see' ? e.runtime.consecutiveFailures + 1 : 0,
      lastResult: kind,
      lastResultAt: now,
      lastDetail: detail,
    };
    const prevStatus = before ? summarize(spec, before, e.runtime, now).summary.status : null;
    const { summary } = summarize(spec, after, runtime, now);
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
        },
        changedAlerts(before?.alerts ?? [], after.alerts),
        transition,
        // In the same transaction as the transition: a transition stored is a transition announced.
        transition ? webhookPosts(this.settings.webhooks, transition, summary) : [],
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
      );
    } catch (err) {
      // Not written: the state in memory stays as it was, and the attempt is made again soon.
      this.stats.persistFailures++;
      this.log(`site ${spec.id}: the attempt could not be stored (${String(err)}); retrying`);
      e.nextAt = now + Math.min(spec.policy.interval, 5000);
      return { summary: summarize(spec, before, e.runtime, now).summary, result: kind, detail };
    }
    e.state = after;
    e.runtime = runtime;
    e.nextAt = this.nextAttempt(e, now);
    if (!e.removed) {
      this.emit('change', summary);
      if (transition && this.settings.webhooks.length) this.emit('outbox');
      if (transition) {
        this.log(
          `site ${spec.id}: ${transition.from ?? 'new'} → ${transition.to}${detail ? ` (${detail})` : ''}`,
        );
        this.emit('transition', { ...transition, deadline: summary.deadline });
      }
    }
    return { summary, result: kind, detail };
  }

  /** The probe with this site's current credentials; a cached token the ZVM refuses is renewed once. */
  private async probe(
    e: Entry,
    signal: AbortSignal,
  ): Promise<{ ok: true; probed: ProbeResult } | { ok: false; reason: FailureReason }> {
    for (let round = 0; round < 2; round++) {
      const creds = await e.creds.get(signal);
      if (!creds.ok) return { ok: false, reason: creds.reason };
      const probed = await zvmProbe.transmit({
        config: e.config,
        secrets: creds.secrets,
        now: this.clock,
        signal,
      });
      const refused = !probed.outcome.ok && probed.blind && probed.outcome.reason.kind === 'auth';
      if (refused) e.creds.invalidate();
      if (!refused || creds.fresh) return { ok: true, probed };
    }
    // Unreachable: the second round always has fresh credentials or fails to get them.
    return { ok: false, reason: { kind: 'auth', detail: 'the ZVM refused fresh credentials' } };
  }

  /**
   * An interval after this attempt, give or take the jitter; longer and longer while the ZVM cannot be read;
   * at the ZVM's deadline when it falls sooner, then every minute until the ZVM reports the disconnection.
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
    if (s && s.phase === 'warning' && s.deadline !== null && n === 0) {
      wait = s.deadline > now ? Math.min(wait, s.deadline - now + 1000) : Math.min(wait, OVERDUE_READ_MS);
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
): Array<{ eventId: string; webhook: string; payload: unknown }> {
  const kind = webhookKind(t.from, t.to);
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
