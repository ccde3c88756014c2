// The build's template minifier (scripts/minify-templates.ts): only whitespace and CSS comments go, never
// what a template renders or an expression.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minifyCss, minifyHtml, minifyTemplates } from '../../scripts/minify-templates.ts';

describe('minifyTemplates', () => {
  test('css: drops comments and the whitespace around braces, semicolons and commas, keeps it before a colon', () => {
    const css = [
      'css`',
      '  /* the host */',
      '  :host {',
      '    display: block;',
      '    font: 14px system-ui, sans-serif;',
      '  }',
      '  .bar :hover { color: red }',
      '`',
    ].join('\n');
    assert.equal(
      minifyTemplates(css),
      'css`:host{display: block;font: 14px system-ui,sans-serif;}.bar :hover{color: red}`',
    );
    assert.equal(minifyCss(' a { b: c } '), ' a{b: c}');
  });

  test('html: a whitespace run holding a line break becomes one space; spaces on one line stay', () => {
    assert.equal(minifyHtml('<p>\n    Exported  <b>a</b>\n  </p>'), '<p> Exported  <b>a</b> </p>');
  });

  test('rewrites tagged templates only, and copies expressions, strings and nested templates as they are', () => {
    const src = [
      'const s = `keep\n   this`;',
      'const c = css`\n  a {\n    color: ${x ? "}" : \'{\'};\n  }\n`;',
      'const h = html`<ul>\n  ${items.map((i) => html`<li>\n    ${i}\n  </li>`)}\n</ul>`;',
    ].join('\n');
    const out = minifyTemplates(src);
    assert.ok(out.includes('const s = `keep\n   this`;'), 'an untagged template is left alone');
    assert.ok(out.includes('css`a{color: ${x ? "}" : \'{\'};}`'), out);
    assert.ok(out.includes('html`<ul> ${items.map((i) => html`<li> ${i} </li>`)} </ul>`'), out);
  });

  test('keeps escapes in template text', () => {
    assert.equal(minifyTemplates('html`a\\`b\n  c`'), 'html`a\\`b c`');
  });
});
