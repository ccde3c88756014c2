// Template types for Vue 3 (`import type {} from 'zerto-billing-banner/vue';` once in the app), in the shape Vue's
// guide gives for custom elements not built with Vue: each tag in `GlobalComponents` as a constructor whose
// `$props` are the element's properties (Vue's tooling matches `zvm-url` in a template to `zvmUrl`, and
// `:getToken` sets the property) and whose `$emit` lists the events it fires, with their typed `detail`
// (`@zerto-billing-state-change`). Vue must also be told not to resolve these tags as Vue components:
// `compilerOptions.isCustomElement: (tag) => tag.startsWith('zerto-')`.
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { EventsOf, WritableProperty, ZertoElements, ZertoTag } from './elements.js';

/** One element for Vue's template checking; `$props` and `$emit` exist for the types only, not on the element. */
export type ZertoVueElement<T extends ZertoTag> = new () => ZertoElements[T]['element'] & {
  /** @deprecated For template type checking only: the element has no `$props`. */
  $props: HTMLAttributes &
    Partial<Pick<ZertoElements[T]['element'], WritableProperty<T> & keyof ZertoElements[T]['element']>> &
    PublicProps;
  /** @deprecated For template type checking only: the element has no `$emit`. */
  $emit: [ZertoElements[T]['events']] extends [never]
    ? EmitFn<[]> // fires none: no event name is accepted
    : EmitFn<{ [E in keyof EventsOf<T>]: (event: EventsOf<T>[E]) => void }>;
};

declare module 'vue' {
  interface GlobalComponents {
    'zerto-billing-banner': ZertoVueElement<'zerto-billing-banner'>;
    'zerto-usage-test': ZertoVueElement<'zerto-usage-test'>;
    'zerto-billing-alerts': ZertoVueElement<'zerto-billing-alerts'>;
    'zerto-billing-sites': ZertoVueElement<'zerto-billing-sites'>;
    'zerto-usage-export': ZertoVueElement<'zerto-usage-export'>;
  }
}
