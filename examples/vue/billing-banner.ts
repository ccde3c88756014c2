// The banner in a Vue 3 app. In a single-file component's template it reads
//   <zerto-billing-banner mode="zvm" zvm-url="https://zvm.example" show-ok :getToken="getZvmToken"
//     @zerto-billing-state-change="onStateChange" />
// which Vue's template tooling checks against `zerto-billing-banner/vue`. Here the same, as a render function,
// so that the lint's tsc checks it against those types. Vue's compiler must skip component resolution for these
// tags: `compilerOptions.isCustomElement: (tag) => tag.startsWith('zerto-')`.
import { defineComponent, h, ref, type GlobalComponents } from 'vue';
import 'zerto-billing-banner/banner'; // defines <zerto-billing-banner> before Vue renders one
import type {} from 'zerto-billing-banner/vue'; // its template types: properties and events
import type { StateChangeDetail, ZertoBillingEventMap } from 'zerto-billing-banner';

/** What a template may set on <zerto-billing-banner>, as `zerto-billing-banner/vue` declares it. */
type BannerProps = InstanceType<GlobalComponents['zerto-billing-banner']>['$props'];

// Asked whenever a token is needed: give the console's current ZVM token (a Zerto 10 token expires).
async function getZvmToken(): Promise<string> {
  return 'demo-token';
}

export const BillingBanner = defineComponent({
  name: 'BillingBanner',
  props: { zvmUrl: { type: String, required: true } },
  emits: { stateChange: (state: StateChangeDetail) => state.siteId !== '' },
  setup(props, { emit }) {
    const phase = ref<StateChangeDetail['phase'] | 'checking'>('checking');
    const onStateChange = (event: ZertoBillingEventMap['zerto-billing-state-change']) => {
      phase.value = event.detail.phase;
      emit('stateChange', event.detail);
    };
    return () => [
      h('zerto-billing-banner', {
        ...({ mode: 'zvm', zvmUrl: props.zvmUrl, showOk: true, getToken: getZvmToken } satisfies BannerProps),
        // Vue listens for `zerto-billing-state-change` (the handler's name, hyphenated).
        onZertoBillingStateChange: onStateChange,
      }),
      h('p', `Billing: ${phase.value}`),
    ];
  },
});
