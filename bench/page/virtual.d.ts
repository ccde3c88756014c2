// The manual-billing export is reached through this virtual module (bench/browser.ts resolves it), so that
// the bench builds and type-checks whether src/world/export-usage.ts exists yet or not.
declare module 'virtual:zbb-bench-export' {
  /** The module src/world/export-usage.ts when it exists, else null. */
  export const exportModule: Record<string, unknown> | null;
}
