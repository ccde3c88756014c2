// The README's embedding block, extracted at build time by demo/snippet-plugin.ts (null without its markers):
// the EmbedSnippet of demo/snippet.ts.
declare module 'virtual:zbb-embed-snippet' {
  const snippet: { code: string } | null;
  export default snippet;
}
