/**
 * GET /metrics in the Prometheus text format (prom-client): per site its name (an info metric), status,
 * deadline, last success, last attempt, attempts by result and how long it has not been seen; the service's
 * own health (process metrics, storage failures, reloads, webhook deliveries). Site gauges are rebuilt from the
 * fleet at each scrape, so a site removed from the config disappears from the metrics too. Held to
 * `promtool check metrics` (test/node/fleet/prometheus.test.ts); alerting rules in docs/prometheus/.
 */
import { subscribe } from 'node:diagnostics_channel';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { PHASES } from '../src/core/index.ts';
import type { AttemptOutcome, Fleet } from './fleet.ts';
import type { Store } from './store.ts';
import { DELIVERIES } from './webhooks.ts';

const STATUSES = [...PHASES, 'cannot-see'] as const;
const RESULTS = ['passed', 'failed', 'cannot-see'] as const satisfies ReadonlyArray<AttemptOutcome['result']>;
const PREFIX = 'zerto_fleet_';
/**
 * prom-client's default metrics include three gauges named like counters (`nodejs_active_handles_total`,
 * `…_requests_total`, `…_resources_total`: the sums of `nodejs_active_handles{type}` and the like), which
 * `promtool check metrics` refuses. They go; sum the typed gauges instead.
 */
const MISNAMED_DEFAULTS = ['handles', 'requests', 'resources'].map(
  (k) => `${PREFIX}nodejs_active_${k}_total`,
);

export function createMetrics(fleet: Fleet, store?: Store): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  const ts = (iso: string | null) => (iso === null ? null : Date.parse(iso) / 1000);

  new Gauge({
    name: 'zerto_fleet_site_info',
    help: 'A site of the config (always 1): its name and its ZVM (host and port), to join on `site`',
    labelNames: ['site', 'name', 'zvm'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) this.set({ site: s.id, name: s.name, zvm: hostOf(s.url) }, 1);
    },
  });

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
    name: 'zerto_fleet_site_deadline_timestamp_seconds',
    help: "When the ZVM stops (or stopped) communicating with its VRAs, Unix time on this service's clock (only for a site with an open billing alert)",
    labelNames: ['site'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of fleet.summaries()) {
        const t = ts(s.deadline);
        if (t !== null) this.set({ site: s.id }, t);
      }
    },
  });
  new Gauge({
    name: 'zerto_fleet_site_seconds_left',
    help: 'Deprecated, use zerto_fleet_site_deadline_timestamp_seconds - time(): seconds until the ZVM stops communicating with its VRAs (only for a site with an open billing alert)',
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
  // Attempts by site and result, from the fleet's events (this instance's attempts only: sharing a server, each
  // instance counts its own, and the sum over instances is the fleet's).
  const attempts = new Map<string, Record<AttemptOutcome['result'], number>>();
  fleet.on('attempt', ({ siteId, result }) => {
    const counts = attempts.get(siteId) ?? { passed: 0, failed: 0, 'cannot-see': 0 };
    counts[result]++;
    attempts.set(siteId, counts);
  });
  new Counter({
    name: 'zerto_fleet_attempts_total',
    help: 'Attempts this instance made since start, by site and result: passed (usage sent), failed (the ZVM could not send usage), cannot-see (the ZVM could not be read)',
    labelNames: ['site', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const site of fleet.ids()) {
        for (const result of RESULTS) this.inc({ site, result }, attempts.get(site)?.[result] ?? 0);
      }
    },
  });
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
  // Webhook deliveries by webhook and result, as WebhookSender publishes them.
  const deliveries = new Map<string, { delivered: number; failed: number }>();
  subscribe(DELIVERIES.name, (m) => {
    const { webhook, ok } = m as { webhook: string; ok: boolean };
    const counts = deliveries.get(webhook) ?? { delivered: 0, failed: 0 };
    counts[ok ? 'delivered' : 'failed']++;
    deliveries.set(webhook, counts);
  });
  new Counter({
    name: 'zerto_fleet_webhook_deliveries_total',
    help: 'Webhook posts this instance tried since start, by webhook and result: delivered (a 2xx), failed (another status, no answer, no connection; retried later)',
    labelNames: ['webhook', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [webhook, counts] of deliveries) {
        this.inc({ webhook, result: 'delivered' }, counts.delivered);
        this.inc({ webhook, result: 'failed' }, counts.failed);
      }
    },
  });
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

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
