// The embedding the demo shows is the README's own: the block between the embed-snippet markers, so that what
// a developer copies from the demo is what the README documents (and the files the build produces).

export const SNIPPET_START = '<!-- embed-snippet -->';
export const SNIPPET_END = '<!-- /embed-snippet -->';

export interface EmbedSnippet {
  /** The code to paste: the fenced blocks' contents, one after another (the whole block if it has none). */
  code: string;
}

/** The README's embedding block, or null when README.md has no (well-formed) embed-snippet markers. */
export function embedSnippet(readme: string): EmbedSnippet | null {
  const lines = readme.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === SNIPPET_START);
  const end = lines.findIndex((l, i) => i > start && l.trim() === SNIPPET_END);
  if (start < 0 || end < 0) return null;
  const block = lines.slice(start + 1, end);
  const code: string[] = [];
  let fence: string | null = null;
  let body: string[] = [];
  for (const line of block) {
    const open = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && open) {
      fence = open[1]!;
      body = [];
    } else if (fence !== null && line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') {
      code.push(body.join('\n'));
      fence = null;
    } else if (fence !== null) body.push(line);
  }
  const text = code.length > 0 ? code.join('\n\n') : block.join('\n');
  return text.trim() ? { code: text.replace(/^\n+|\s+$/g, '') } : null;
}

export const MISSING_SNIPPET = `README.md has no embed-snippet block: the embedding shown here is the README's, between the lines ${SNIPPET_START} and ${SNIPPET_END}.`;

/**
 * The embedding with another ZVM in its `zvm-url` (the demo's simulator, wherever npm start put it: the README
 * names the simulator's default address). Only that attribute's origin changes.
 */
export function withZvm(code: string, zvmUrl: string): string {
  const origin = new URL(zvmUrl).origin;
  return code.replace(/(\bzvm-url=")(https?:\/\/[^"/]+)/g, (_, attr: string) => attr + origin);
}
