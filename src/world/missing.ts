// Which file of the library is missing, once an import of it failed. The browser names the module it was
// asked to import, not the one of that module's static imports that answered 404: a missing `elements-*.js`
// was blamed on the element's entry that imports it. Loaded only after such a failure, from a chunk of its
// own (the script tags' files load it too), so that the page-load code carries none of it.

/** A file of the library that answered with an error status. */
export class MissingFileError extends Error {
  /** The file's name. */
  readonly file: string;
  /** What the operator reads (what its absence costs follows it). */
  readonly notice: string;

  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`${url} answered HTTP ${status}`);
    this.name = 'MissingFileError';
    this.file = new URL(url).pathname.split('/').pop() ?? url;
    this.notice = `A file of the billing banner is missing on the web server: ${this.file}.`;
  }
}

/** A module's static imports of files beside it (`import … from "./x.js"`, `import "./x.js"`, re-exports). */
const STATIC_IMPORT = /\b(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g;

/**
 * The first file, depth first along the static imports from `url`, that does not answer 200; null when they
 * all do (the import failed for another reason: a CSP, a syntax error). Throws when a file cannot be asked
 * for at all (the network, a CSP's connect-src): that is not evidence of a missing file either.
 */
export async function firstMissing(url: string, seen = new Set<string>()): Promise<MissingFileError | null> {
  if (seen.has(url)) return null;
  seen.add(url);
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) return new MissingFileError(url, r.status);
  for (const [, spec] of (await r.text()).matchAll(STATIC_IMPORT)) {
    const found = await firstMissing(new URL(spec!, url).href, seen);
    if (found) return found;
  }
  return null;
}

/** The error of a failed `import()`, or the missing file that made it fail where one can be found. */
export async function locate(err: unknown): Promise<unknown> {
  if (err instanceof MissingFileError) return err;
  const url = /\bhttps?:\/\/\S+/.exec(err instanceof Error ? err.message : '')?.[0];
  if (!url) return err;
  try {
    return (await firstMissing(url)) ?? err;
  } catch {
    return err;
  }
}
