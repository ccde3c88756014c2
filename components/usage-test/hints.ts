import type { FailureReason } from '../../src/core/index.ts';
import type { StepId } from '../../src/world/probes/index.ts';

export const STEP_LABELS: Record<StepId, string> = {
  collect: 'Usage collected',
  reach: 'Billing server reached',
  ack: 'Usage acknowledged',
};

const CAUSES: Record<FailureReason['kind'], string> = {
  timeout: 'No answer in time',
  network: 'The connection could not be made',
  proxy: 'The proxy server failed',
  http: 'The server answered with an error',
  auth: 'The credentials were refused',
  'bad-answer': 'An answer of the wrong shape came back',
  rejected: 'The usage was not accepted',
  misconfigured: 'The configuration cannot work',
  cors: "The browser refused the answer: this page's origin is not allowed (CORS)",
  unobservable: 'This mode cannot see whether usage is sent',
};

/** What an operator should check for each kind of failure. */
export function whatToCheck(reason: FailureReason, billingHost: string): string[] {
  const firewall = `the firewall allows HTTPS to ${billingHost} on port 443`;
  switch (reason.kind) {
    case 'timeout':
      return [
        `${firewall} (a silent drop looks like this)`,
        'the proxy server, if one is used, answers',
        'the billing server status',
      ];
    case 'network':
      return [`${billingHost} resolves in DNS`, firewall, 'the proxy settings of this browser or the ZVM'];
    case 'proxy':
      return ['the proxy address and port', 'the proxy credentials', `the proxy allows ${billingHost}:443`];
    case 'auth':
      return ['the credentials (token or session) given to the console', 'that the session has not expired'];
    case 'bad-answer':
      return [
        'a proxy or captive portal answering instead of the billing server (a login page, say)',
        'the billing URL points at the billing server',
      ];
    case 'rejected':
      return [
        `the ZVM's own connection to ${billingHost} on port 443`,
        'the proxy configured on the ZVM',
        "the ZVM's clock (a wrong date can make the billing server refuse the usage)",
      ];
    case 'http':
      return reason.status !== undefined && reason.status >= 500
        ? [
            'the billing server status: it is failing, try again later',
            'contact Zerto support if it persists',
          ]
        : ['the billing URL', 'the usage report the server refused (see the detail)'];
    case 'misconfigured':
      return ["the element's attributes (site-id, mode, billing-url, zvm-url)"];
    case 'cors':
      return [
        "add this page's origin to the server's CORS allow-list (Access-Control-Allow-Origin)",
        'or serve the console from the same origin as the API (a reverse proxy)',
      ];
    case 'unobservable':
      return ['use zvm mode (the ZVM reports its own billing alerts) or direct mode to observe usage'];
  }
}

export function causeText(reason: FailureReason): string {
  const base = CAUSES[reason.kind];
  const status = reason.status !== undefined ? ` (HTTP ${reason.status})` : '';
  return `${base}${status}${reason.detail ? `: ${reason.detail}` : ''}`;
}
