// A React 19 console page, built and driven by test/node/react-embedding.test.ts: the README's component
// (./billing-banner.tsx) and the element set from React directly, with a `token`, or with a `probe` in custom
// mode. Each can be shown, removed and shown again; what React's handlers heard is kept on `window.harness`.
import { useEffect, useState } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import type { StateChangeDetail, ZertoBillingBanner } from 'zerto-billing-banner';
import type {} from 'zerto-billing-banner/react';
import { BillingBanner } from './billing-banner.tsx';

export type View = 'none' | 'readme' | 'token' | 'probe';

export interface Harness {
  /** Renders that view (synchronously): another view's element is removed, and a view shown again is new. */
  show(view: View): void;
  /** Each state change a React handler heard, and in which view. */
  heard: { view: View; detail: StateChangeDetail }[];
  /** How often the element called the `probe` function React gave it. */
  probeCalls: number;
}

declare global {
  interface Window {
    harness?: Harness;
  }
}

/** The ZVM the `token` view reads (the README's component names its own). */
const zvmUrl = new URLSearchParams(location.search).get('zvm') ?? '';

const heard: Harness['heard'] = [];
let probeCalls = 0;

const probe: NonNullable<ZertoBillingBanner['probe']> = () => {
  probeCalls++;
  return { ok: true, protectedVms: 7 };
};

function App() {
  const [view, setView] = useState<View>('none');
  const [phase, setPhase] = useState('');
  useEffect(() => {
    window.harness = {
      show: (next) => flushSync(() => setView(next)),
      heard,
      get probeCalls() {
        return probeCalls;
      },
    };
  }, []);
  const hear = (detail: StateChangeDetail) => {
    heard.push({ view, detail });
    setPhase(detail.phase);
  };
  return (
    <main>
      {view === 'readme' && <BillingBanner onStateChange={hear} />}
      {view === 'token' && (
        <zerto-billing-banner
          mode="zvm"
          zvm-url={zvmUrl}
          interval="1s"
          show-ok
          token="demo-token"
          onzerto-billing-state-change={(event) => hear(event.detail)}
        />
      )}
      {view === 'probe' && (
        <zerto-billing-banner
          site-id="react-probe-site"
          site-name="React probe"
          mode="custom"
          interval="1s"
          show-ok
          probe={probe}
          onzerto-billing-state-change={(event) => hear(event.detail)}
        />
      )}
      <p id="phase">{phase && `React heard: ${phase}`}</p>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
