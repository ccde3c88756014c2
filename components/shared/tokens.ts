import { css } from 'lit';

/**
 * Shared design tokens. Every colour is a custom property a host console can override; the defaults meet
 * WCAG AA contrast in light and dark. `all: initial` keeps the host page's inherited styles (font size,
 * letter spacing, text transforms…) from bending the banner; direction is not reset by `all`, so RTL works.
 */
/** The dark palette, for theme="dark" and for theme="auto" when the system is dark. */
const darkTokens = css`
  color: var(--zbb-fg, #f1f1f1);
  --_warning-bg: var(--zbb-warning-bg, #3a2800);
  --_warning-fg: var(--zbb-warning-fg, #ffe3a3);
  --_warning-accent: var(--zbb-warning-accent, #ffb547);
  --_error-bg: var(--zbb-error-bg, #47090f);
  --_error-fg: var(--zbb-error-fg, #ffd7da);
  --_error-accent: var(--zbb-error-accent, #ff8a94);
  --_ok-bg: var(--zbb-ok-bg, #0f2e19);
  --_ok-fg: var(--zbb-ok-fg, #c8f0d3);
  --_ok-accent: var(--zbb-ok-accent, #6fd08a);
  --_muted-fg: var(--zbb-muted-fg, #c4c4c4);
  --_surface: var(--zbb-surface, #1e1e1e);
  --_border: var(--zbb-border, #8f8f8f);
  --_focus: var(--zbb-focus, #8cc4ff);
`;

export const hostStyles = css`
  :host {
    all: initial;
    display: block;
    contain: content;
    color: var(--zbb-fg, #1b1b1b);
    --_warning-bg: var(--zbb-warning-bg, #fff4ce);
    --_warning-fg: var(--zbb-warning-fg, #3b2300);
    --_warning-accent: var(--zbb-warning-accent, #9a4f00);
    --_error-bg: var(--zbb-error-bg, #fde7e9);
    --_error-fg: var(--zbb-error-fg, #5c0011);
    --_error-accent: var(--zbb-error-accent, #b10e1c);
    --_ok-bg: var(--zbb-ok-bg, #e6f4ea);
    --_ok-fg: var(--zbb-ok-fg, #0b3d1c);
    --_ok-accent: var(--zbb-ok-accent, #1e7b34);
    --_muted-fg: var(--zbb-muted-fg, #4a4a4a);
    --_surface: var(--zbb-surface, #ffffff);
    --_border: var(--zbb-border, #8a8a8a);
    --_focus: var(--zbb-focus, #0b5cad);
    --_radius: var(--zbb-radius, 6px);
    --_gap: var(--zbb-gap, 12px);
  }
  /* A page rule like \`* { text-transform: uppercase }\` reaches the host element itself and would be
     inherited: the shadow tree's top-level elements set every inherited text property again. */
  :host > * {
    font-family: var(--zbb-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--zbb-font-size, 14px);
    font-style: normal;
    font-weight: 400;
    font-variant: normal;
    line-height: 1.45;
    letter-spacing: normal;
    word-spacing: normal;
    text-transform: none;
    text-indent: 0;
    text-align: start;
    text-shadow: none;
    white-space: normal;
    visibility: visible;
    cursor: auto;
  }
  :host([hidden]) {
    display: none;
  }
  :host([theme='dark']) {
    ${darkTokens}
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      ${darkTokens}
    }
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .visually-hidden {
    position: absolute;
    inline-size: 1px;
    block-size: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
`;
