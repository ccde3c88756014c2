import {
  AlertSchema,
  GraceStateSchema,
  SiteSchema,
  type Alert,
  type GraceState,
  type Site,
} from './schemas.ts';
import { parseWith, type Parsed } from './validation.ts';

/** Reads a stored or received grace state; anything of the wrong shape is refused with a message. */
export function parseGraceState(input: unknown): Parsed<GraceState> {
  const parsed = parseWith(GraceStateSchema, 'state', input);
  if (!parsed.ok) return parsed;
  const s = parsed.value;
  // Shape is not enough: a state must also be coherent, or it could show a wrong countdown.
  const alerting = s.phase === 'warning' || s.phase === 'disconnected';
  if (alerting && (s.firstAlertAt === null || s.deadline === null))
    return { ok: false, error: `state: phase ${s.phase} needs firstAlertAt and deadline` };
  if (s.deadline !== null && s.firstAlertAt !== null && s.deadline < s.firstAlertAt)
    return { ok: false, error: 'state.deadline: must not be before firstAlertAt' };
  return parsed;
}

export function parseSite(input: unknown): Parsed<Site> {
  return parseWith(SiteSchema, 'site', input);
}

export function parseAlert(input: unknown): Parsed<Alert> {
  return parseWith(AlertSchema, 'alert', input);
}
