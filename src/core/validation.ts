import type { z } from 'zod/mini';

/** The result of reading something from outside: a value, or a message a person can act on. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Turns zod issues into one sentence naming each bad field, e.g.
 * `policy.graceDays: must be a number of days between 0 and 365 (got -1)`.
 */
export function describeIssues(label: string, issues: readonly z.core.$ZodIssue[], input?: unknown): string {
  return issues
    .map((issue) => {
      const path = [label, ...issue.path.map(String)].filter(Boolean).join('.');
      const got = valueAt(input, issue.path);
      const shown = got === undefined ? '' : ` (got ${preview(got)})`;
      return `${path}: ${issue.message}${shown}`;
    })
    .join('; ');
}

export function parseWith<S extends z.core.$ZodType>(
  schema: S,
  label: string,
  input: unknown,
): Parsed<z.core.output<S>> {
  const result = (schema as unknown as z.ZodMiniType).safeParse(input);
  if (result.success) return { ok: true, value: result.data as z.core.output<S> };
  return { ok: false, error: describeIssues(label, result.error.issues, input) };
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function preview(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return typeof value;
}
