// A Vue 3 console page, built and driven by test/node/react-embedding.test.ts beside the React one: the Vue
// example's component (./billing-banner.ts) on the ZVM named in the page's address, and each state change it
// emitted kept on `window.vueHeard`.
import { createApp } from 'vue';
import type { StateChangeDetail } from 'zerto-billing-banner';
import { BillingBanner } from './billing-banner.ts';

declare global {
  interface Window {
    vueHeard?: StateChangeDetail[];
  }
}

const heard: StateChangeDetail[] = (window.vueHeard = []);
const zvmUrl = new URLSearchParams(location.search).get('zvm') ?? '';
createApp(BillingBanner, { zvmUrl, onStateChange: (state: StateChangeDetail) => heard.push(state) }).mount(
  '#root',
);
