import type { AlertKind } from './kinds.ts';

/**
 * What the operator reads, as data first (so that a console can translate or restyle it) and then in
 * English, after the vendor's own wording of the Automated Billing alerts.
 */
export type Remaining = { unit: 'days' | 'hours'; value: number };

export type Message =
  | { key: 'usage-not-sent'; siteName: string; remaining: Remaining }
  | { key: 'vra-disconnected'; siteName: string }
  | { key: 'recovered'; siteName: string };

export function formatRemaining(r: Remaining): string {
  const unit = r.unit === 'days' ? (r.value === 1 ? 'day' : 'days') : r.value === 1 ? 'hour' : 'hours';
  return `${r.value} ${unit}`;
}

const managerName = (siteName: string): string =>
  siteName ? `Zerto Virtual Manager of site ${siteName}` : 'Zerto Virtual Manager';

export function messageText(m: Message): string {
  switch (m.key) {
    case 'usage-not-sent':
      return (
        `${managerName(m.siteName)} did not send site usage information for billing purposes to Zerto servers. ` +
        `If this is not resolved within ${formatRemaining(m.remaining)}, ` +
        `Zerto Virtual Manager will stop communicating with its VRAs.`
      );
    case 'vra-disconnected':
      return (
        `${managerName(m.siteName)} did not send site usage information for billing purposes to Zerto servers ` +
        `and has stopped communicating with its VRAs. ` +
        `It will not communicate with them until this issue is resolved.`
      );
    case 'recovered':
      return `Usage information for billing reached Zerto servers again. ${managerName(m.siteName)} communicates with its VRAs.`;
  }
}

/** The description stored with an alert when it turns on (the Monitoring > Alerts text). */
export function alertDescription(kind: AlertKind, siteName: string, graceDays: number): string {
  if (kind === 'vra-disconnected') return messageText({ key: 'vra-disconnected', siteName });
  const remaining: Remaining =
    graceDays >= 1
      ? { unit: 'days', value: Math.ceil(graceDays) }
      : { unit: 'hours', value: Math.ceil(graceDays * 24) };
  return messageText({ key: 'usage-not-sent', siteName, remaining });
}

/** The `HelpIdentifier` of each billing alert in the ZVM alert shape (Monitoring > Alerts). */
export const HELP_IDENTIFIERS: Readonly<Record<AlertKind, string>> = Object.freeze({
  'usage-not-sent': 'BIL0001',
  'vra-disconnected': 'BIL0002',
});
