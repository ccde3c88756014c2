// The billing alerts' help identifiers as settings: no schema library, so that the banner's page-load code
// (the attribute parser) applies the very rule the ZVM contract (./zvm.ts) and the worker's schema apply.

/** Bounds, in code points, on what is kept of a ZVM's strings. */
export const ZVM_LIMITS = {
  id: 200,
  name: 200,
  /** An alert's description, the licence type, a version: shown, never needed whole. */
  text: 1000,
  /** Billing alerts kept with a reading (the rest of a ZVM's alerts are not billing). */
  billingAlerts: 10,
  /** Help identifiers a setting may name, per kind. */
  ids: 20,
} as const;

/**
 * Which help identifiers are which billing alert. Not published by Zerto: the defaults are the best public
 * evidence (a third-party catalogue, entity Licensing): the Warning-level ones are the usage alert, the
 * Error-level ones the disconnection alert. Settings everywhere (element, extension, fleet).
 */
export interface BillingAlertIds {
  usage: readonly string[];
  disconnection: readonly string[];
}
export const DEFAULT_BILLING_ALERT_IDS: BillingAlertIds = Object.freeze({
  usage: Object.freeze(['LIC0012', 'LIC0021']),
  disconnection: Object.freeze(['LIC0013', 'LIC0022']),
});

/** A help identifier as a setting takes it: letters, digits, `_`, `-`, `.`, 1 to 40 of them. */
export const HELP_ID_PATTERN = /^[A-Za-z0-9_.-]{1,40}$/;

/**
 * Help identifiers from a setting's text (`"LIC0012 LIC0021"`, commas or spaces), upper-cased; an error names
 * the one that is not an identifier.
 */
export function parseHelpIds(text: string): { ok: true; ids: string[] } | { ok: false; error: string } {
  const ids = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => s.toUpperCase());
  const bad = ids.find((s) => !HELP_ID_PATTERN.test(s));
  if (bad !== undefined)
    return {
      ok: false,
      error: `"${bad.slice(0, 40)}" is not a help identifier (letters, digits, "_", "-" or ".", up to 40)`,
    };
  if (ids.length > ZVM_LIMITS.ids) return { ok: false, error: `at most ${ZVM_LIMITS.ids} identifiers` };
  return { ok: true, ids: [...new Set(ids)] };
}
