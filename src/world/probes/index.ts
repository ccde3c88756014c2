export * from './types.ts';
export { probeFor, type ProbeExtras } from './load.ts';
export { buildReport, type UsageProvider } from './direct.ts';
export { CLIENT, PROTOCOL_VERSION, type UsageReport } from '../../protocol/usage.ts';
