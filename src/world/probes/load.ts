// How the poller gets a mode's probe. This file imports every probe: what a service worker (the extension's
// background, where `import()` is not allowed) and Node (the fleet service) run. The library's browser build
// (scripts/lib-build.ts, `lazyProbes`) puts load.lazy.ts in its place, which loads each probe on demand.
import type { Db } from '../storage/db.ts';
import { customProbe } from './custom.ts';
import { deliver, directProbe, sweepOutbox, usageEndpoint, type UsageProvider } from './direct.ts';
import { reachabilityProbe } from './reachability.ts';
import type { CustomProbeFn, Probe, ProbeMode } from './types.ts';
import { zvmProbe } from './zvm.ts';

export interface ProbeExtras {
  custom?: CustomProbeFn;
  usageProvider?: UsageProvider;
}

export function probeFor(mode: ProbeMode, db: Db, extras: ProbeExtras = {}): Probe {
  switch (mode) {
    case 'zvm':
      return zvmProbe;
    case 'direct':
      return directProbe(db, extras.usageProvider);
    case 'reachability':
      return reachabilityProbe;
    case 'custom':
      return customProbe(extras.custom);
  }
}

/** What the poller's sweep of the outbox needs (see `sweepUnwatched`): the direct mode's delivery. */
export const loadSweep = async () => ({ deliver, sweepOutbox, usageEndpoint });
