/**
 * GET /metrics in the Prometheus text format (prom-client): per site its status, time left, last success,
 * last attempt and how long it has not been seen; the service's own health (process metrics, attempts,
 * storage failures, reloads). Site gauges are rebuilt from the fleet at each scrape, so a site removed
 * from the config disappears from the metrics too.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { PHASES } from '../src/core/index.ts';
import type { Fleet } from './fleet.ts';
import type { Store } from './store.ts';

const STATUSES = [...PHASES, 'cannot-see'] as const;
const RESULTS = ['passed', 'failed', 'cannot-see'] as const;

export function createMetrics(fleet: Fleet, store?: Store): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'zerto_fleet_' });
  const ts = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);

  new Gauge({
    name: 'zerto_fleet_site_status',
    help: 'The site status (1 for the current one): ok, warning, disconnected, unknown, or cannot-see when the ZVM cannot be read',
    labelNames: ['site', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) {
        for (const status of STATUSES) this.set({ site: s.id, status }, s.status === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_phase',
    help: 'The billing phase last known from the ZVM (1 for the current one), also while it cannot be read',
    labelNames: ['site', 'phase'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) {
        for (const phase of PHASES) this.set({ site: s.id, phase }, s.phase === phase ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_seconds_left',
    help: 'Seconds until the ZVM stops communicating with its VRAs (only for a site with an open billing alert)',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) if (s.secondsLeft !== null) this.set({ site: s.id }, s.secondsLeft);
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_last_success_timestamp_seconds',
    help: 'When usage last reached the billing server through the ZVM (sendUsage Passed), Unix time',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) {
        const t = ts(s.lastSuccessAt);
        if (t !== null) this.set({ site: s.id }, t);
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_last_attempt_timestamp_seconds',
    help: 'When the ZVM was last attempted, Unix time',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) {
        const t = ts(s.lastAttemptAt);
        if (t !== null) this.set({ site: s.id }, t);
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_last_attempt_result',
    help: 'The result of the last attempt (1 for it): passed, failed (the ZVM could not send usage), cannot-see',
    labelNames: ['site', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) {
        if (s.lastResult === null) continue;
        for (const result of RESULTS) this.set({ site: s.id, result }, s.lastResult === result ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_cannot_see_seconds',
    help: 'How long the ZVM has not been readable (0 while it is)',
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const s of fleet.summaries()) {
        const since = ts(s.cannotSee?.since ?? null);
        this.set({ site: s.id }, since === null ? 0 : Math.max(0, Math.floor(now / 1000 - since)));
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_sites',
    help: 'Sites configured',
    registers: [registry],
    collect() {
      this.set(fleet.stats.sites);
    },
  });
  new Gauge({
    name: 'zerto_fleet_attempts_in_flight',
    help: 'ZVM attempts under way',
    registers: [registry],
    collect() {
      this.set(fleet.stats.inFlight);
    },
  });
  const counter = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read();
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
  new Gauge({
    name: 'zerto_fleet_sites_read_here',
    help: 'Sites this instance reads (all of them alone; those it holds the lease of, sharing a PostgreSQL server)',
    registers: [registry],
    collect() {
      this.set(fleet.stats.owned);
    },
  });
  new Gauge({
    name: 'zerto_fleet_instances',
    help: 'Live instances of the fleet service sharing its database (1 alone)',
    registers: [registry],
    collect() {
      this.set(fleet.stats.instances);
    },
  });
  counter(
    'zerto_fleet_clock_steps_total',
    'Times the wall clock was seen set forward or back by 30 s or more (the schedule moved with it)',
    () => fleet.stats.clockSteps,
  );
  counter('zerto_fleet_attempts_total', 'Attempts made since start', () => fleet.stats.attempts);
  counter(
    'zerto_fleet_store_failures_total',
    'Attempts whose result could not be written to the database',
    () => fleet.stats.persistFailures,
  );
  counter(
    'zerto_fleet_config_reloads_total',
    'Config reloads (SIGHUP) since start',
    () => fleet.stats.reloads,
  );
  if (store) {
    new Gauge({
      name: 'zerto_fleet_webhook_backlog',
      help: 'Webhook posts not yet delivered (in the durable outbox)',
      registers: [registry],
      async collect() {
        this.set(await store.webhookBacklog());
      },
    });
  }
  return registry;
}
