/**
 * A server as a table of routes (method, path, handler). What a path answers to, the 404 for a path no route
 * has, and the 405 with its `Allow` for a method a path does not take all follow from the one table.
 */

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The order methods are listed in `Allow`; OPTIONS (CORS preflight) is answered for every path. */
const METHOD_ORDER: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface Route<H> {
  method: Method | readonly Method[];
  /** An exact path, or one with `:name` segments that each match one non-empty segment (`/v1/usage/:id`). */
  path: string;
  handler: H;
}

export type Match<R> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'wrong-method'; allow: string }
  | { kind: 'not-found' };

interface Compiled<R> {
  route: R;
  methods: readonly string[];
  segments: readonly string[];
}

export class RouteTable<H, R extends Route<H> = Route<H>> {
  private readonly compiled: ReadonlyArray<Compiled<R>>;

  constructor(readonly routes: readonly R[]) {
    this.compiled = routes.map((route) => ({
      route,
      methods: typeof route.method === 'string' ? [route.method] : route.method,
      segments: route.path.split('/'),
    }));
  }

  match(method: string, path: string): Match<R> {
    const segments = path.split('/');
    const allowed = new Set<string>();
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, segments);
      if (!params) continue;
      if (c.methods.includes(method)) return { kind: 'found', route: c.route, params };
      for (const m of c.methods) allowed.add(m);
    }
    if (allowed.size === 0) return { kind: 'not-found' };
    return { kind: 'wrong-method', allow: allowHeader(allowed) };
  }

  /** The paths of the table under a prefix, for a 404 that says where to look. */
  paths(prefix = ''): string[] {
    return [...new Set(this.routes.map((r) => r.path).filter((p) => p.startsWith(prefix)))];
  }
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) {
      if (a === '') return null;
      params[p.slice(1)] = a;
    } else if (p !== a) {
      return null;
    }
  }
  return params;
}

function allowHeader(methods: Set<string>): string {
  const listed = METHOD_ORDER.filter((m) => methods.has(m));
  return [...listed, 'OPTIONS'].join(', ');
}
