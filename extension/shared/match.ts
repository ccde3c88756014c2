import type { Parsed } from '../../src/core/index.ts';

/**
 * Chrome match patterns for the consoles that get the banner (`https://zvm.example.com/*`), checked with a
 * message an admin can act on, and matched against page addresses the way Chrome does (a pattern has no
 * port, so it matches every port; the path is matched against path and query).
 */
const PATTERN = /^(\*|https?):\/\/([^/]*)(\/.*)$/;

export function parseMatchPattern(input: string): Parsed<string> {
  const text = input.trim();
  if (text === '') return { ok: false, error: 'a console pattern must not be empty' };
  if (text === '<all_urls>')
    return {
      ok: false,
      error: '<all_urls> is not accepted: name the console hosts (https://zvm.example.com/*)',
    };
  const m = PATTERN.exec(text);
  if (!m)
    return {
      ok: false,
      error: `"${text}" is not a match pattern: write it like https://zvm.example.com/* or http://10.0.0.5/*`,
    };
  const host = m[2]!;
  if (host === '' || host === '*')
    return {
      ok: false,
      error: `"${text}" would put the banner on every site: name the console host (https://zvm.example.com/*)`,
    };
  if (host.includes(':'))
    return {
      ok: false,
      error: `"${text}": leave the port out (a pattern without a port matches the console on any port)`,
    };
  if (host.startsWith('*') && !/^\*\.[^*]+$/.test(host))
    return { ok: false, error: `"${text}": a wildcard host must look like *.example.com` };
  if (host.slice(1).includes('*'))
    return { ok: false, error: `"${text}": "*" is allowed only at the start of the host` };
  if (!/^[A-Za-z0-9.*_-]+$/.test(host) && !/^\[[0-9A-Fa-f:.]+\]$/.test(host))
    return { ok: false, error: `"${text}": "${host}" is not a host name or address` };
  return { ok: true, value: text };
}

function globToRegExp(glob: string): string {
  return glob
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
}

/** Whether Chrome would inject a content script registered with `pattern` into `url`. */
export function matchesUrl(pattern: string, url: string): boolean {
  const m = PATTERN.exec(pattern);
  if (!m) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const scheme = u.protocol.slice(0, -1);
  if (m[1] === '*' ? scheme !== 'http' && scheme !== 'https' : scheme !== m[1]) return false;
  const host = m[2]!.toLowerCase();
  const actual = u.hostname.toLowerCase();
  if (host.startsWith('*.')) {
    const base = host.slice(2);
    if (actual !== base && !actual.endsWith(`.${base}`)) return false;
  } else if (actual !== host) return false;
  return new RegExp(`^${globToRegExp(m[3]!)}$`).test(u.pathname + u.search);
}

/** The host permission that lets the extension reach an address (`https://zvm.example.com/*`). */
export function originPattern(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.hostname}/*`;
  } catch {
    return null;
  }
}
