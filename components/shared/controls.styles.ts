import { css } from 'lit';

/**
 * Buttons, links styled as buttons, focus rings: every element's controls. Apart from tokens.ts so that the
 * banner's page-load code, which shows no control until there is something to show, does not carry them (its
 * renderer adopts them with the banner's look).
 */
export const controlStyles = css`
  button {
    font: inherit;
    color: inherit;
    cursor: pointer;
  }
  .link {
    background: none;
    border: 0;
    padding: 0;
    text-decoration: underline;
    text-underline-offset: 2px;
    font-weight: 600;
  }
  .button {
    background: var(--_surface);
    color: inherit;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 6px 12px;
    font-weight: 600;
  }
  button:focus-visible,
  a:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  button[disabled] {
    cursor: progress;
    opacity: 0.8;
  }
`;
