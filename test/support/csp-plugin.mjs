// Serves test pages under /csp/ with a strict Content-Security-Policy header, as a locked-down console would.
export const STRICT_CSP = "default-src 'self'; require-trusted-types-for 'script'";

export function cspPlugin() {
  return {
    name: 'csp-pages',
    transform(context) {
      if (context.path.startsWith('/test/fixtures/csp/')) {
        const policy = context.URL.searchParams.get('csp') ?? STRICT_CSP;
        return { headers: { 'content-security-policy': policy } };
      }
      return undefined;
    },
  };
}
