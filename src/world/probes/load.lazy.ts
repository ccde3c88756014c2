// load.ts as the library's browser build has it (scripts/lib-build.ts, `lazyProbes`): each mode's probe is
// a chunk of its own, loaded on the first transmission of that mode. A poller of zvm sites never downloads
// the direct mode's outbox, batches and report schemas, nor the host page's or the reachability probe. Only
// type imports here, so that importing this module (the shared worker does) brings in no probe.
import type { Db } from '../storage/db.ts';
import type { ProbeExtras } from './load.ts';
import type { Probe, ProbeContext, ProbeMode, ProbeResult } from './types.ts';

export type { ProbeExtras };

const LOAD: { [M in ProbeMode]: (db: Db, extras: ProbeExtras) => Promise<Probe> } = {
  zvm: async () => (await import('./zvm.ts')).zvmProbe,
  direct: async (db, extras) => (await import('./direct.ts')).directProbe(db, extras.usageProvider),
  reachability: async () => (await import('./reachability.ts')).reachabilityProbe,
  custom: async (_db, extras) => (await import('./custom.ts')).customProbe(extras.custom),
};

/** The probe of `mode`; its code loads when it first transmits. */
export function probeFor(mode: ProbeMode, db: Db, extras: ProbeExtras = {}): Probe {
  const load = LOAD[mode];
  let probe: Promise<Probe> | undefined;
  return {
    mode,
    async transmit(ctx: ProbeContext): Promise<ProbeResult> {
      // Not kept when the load fails (a chunk that could not be fetched): the next attempt loads it again.
      probe ??= load(db, extras).catch((err: unknown) => {
        probe = undefined;
        throw err;
      });
      return (await probe).transmit(ctx);
    },
  };
}

/** What the poller's sweep of the outbox needs (see `sweepUnwatched`): the direct mode's delivery. */
export const loadSweep = async () => {
  const { deliver, sweepOutbox, usageEndpoint } = await import('./direct.ts');
  return { deliver, sweepOutbox, usageEndpoint };
};
