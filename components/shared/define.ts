import { VERSION } from '../../src/version.ts';

/** Which copy registered each tag, shared by every copy of this library on the page (a global registry). */
const KEY = Symbol.for('zerto-billing-banner.registered');
type Registry = { versions: Map<string, string>; warned: boolean };

/**
 * Registers an element, once per page whatever the number of copies of this library on it (a console that
 * embeds its own, and the extension injecting another). When another copy registered the tag first, the
 * page keeps that one and this copy warns once, naming both versions, rather than throwing or saying nothing.
 */
export function define(tag: string, ctor: CustomElementConstructor): void {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  const registry = (g[KEY] ??= { versions: new Map(), warned: false });
  const existing = customElements.get(tag);
  if (!existing) {
    customElements.define(tag, ctor);
    registry.versions.set(tag, VERSION);
    return;
  }
  if (existing === ctor || registry.warned) return;
  registry.warned = true;
  const theirs = registry.versions.get(tag) ?? 'an unknown version';
  console.warn(
    `zerto-billing-banner ${VERSION}: <${tag}> is already registered by another copy (version ${theirs}); that copy is used.`,
  );
}
