// Each element's public API, read from custom-elements.json: what the demo's controls and Docs tab show and
// what scripts/docs.ts writes into the README. Pure data (no DOM, no file system), so both can use it.

export interface ManifestAttribute {
  name: string;
  type?: { text: string };
  default?: string;
  description?: string;
  fieldName?: string;
}
export interface ManifestMember {
  kind: string;
  name: string;
  privacy?: string;
  static?: boolean;
  readonly?: boolean;
  type?: { text: string };
  description?: string;
}
export interface ManifestDeclaration {
  kind?: string;
  name?: string;
  tagName?: string;
  customElement?: boolean;
  summary?: string;
  description?: string;
  attributes?: ManifestAttribute[];
  members?: ManifestMember[];
  events?: Array<{ name: string; type?: { text: string }; description?: string }>;
  cssParts?: Array<{ name: string; description?: string }>;
  cssProperties?: Array<{ name: string; default?: string; syntax?: string; description?: string }>;
}
export interface Manifest {
  modules: Array<{ path?: string; declarations?: ManifestDeclaration[] }>;
}

export interface ElementDoc {
  tagName: string;
  className: string;
  summary: string;
  attributes: Array<{ name: string; type: string; default: string; description: string; fieldName?: string }>;
  /** Public fields and methods that no attribute reflects: set from script. */
  properties: Array<{
    name: string;
    kind: 'field' | 'method';
    type: string;
    readonly: boolean;
    description: string;
  }>;
  events: Array<{ name: string; description: string }>;
  cssParts: Array<{ name: string; description: string }>;
  cssProperties: Array<{ name: string; default: string; description: string }>;
}

const text = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

/** Every element the manifest declares a tag for: the banner first, then by tag name. */
export function elementDocs(manifest: Manifest): ElementDoc[] {
  const decls = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.tagName);
  const docs = decls.map((d): ElementDoc => {
    const attributes = (d.attributes ?? []).map((a) => ({
      name: a.name,
      type: text(a.type?.text) || 'string',
      default: text(a.default),
      description: text(a.description),
      ...(a.fieldName ? { fieldName: a.fieldName } : {}),
    }));
    const reflected = new Set(attributes.map((a) => a.fieldName));
    const properties = (d.members ?? [])
      .filter(
        (m) =>
          (m.kind === 'field' || m.kind === 'method') &&
          !m.static &&
          (m.privacy === undefined || m.privacy === 'public') &&
          !m.name.startsWith('_') &&
          !reflected.has(m.name),
      )
      .map((m) => ({
        name: m.name,
        kind: m.kind as 'field' | 'method',
        type: text(m.type?.text),
        readonly: m.readonly === true,
        description: text(m.description),
      }));
    return {
      tagName: d.tagName!,
      className: d.name ?? '',
      summary: text(d.summary ?? d.description),
      attributes,
      properties,
      events: (d.events ?? []).map((e) => ({ name: e.name, description: text(e.description) })),
      cssParts: (d.cssParts ?? []).map((p) => ({ name: p.name, description: text(p.description) })),
      cssProperties: (d.cssProperties ?? []).map((p) => ({
        name: p.name,
        default: text(p.default),
        description: text(p.description),
      })),
    };
  });
  return docs.sort((a, b) =>
    a.tagName === 'zerto-billing-banner'
      ? -1
      : b.tagName === 'zerto-billing-banner'
        ? 1
        : a.tagName.localeCompare(b.tagName),
  );
}

/** The values an attribute takes when its type is a union of string literals (`'light' | 'dark'`). */
export function attributeOptions(type: string): string[] {
  return [...type.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}
