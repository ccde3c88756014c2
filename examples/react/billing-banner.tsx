import 'zerto-billing-banner/banner'; // defines <zerto-billing-banner> before React renders one
import type {} from 'zerto-billing-banner/react'; // its JSX types: attributes, properties, events
import type { StateChangeDetail } from 'zerto-billing-banner';

// Asked whenever a token is needed (before the first check, every 4 minutes, after a refusal): give the
// console's current ZVM token. A Zerto 10 token expires; fetch or refresh it here. Never stored.
async function getZvmToken(): Promise<string> {
  return 'demo-token';
}

export function BillingBanner({ onStateChange }: { onStateChange?: (state: StateChangeDetail) => void }) {
  return (
    <zerto-billing-banner
      mode="zvm"
      zvm-url="http://127.0.0.1:5172"
      show-ok
      getToken={getZvmToken}
      onzerto-billing-state-change={(event) => onStateChange?.(event.detail)}
    />
  );
}
