import { css } from 'lit';

/** The banner's look, loaded with its renderer (banner-parts.ts) once there is something to show. */
export const bannerStyles = css`
  .banner {
    display: grid;
    grid-template-columns: auto 1fr auto;
    gap: 4px var(--_gap);
    align-items: start;
    padding: 12px 16px;
    border-radius: var(--_radius);
    border: 1px solid var(--_accent);
    border-inline-start-width: 6px;
    background: var(--_bg);
    color: var(--_fg);
  }
  .warning {
    --_bg: var(--_warning-bg);
    --_fg: var(--_warning-fg);
    --_accent: var(--_warning-accent);
  }
  .disconnected {
    --_bg: var(--_error-bg);
    --_fg: var(--_error-fg);
    --_accent: var(--_error-accent);
  }
  .ok,
  .recovered {
    --_bg: var(--_ok-bg);
    --_fg: var(--_ok-fg);
    --_accent: var(--_ok-accent);
  }
  .icon {
    inline-size: 20px;
    block-size: 20px;
    margin-block-start: 1px;
    color: var(--_accent);
  }
  .body {
    min-inline-size: 0;
  }
  .title {
    margin: 0;
    font-size: 1.05em;
    font-weight: 700;
  }
  .message {
    margin: 4px 0 0;
  }
  .countdown {
    font-weight: 700;
  }
  /* Each sentence takes the direction of its own words: English in a right-to-left page keeps its full stop
     at its end (the layout around it still mirrors), and a translation into Arabic or Hebrew reads right to
     left. */
  .title,
  .message,
  .deadline,
  .note,
  .test-result,
  .chip {
    unicode-bidi: plaintext;
  }
  .deadline {
    margin: 4px 0 0;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px 16px;
    align-items: center;
    margin-block-start: 8px;
  }
  .test-result {
    font-weight: 600;
  }
  .collapse {
    background: none;
    border: 1px solid transparent;
    border-radius: var(--_radius);
    padding: 2px 8px;
    text-decoration: underline;
  }
  .slim {
    grid-template-columns: auto 1fr auto;
    align-items: center;
    padding-block: 4px;
  }
  .slim .title {
    font-size: 1em;
    display: inline;
  }
  .chip {
    display: inline-flex;
    gap: 6px;
    align-items: center;
    padding: 2px 10px;
    border-radius: 999px;
    background: var(--_bg);
    color: var(--_fg);
    border: 1px solid var(--_accent);
    font-size: 0.9em;
  }
  .unknown {
    --_bg: var(--_surface);
    --_fg: var(--_muted-fg);
    --_accent: var(--_border);
  }
  @media (prefers-reduced-motion: no-preference) {
    .banner.escalated {
      animation: arrive 240ms ease-out;
    }
  }
  @keyframes arrive {
    from {
      opacity: 0;
      transform: translateY(-4px);
    }
  }
`;
