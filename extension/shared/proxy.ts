import type { FailureReason } from '../../src/core/index.ts';
import type { ProxySettings } from './settings.ts';

/**
 * The proxy for the billing host alone: a PAC script that sends the billing hosts through the admin's proxy
 * and answers for every other host exactly what the browser's own setting did, where a PAC script can say it.
 */

/** The parts of a chrome.proxy value this module reads (chrome.types.ChromeSetting<ProxyConfig>.value). */
export interface ProxyValue {
  mode?: string;
  rules?: {
    singleProxy?: ProxyServer;
    proxyForHttp?: ProxyServer;
    proxyForHttps?: ProxyServer;
    fallbackProxy?: ProxyServer;
    bypassList?: string[];
  };
  pacScript?: { url?: string; data?: string; mandatory?: boolean };
}
interface ProxyServer {
  scheme?: string;
  host: string;
  port?: number;
}

export interface OtherHosts {
  /** What other hosts get, in words, for the options page. */
  summary: string;
  /** PAC code: a function `__zbbOthers(url, host)` answering for every host that is not a billing host. */
  code: string;
  /** False when the previous setting cannot be written as PAC (system settings, a PAC file by URL). */
  exact: boolean;
}

const PAC_KEYWORD: Record<string, string> = {
  http: 'PROXY',
  https: 'HTTPS',
  socks4: 'SOCKS',
  socks5: 'SOCKS5',
  quic: 'QUIC',
};

function pacServer(s: ProxyServer | undefined): string | null {
  if (!s?.host) return null;
  const scheme = s.scheme ?? 'http';
  const port = s.port ?? (scheme === 'https' ? 443 : scheme.startsWith('socks') ? 1080 : 80);
  return `${PAC_KEYWORD[scheme] ?? 'PROXY'} ${s.host}:${port}`;
}

const js = (v: unknown) => JSON.stringify(v);

/** Describes and reproduces, as PAC code, what the browser did for every host before this extension. */
export function otherHostsFrom(previous: ProxyValue | null): OtherHosts {
  const mode = previous?.mode ?? 'system';
  if (mode === 'direct') return { summary: 'connect directly, as they do now', code: direct(), exact: true };
  if (mode === 'fixed_servers' && previous?.rules) {
    const r = previous.rules;
    const single = pacServer(r.singleProxy);
    const http = single ?? pacServer(r.proxyForHttp) ?? pacServer(r.fallbackProxy) ?? 'DIRECT';
    const https = single ?? pacServer(r.proxyForHttps) ?? pacServer(r.fallbackProxy) ?? 'DIRECT';
    const bypass = (r.bypassList ?? []).filter((b) => /^[A-Za-z0-9.*_-]+$/.test(b));
    const local = (r.bypassList ?? []).includes('<local>');
    return {
      summary: `go through the proxy servers set now (${[...new Set([http, https])].join(', ')}), as they do now`,
      code:
        `function __zbbOthers(url, host) {\n` +
        `  var bypass = ${js(bypass)};\n` +
        `  for (var i = 0; i < bypass.length; i++) if (shExpMatch(host, bypass[i])) return "DIRECT";\n` +
        (local ? `  if (isPlainHostName(host)) return "DIRECT";\n` : '') +
        `  return url.substring(0, 6) === "https:" ? ${js(https)} : ${js(http)};\n}\n`,
      exact: true,
    };
  }
  if (mode === 'pac_script' && previous?.pacScript?.data) {
    return {
      summary: 'follow the PAC script set now, as they do now',
      code: `var __zbbOthers = (function () {\n${previous.pacScript.data}\n;return FindProxyForURL;\n})();\n`,
      exact: true,
    };
  }
  const what =
    mode === 'pac_script'
      ? 'a PAC file loaded from an address'
      : mode === 'auto_detect'
        ? 'automatic proxy detection (WPAD)'
        : "the operating system's proxy settings";
  return {
    summary:
      `connect directly. This browser now uses ${what}, which an extension cannot reproduce: ` +
      'if other sites need that proxy, leave this off and set the proxy for the billing host there instead',
    code: direct(),
    exact: false,
  };
}

function direct(): string {
  return 'function __zbbOthers() {\n  return "DIRECT";\n}\n';
}

export function proxyTarget(p: ProxySettings): string {
  const host = p.host.includes(':') && !p.host.startsWith('[') ? `[${p.host}]` : p.host;
  return `${PAC_KEYWORD[p.scheme] ?? 'PROXY'} ${host}:${p.port}`;
}

