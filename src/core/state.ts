import { incoherence } from './coherence.ts';
import { incoherenceText } from './coherence-words.ts';
import {
  AlertSchema,
  GraceStateSchema,
  SiteSchema,
  type Alert,
  type GraceState,
  type Site,
} from './schemas.ts';
import { parseWith, type Parsed } from './validation.ts';

/**
 * Reads a stored or received grace state; anything of the wrong shape, or of the right shape but incoherent
 * (a record that could buy grace or hide an alert), is refused with a message.
 */
export function parseGraceState(input: unknown): Parsed<GraceState> {
  const parsed = parseWith(GraceStateSchema, 'state', input);
  if (!parsed.ok) return parsed;
  const error = incoherence(parsed.value);
  return error ? { ok: false, error: `state.${incoherenceText(error, parsed.value)}` } : parsed;
}

export function parseSite(input: unknown): Parsed<Site> {
  return parseWith(SiteSchema, 'site', input);
}

export function parseAlert(input: unknown): Parsed<Alert> {
  return parseWith(AlertSchema, 'alert', input);
}
