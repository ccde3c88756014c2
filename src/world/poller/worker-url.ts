/**
 * Where the shared poller worker's script is. Unbundled (tests, dev) it is the module beside this one; the
 * library build swaps this file for worker-url.build.ts, which lets Vite emit the worker as its own file.
 */
export function workerUrl(): string {
  return new URL('./shared-worker.ts', import.meta.url).href;
}
