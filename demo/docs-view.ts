// The Docs tab: one element's API as custom-elements.json declares it (attributes, properties, events, CSS
// parts, CSS custom properties). Rendered by Lit, so every text from the manifest is escaped.
import { html, nothing, type TemplateResult } from 'lit';
import type { ElementDoc } from './manifest.ts';

function table<T>(
  id: string,
  title: string,
  headers: string[],
  rows: T[],
  cells: (row: T) => Array<TemplateResult | string>,
): TemplateResult | typeof nothing {
  if (rows.length === 0) return nothing;
  return html`<section class="doc-section" aria-labelledby=${id}>
    <h3 id=${id}>${title}</h3>
    <div class="table-scroll">
      <table aria-labelledby=${id}>
        <thead>
          <tr>
            ${headers.map((h) => html`<th scope="col">${h}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                ${cells(r).map((c, i) =>
                  i === 0
                    ? html`<th scope="row">${c}</th>`
                    : html`<td data-label=${headers[i]!} class=${c === '' ? 'empty' : ''}>${c}</td>`,
                )}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

const code = (s: string) => (s ? html`<code>${s}</code>` : '');

export function docsView(
  docs: ElementDoc[],
  tag: string,
  select: (tag: string) => void,
  missing: string,
): TemplateResult {
  const doc = docs.find((d) => d.tagName === tag) ?? docs[0];
  if (!doc) return html`<p>${missing}</p>`;
  const t = doc.tagName;
  return html`<div class="docs-head">
      <h2 id="docs-title"><code>&lt;${t}&gt;</code></h2>
      <label class="docs-pick"
        >Element
        <select @change=${(e: Event) => select((e.target as HTMLSelectElement).value)}>
          ${docs.map((d) => html`<option value=${d.tagName} ?selected=${d.tagName === t}>${d.tagName}</option>`)}
        </select></label
      >
    </div>
    <p class="summary">${doc.summary}</p>
    <p class="hint">Generated from custom-elements.json (the elements' own header comments).</p>
    ${table(
      `${t}-attributes`,
      'Attributes',
      ['attribute', 'type', 'default', 'description'],
      doc.attributes,
      (a) => [code(a.name), code(a.type), code(a.default), a.description],
    )}
    ${table(
      `${t}-properties`,
      'Properties and methods',
      ['name', 'type', 'description'],
      doc.properties,
      (p) => [
        code(`${p.name}${p.kind === 'method' ? '()' : ''}`),
        code(p.type),
        `${p.readonly ? '(read-only) ' : ''}${p.description}`,
      ],
    )}
    ${table(`${t}-events`, 'Events', ['event', 'description'], doc.events, (e) => [code(e.name), e.description])}
    ${table(`${t}-parts`, 'CSS parts', ['part', 'description'], doc.cssParts, (p) => [
      code(`::part(${p.name})`),
      p.description,
    ])}
    ${table(
      `${t}-cssprops`,
      'CSS custom properties',
      ['property', 'default', 'description'],
      doc.cssProperties,
      (p) => [code(p.name), code(p.default), p.description],
    )}`;
}
