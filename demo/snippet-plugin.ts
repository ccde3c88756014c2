// Gives the demo page the README's embedding block at build time (`import snippet from 'virtual:zbb-embed-snippet'`),
// so that the page carries that block, not the whole README. Used by demo/vite.config.ts and the demo server.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { embedSnippet } from './snippet.ts';

const ID = 'virtual:zbb-embed-snippet';
const README = resolve(import.meta.dirname, '../README.md');

export function embedSnippetPlugin(): Plugin {
  return {
    name: 'zbb-embed-snippet',
    resolveId: (id) => (id === ID ? `\0${ID}` : undefined),
    load(id) {
      if (id !== `\0${ID}`) return undefined;
      this.addWatchFile(README);
      let readme = '';
      try {
        readme = readFileSync(README, 'utf8');
      } catch {
        // No README: the page says the block is missing.
      }
      return `export default ${JSON.stringify(embedSnippet(readme))};`;
    },
  };
}
