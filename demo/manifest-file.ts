// Reads custom-elements.json for the demo server, the demo build and scripts/docs.ts (Node only).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Manifest } from './manifest.ts';

const root = resolve(import.meta.dirname, '..');
export const MANIFEST_FILE = resolve(root, 'custom-elements.json');

/**
 * Which class each tag is registered with, from the `define('tag', Class)` calls in components/. The analyzer
 * records a tag only where it sees `customElements.define` with a literal name; the library registers through
 * a shared `define()` helper (components/shared/define.ts), so the manifest's declarations carry no tagName.
 */
export function definedTags(dir = resolve(root, 'components')): Map<string, string> {
  const tags = new Map<string, string>();
  for (const file of readdirSync(dir, { recursive: true }).map(String)) {
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(join(dir, file), 'utf8');
    for (const m of source.matchAll(
      /\bdefine\(\s*['"]([a-z][a-z0-9]*-[a-z0-9-]*)['"]\s*,\s*([A-Za-z_$][\w$]*)\s*\)/g,
    ))
      tags.set(m[2]!, m[1]!);
  }
  return tags;
}

/** custom-elements.json with every registered class's tagName filled in, or null when it was not generated. */
export function readManifest(file = MANIFEST_FILE): Manifest | null {
  if (!existsSync(file)) return null;
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  const tags = definedTags();
  for (const m of manifest.modules)
    for (const d of m.declarations ?? [])
      if (d.kind === 'class' && !d.tagName && d.name && tags.has(d.name)) d.tagName = tags.get(d.name);
  return manifest;
}
