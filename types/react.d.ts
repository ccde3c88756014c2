// JSX types for React 19 (`import type {} from 'zerto-billing-banner/react';` once in the app). React 19 sets a
// prop on a custom element as a property when the element has one of that name (`getToken`, `token`, `probe`,
// `theme`), as an attribute otherwise (`zvm-url`, `show-ok`), and listens for `on` + the event's exact name:
// `onzerto-billing-state-change` calls addEventListener('zerto-billing-state-change', …). Typed here as React
// wires them: attributes by their HTML names, properties that no attribute carries by their names, events by
// `on` + their names with their typed `detail`. The element must be defined before React renders it (import
// `zerto-billing-banner/banner`, or wait for customElements.whenDefined): on an element not yet defined React
// sets attributes, and a function is dropped.
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { AttributeValues, EventsOf, PropertyValues, ZertoElements, ZertoTag } from './elements.js';

/** `on` + the event's name, as React 19 listens for it on a custom element. */
type EventProps<T extends ZertoTag> = {
  [E in keyof EventsOf<T> as `on${E & string}`]?: (event: EventsOf<T>[E]) => void;
};

/** Everything React passes to one of the elements: the HTML props (class, id, style, ref, key…) and its own. */
export type ZertoElementProps<T extends ZertoTag> = DetailedHTMLProps<
  HTMLAttributes<ZertoElements[T]['element']>,
  ZertoElements[T]['element']
> &
  AttributeValues<T> &
  PropertyValues<T> &
  EventProps<T>;

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'zerto-billing-banner': ZertoElementProps<'zerto-billing-banner'>;
      'zerto-usage-test': ZertoElementProps<'zerto-usage-test'>;
      'zerto-billing-alerts': ZertoElementProps<'zerto-billing-alerts'>;
      'zerto-billing-sites': ZertoElementProps<'zerto-billing-sites'>;
      'zerto-usage-export': ZertoElementProps<'zerto-usage-export'>;
    }
  }
}
