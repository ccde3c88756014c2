// Minifies the static text of Lit's css`…`, html`…` and svg`…` templates in built code: a minifier leaves
// template text alone, yet it is about a tenth of the banner's gzip size. Only whitespace and CSS comments go;
// the expressions (`${…}`) are copied as they are.
//  - css: comments removed, whitespace runs made one space, spaces beside { } ; , dropped (never beside `:`,
//    where `a :hover` and `a:hover` differ);
//  - html/svg: a whitespace run that holds a line break becomes one space, which renders the same in normal
//    flow (the components use no <pre>, <textarea> or `white-space: pre`).
import type { Plugin } from 'vite';

const TAGS = /\b(css|html|svg)`/g;

/** Index just past the `}` that closes an expression starting at `i` (just after `${`). */
function skipExpression(code: string, i: number): number {
  let depth = 1;
  while (i < code.length) {
    const c = code[i]!;
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
    else if (c === '"' || c === "'") i = skipString(code, i, c) - 1;
    else if (c === '`') i = skipTemplate(code, i + 1) - 1;
    else if (c === '/' && (code[i + 1] === '/' || code[i + 1] === '*')) {
      const end = code.indexOf(code[i + 1] === '/' ? '\n' : '*/', i + 2);
      if (end < 0) break; // an unterminated comment: reported below, never a loop
      i = code[i + 1] === '/' ? end - 1 : end + 1;
    }
    i++;
  }
  throw new Error('minify-templates: unterminated ${ expression');
}

function skipString(code: string, i: number, quote: string): number {
  for (i++; i < code.length; i++) {
    if (code[i] === '\\') i++;
    else if (code[i] === quote) return i + 1;
  }
  throw new Error('minify-templates: unterminated string');
}

/** Index just past the closing backtick of a template whose text starts at `i`. */
function skipTemplate(code: string, i: number): number {
  for (; i < code.length; i++) {
    if (code[i] === '\\') i++;
    else if (code[i] === '`') return i + 1;
    else if (code[i] === '$' && code[i + 1] === '{') i = skipExpression(code, i + 2) - 1;
  }
  throw new Error('minify-templates: unterminated template');
}

export function minifyCss(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/ ?([{};,]) ?/g, '$1');
}

export const minifyHtml = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

/** Rewrites every tagged template of `code`; text between templates is copied unchanged. */
export function minifyTemplates(code: string): string {
  let out = '';
  let last = 0;
  TAGS.lastIndex = 0;
  for (let m = TAGS.exec(code); m; m = TAGS.exec(code)) {
    const tag = m[1]!;
    let i = m.index + m[0].length;
    out += code.slice(last, i);
    let text = '';
    let first = true;
    const flush = (last: boolean) => {
      let min = tag === 'css' ? minifyCss(text) : minifyHtml(text);
      // The ends of a CSS template can go; beside an expression a space may separate two tokens, so it stays.
      if (tag === 'css' && first) min = min.trimStart();
      if (tag === 'css' && last) min = min.trimEnd();
      out += min;
      text = '';
      first = false;
    };
    for (; ; i++) {
      if (i >= code.length) throw new Error('minify-templates: unterminated template');
      const c = code[i]!;
      if (c === '\\') {
        text += c + code[i + 1];
        i++;
      } else if (c === '`') {
        flush(true);
        out += '`';
        i++;
        break;
      } else if (c === '$' && code[i + 1] === '{') {
        flush(false);
        const end = skipExpression(code, i + 2);
        // Templates nested in the expression are minified too.
        out += '${' + minifyTemplates(code.slice(i + 2, end - 1)) + '}';
        i = end - 1;
      } else text += c;
    }
    last = i;
    TAGS.lastIndex = i;
  }
  return out + code.slice(last);
}

/** Applies `minifyTemplates` to the components' TypeScript sources in a build. */
export function minifyLitTemplates(): Plugin {
  return {
    name: 'zbb-minify-lit-templates',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      if (!/\/components\/.*\.ts$/.test(id) || !/\b(css|html|svg)`/.test(code)) return null;
      return { code: minifyTemplates(code), map: null };
    },
  };
}
