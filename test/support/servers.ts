// Browser-side handle on the real reference servers started for this test file (see servers-plugin.ts).
import { executeServerCommand } from '@web/test-runner-commands';

export type FaultMode =
  'none' | 'error' | 'hang' | 'reset' | 'slow' | 'malformed' | 'html' | 'wrong-shape' | 'oversized';

export interface Servers {
  billingUrl: string;
  zvmUrl: string;
  fault(mode: FaultMode, extra?: { status?: number; delayMs?: number }): Promise<void>;
  stats(): Promise<{ received: number; accepted: number; duplicates: number; rejected: number }>;
  reports(): Promise<Array<{ reportId: string; site: { id: string } }>>;
  restartBilling(): Promise<void>;
  advanceZvm(ms: number): Promise<unknown>;
  /** Starts the fleet service watching this set's ZVM as site `siteId`; its URL and a read-only key. */
  fleet(siteId: string, policy?: Record<string, number>): Promise<{ url: string; key: string }>;
  /**
   * What the simulator enforces (see servers-plugin.ts `zvmState`), with its active alerts as it lists them
   * (keys in camelCase whatever its dialect).
   */
  zvmState(): Promise<{
    alerts: Array<{ turnedOn: string; helpIdentifier: string }>;
    nowMs: number;
    deadlineMs: number | null;
  }>;
  stop(): Promise<void>;
}

export async function startServers(
  opts: { zvm?: Record<string, unknown>; zvmSkewMs?: number } = {},
): Promise<Servers> {
  const r = await executeServerCommand<{ id: string; billingUrl: string; zvmUrl: string | null }, unknown>(
    'servers:start',
    opts,
  );
  const id = r.id;
  return {
    billingUrl: r.billingUrl,
    zvmUrl: r.zvmUrl ?? '',
    fault: async (mode, extra = {}) => {
      await executeServerCommand('servers:fault', { id, fault: { mode, ...extra } });
    },
    stats: () => executeServerCommand('servers:stats', { id }),
    reports: async () => {
      // The listing comes in pages: follow `next` to the end.
      type Page = { reports: Array<{ reportId: string; site: { id: string } }>; next: string | null };
      const all: Page['reports'] = [];
      let next: string | null = '';
      while (next !== null) {
        const res = await fetch(`${r.billingUrl}/v1/usage?limit=1000&cursor=${encodeURIComponent(next)}`);
        const page = (await res.json()) as Page;
        all.push(...page.reports);
        next = page.next;
      }
      return all;
    },
    restartBilling: async () => {
      await executeServerCommand('servers:restart-billing', { id });
    },
    advanceZvm: (ms) => executeServerCommand('servers:advance', { id, ms }),
    fleet: (siteId, policy) => executeServerCommand('servers:fleet', { id, siteId, policy }),
    zvmState: () => executeServerCommand('servers:zvm-state', { id }),
    stop: async () => {
      await executeServerCommand('servers:stop', { id });
    },
  };
}
