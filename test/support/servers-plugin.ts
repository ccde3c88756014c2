// A test-runner plugin that starts real reference servers on loopback for the browser tests that ask,
// one set per test file (so that faults set by one file never reach another), and stops them after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBillingServer, type BillingServer, type Fault } from '../../servers/billing/server.ts';
import { startZvmSim, type ZvmSim, type ZvmSimOptions } from '../../servers/zvm/server.ts';

interface ServerSet {
  billing: BillingServer;
  zvm: ZvmSim | null;
  dataDir: string;
}

export interface StartPayload {
  zvm?: Partial<Omit<ZvmSimOptions, 'billingUrl' | 'allowOrigins'>>;
  /** Restart the billing server on the same data folder (durability tests). */
  restartOf?: string;
}

const sets = new Map<string, ServerSet>();
let next = 0;

export function serversPlugin(origins: () => string[]) {
  return {
    name: 'reference-servers',
    async executeCommand({ command, payload }: { command: string; payload?: unknown }): Promise<unknown> {
      if (!command.startsWith('servers:')) return undefined;
      const p = (payload ?? {}) as Record<string, unknown>;
      const set = typeof p.id === 'string' ? sets.get(p.id) : undefined;
      switch (command) {
        case 'servers:start': {
          const opts = p as StartPayload;
          const dataDir = await mkdtemp(join(tmpdir(), 'zbb-billing-'));
          const billing = await startBillingServer({
            port: 0,
            dataDir,
            allowOrigins: origins(),
            quiet: true,
          });
          const zvm = opts.zvm
            ? await startZvmSim({
                port: 0,
                billingUrl: billing.url,
                allowOrigins: origins(),
                quiet: true,
                ...opts.zvm,
              })
            : null;
          const id = `set-${++next}`;
          sets.set(id, { billing, zvm, dataDir });
          return { id, billingUrl: billing.url, zvmUrl: zvm?.url ?? null };
        }
        case 'servers:fault':
          set?.billing.setFault(p.fault as Fault);
          return true;
        case 'servers:stats':
          return set?.billing.stats() ?? null;
        case 'servers:restart-billing': {
          if (!set) return null;
          const port = set.billing.port;
          await set.billing.close();
          set.billing = await startBillingServer({
            port,
            dataDir: set.dataDir,
            allowOrigins: origins(),
            quiet: true,
          });
          return true;
        }
        case 'servers:advance':
          await set?.zvm?.advance(Number(p.ms));
          return set?.zvm?.state() ?? null;
        case 'servers:stop': {
          if (!set) return false;
          await Promise.all([set.billing.close(), set.zvm?.close()]);
          await rm(set.dataDir, { recursive: true, force: true });
          sets.delete(p.id as string);
          return true;
        }
      }
      return undefined;
    },
    async serverStop() {
      for (const id of [...sets.keys()]) {
        const s = sets.get(id)!;
        await Promise.all([s.billing.close(), s.zvm?.close()]).catch(() => {});
        await rm(s.dataDir, { recursive: true, force: true });
      }
      sets.clear();
    },
  };
}
