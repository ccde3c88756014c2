import type { Db } from '../storage/db.ts';
import { customProbe } from './custom.ts';
import { directProbe, type UsageProvider } from './direct.ts';
import { reachabilityProbe } from './reachability.ts';
import type { CustomProbeFn, Probe, ProbeMode } from './types.ts';
import { zvmProbe } from './zvm.ts';

export * from './types.ts';
export { buildReport, type UsageProvider } from './direct.ts';
export { CLIENT, PROTOCOL_VERSION, type UsageReport } from '../../protocol/usage.ts';

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
