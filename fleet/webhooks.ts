/**
 * Delivers the webhook outbox: each transition's JSON post, signed with HMAC-SHA256 of
 * `${timestamp}.${body}` under the webhook's secret (`X-Zerto-Fleet-Signature: t=…,v1=<hex>`), retried with
 * growing waits until the receiver answers 2xx. At least once: a receiver de-duplicates by the event id
 * (`X-Zerto-Fleet-Event-Id`, and `id` in the body). The outbox is in the database, so a restart resumes it.
 */
import { createHmac } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import type { Webhook } from './config.ts';
import type { Store } from './store.ts';

const BATCH = 20;
const MAX_BACKOFF_MS = 10 * 60_000;

/** Each delivery's outcome, `{ webhook, ok }`, published for the metrics (fleet/metrics.ts counts them). */
export const DELIVERIES = channel('zerto-fleet.webhook-delivery');

export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export class WebhookSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
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
    if (!this.running) this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
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
          this.schedule(this.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    const hooks = new Map(this.hooks().map((h) => [h.name, h]));
    if (hooks.size === 0) return;
    // Claimed for as long as the batch can take (each post within the timeout), so that another instance on a
    // shared server does not post them meanwhile.
    for (const row of await this.store.dueWebhooks(Date.now(), BATCH, BATCH * this.timeoutMs + 60_000)) {
      if (this.closed) return;
      const hook = hooks.get(row.webhook);
      const now = Date.now();
      if (!hook) {
        // Removed from the config: kept, and delivered if it comes back.
        await this.store.webhookFailed(
          row.id,
          now + MAX_BACKOFF_MS,
          `no webhook named ${row.webhook} in the config`,
        );
        continue;
      }
      const body = JSON.stringify(row.payload);
      const timestamp = Math.floor(now / 1000);
      let error: string | null = null;
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'zerto-fleet',
            'X-Zerto-Fleet-Event-Id': row.eventId,
            'X-Zerto-Fleet-Signature': `t=${timestamp},v1=${sign(hook.secret, timestamp, body)}`,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.body?.cancel();
        if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
      } catch (e) {
        error =
          (e as Error).name === 'TimeoutError'
            ? `no answer within ${this.timeoutMs} ms`
            : 'could not connect';
      }
      DELIVERIES.publish({ webhook: hook.name, ok: error === null });
      if (error === null) {
        this.delivered++;
        await this.store.webhookDelivered(row.id, Date.now());
      } else {
        this.failures++;
        const wait =
          Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(row.attempts, 20)) * (0.8 + 0.4 * Math.random());
        await this.store.webhookFailed(row.id, Date.now() + Math.round(wait), error);
        this.log(
          `webhook ${hook.name}: ${row.eventId} not delivered (${error}); attempt ${row.attempts + 1}`,
        );
      }
    }
  }
}
