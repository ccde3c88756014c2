// The custom elements manifest (custom-elements.json): editors, the docs tables and the demo's controls read it.
export default {
  globs: ['components/**/*.ts'],
  exclude: ['components/**/*.styles.ts', 'components/shared/tokens.ts'],
  outdir: '.',
  litelement: true,
  dependencies: false,
  packagejson: false,
};
