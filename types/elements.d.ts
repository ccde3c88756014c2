// What each element takes from a host framework, written once for react.d.ts and vue.d.ts: its attributes (and
// the property each one sets), its properties that no attribute can carry (functions, secrets, objects) and the
// events it fires. test/node/framework-types.test.ts compares these names with the custom elements manifest,
// which is generated from the elements' own source: a name added there and not here fails that test.
import type {
  ZertoBillingAlerts,
  ZertoBillingBanner,
  ZertoBillingEventMap,
  ZertoBillingSites,
  ZertoUsageExport,
  ZertoUsageTest,
} from 'zerto-billing-banner';

/** The attributes every element bound to one site shares, each with the property it sets. */
interface SiteAttributes {
  'site-id': 'siteId';
  'site-name': 'siteName';
  mode: 'mode';
  'billing-url': 'billingUrl';
  'zvm-url': 'zvmUrl';
  'service-url': 'serviceUrl';
  'protected-vms': 'protectedVms';
  interval: 'interval';
  'alert-after': 'alertAfter';
  'grace-days': 'graceDays';
  timeout: 'timeout';
  'usage-alert-ids': 'usageAlertIds';
  'disconnection-alert-ids': 'disconnectionAlertIds';
  external: 'external';
  theme: 'theme';
}

/** The properties attributes cannot carry, on every element bound to one site. */
type SiteProperties = 'token' | 'getToken' | 'session' | 'probe' | 'usageProvider' | 'clock';

/**
 * Per tag: the element's class, its attributes (name → the property it sets), its properties without an
 * attribute, and the events it fires (keys of `ZertoBillingEventMap`, which types their `detail`).
 */
export interface ZertoElements {
  'zerto-billing-banner': {
    element: ZertoBillingBanner;
    attributes: SiteAttributes & { 'show-ok': 'showOk' };
    properties: SiteProperties;
    events:
      | 'zerto-billing-state-change'
      | 'zerto-billing-disconnect'
      | 'zerto-billing-reconnect'
      | 'zerto-billing-test-result'
      | 'zerto-billing-config-error';
  };
  'zerto-usage-test': {
    element: ZertoUsageTest;
    attributes: SiteAttributes;
    properties: SiteProperties;
    events: 'zerto-billing-test-result' | 'zerto-billing-config-error';
  };
  'zerto-billing-alerts': {
    element: ZertoBillingAlerts;
    attributes: { 'site-id': 'siteId'; 'service-url': 'serviceUrl'; theme: 'theme' };
    properties: 'token' | 'getToken' | 'clock';
    events: never;
  };
  'zerto-billing-sites': {
    element: ZertoBillingSites;
    attributes: { theme: 'theme'; 'service-url': 'serviceUrl' };
    properties: 'sites' | 'clock' | 'token' | 'getToken';
    events: never;
  };
  'zerto-usage-export': {
    element: ZertoUsageExport;
    attributes: { 'site-id': 'siteId'; 'service-url': 'serviceUrl'; theme: 'theme' };
    properties: 'token' | 'getToken' | 'clock';
    events: 'zerto-billing-export';
  };
}

export type ZertoTag = keyof ZertoElements;

/** An attribute's value, typed as the property it sets (`show-ok`: boolean; `theme`: 'light' | 'dark' | 'auto'). */
export type AttributeValues<T extends ZertoTag> = {
  [A in keyof ZertoElements[T]['attributes']]?: Prop<T, ZertoElements[T]['attributes'][A]>;
};

/** The element's properties that no attribute carries, typed as the element declares them. */
export type PropertyValues<T extends ZertoTag> = {
  [P in ZertoElements[T]['properties']]?: Prop<T, P>;
};

type Prop<T extends ZertoTag, P> = ZertoElements[T]['element'][P & keyof ZertoElements[T]['element']];

/** Fails to compile where a table above names a property its element does not have. */
export type Checked<
  E extends {
    [T in ZertoTag]: {
      attributes: { [A in keyof ZertoElements[T]['attributes']]: keyof ZertoElements[T]['element'] };
      properties: keyof ZertoElements[T]['element'];
    };
  } = ZertoElements,
> = E;

/** Every property a host may set: those behind the attributes and those without one. */
export type WritableProperty<T extends ZertoTag> =
  ZertoElements[T]['attributes'][keyof ZertoElements[T]['attributes']] | ZertoElements[T]['properties'];

/** The events of one element, each with its typed `detail`. */
export type EventsOf<T extends ZertoTag> = {
  [E in ZertoElements[T]['events']]: ZertoBillingEventMap[E];
};
