import { css } from 'lit';

/**
 * What the banner always needs: the setup notice, shown without its renderer. The rest of its look
 * (`bannerStyles`) comes with the renderer (banner-parts.ts), once there is something to show. The notice is
 * an operator's sentence in the banner's own font; the developer's detail is folded below it (a closed
 * `<details>`, the browser's own look: no rule of ours needed).
 */
export const setupStyles = css`
  .config-error {
    padding: 8px 12px;
    border: 1px dashed var(--_error-accent);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_error-fg);
    overflow-wrap: anywhere;
  }
`;