/** The PAC script: the billing hosts through the proxy, every other host as `others` says. */
export function buildPac(billingHosts: readonly string[], p: ProxySettings, others: OtherHosts): string {
  const hosts = [...new Set(billingHosts.map((h) => h.toLowerCase()))].sort();
  return (
    `// Zerto billing banner: the billing host${hosts.length === 1 ? '' : 's'} through ${proxyTarget(p)}; ` +
    `every other host as before.\n` +
    others.code +
    `var __zbbBillingHosts = ${js(hosts)};\n` +
    `function FindProxyForURL(url, host) {\n` +
    `  var h = host.toLowerCase();\n` +
    `  for (var i = 0; i < __zbbBillingHosts.length; i++)\n` +
    `    if (h === __zbbBillingHosts[i]) return ${js(proxyTarget(p))};\n` +
    `  return __zbbOthers(url, host);\n` +
    `}\n`
  );
}

/** Net errors that name the proxy itself. */
const PROXY_ERRORS = new Set([
  'net::ERR_PROXY_CONNECTION_FAILED',
  'net::ERR_TUNNEL_CONNECTION_FAILED',
  'net::ERR_PROXY_AUTH_UNSUPPORTED',
  'net::ERR_PROXY_AUTH_REQUESTED',
  'net::ERR_PROXY_CERTIFICATE_INVALID',
  'net::ERR_NO_SUPPORTED_PROXIES',
  'net::ERR_MANDATORY_PROXY_CONFIGURATION_FAILED',
  'net::ERR_PAC_SCRIPT_FAILED',
  'net::ERR_PROXY_HTTP_1_1_REQUIRED',
  'net::ERR_SOCKS_CONNECTION_FAILED',
  'net::ERR_SOCKS_CONNECTION_HOST_UNREACHABLE',
]);
const TIMEOUT_ERRORS = new Set(['net::ERR_TIMED_OUT', 'net::ERR_CONNECTION_TIMED_OUT']);

/**
 * Names a failed request from the browser's own error code (chrome.webRequest.onErrorOccurred), which a
 * page's fetch never sees: a proxy failure, a name that does not resolve, a refused certificate, a timeout.
 * Returns null for codes that say nothing more than the fetch did (a cancelled request).
 */
export function reasonFromNetError(
  error: string,
  host: string,
  viaProxy: string | null,
): FailureReason | null {
  const code = error.trim();
  const through = viaProxy ? ` through the proxy ${viaProxy}` : '';
  if (PROXY_ERRORS.has(code))
    return {
      kind: 'proxy',
      detail: `the proxy${viaProxy ? ` ${viaProxy}` : ''} failed on the way to ${host} (${code})`,
    };
  if (TIMEOUT_ERRORS.has(code))
    return { kind: 'timeout', detail: `no answer from ${host}${through} in time (${code})` };
  if (code === 'net::ERR_NAME_NOT_RESOLVED' || code === 'net::ERR_NAME_RESOLUTION_FAILED')
    return { kind: 'network', detail: `the name ${host} does not resolve in DNS (${code})` };
  if (code.startsWith('net::ERR_CERT_') || code.startsWith('net::ERR_SSL_'))
    return {
      kind: 'network',
      detail: `the certificate of ${host} was refused (${code}): a TLS-inspecting proxy or a wrong host name?`,
    };
  if (code === 'net::ERR_CONNECTION_REFUSED')
    return { kind: 'network', detail: `${host} refused the connection${through} (${code})` };
  if (
    code === 'net::ERR_CONNECTION_RESET' ||
    code === 'net::ERR_CONNECTION_CLOSED' ||
    code === 'net::ERR_EMPTY_RESPONSE'
  )
    return { kind: 'network', detail: `the connection to ${host} was cut${through} (${code})` };
  if (code === 'net::ERR_INTERNET_DISCONNECTED' || code === 'net::ERR_ADDRESS_UNREACHABLE')
    return { kind: 'network', detail: `${host} cannot be reached from this computer (${code})` };
  if (code === 'net::ERR_ABORTED' || code === 'net::ERR_BLOCKED_BY_CLIENT') return null;
  if (code.startsWith('net::ERR_'))
    return { kind: 'network', detail: `the request to ${host} failed${through} (${code})` };
  return null;
}
