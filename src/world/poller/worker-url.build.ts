// Used instead of worker-url.ts by the library build (see scripts/build.ts).
import url from './shared-worker.ts?worker&url';

export function workerUrl(): string {
  return url;
}
