import { css } from 'lit';

/**
 * Monitoring > Alerts: a table that keeps a readable width (its description wraps in a column of its own, its
 * dates stay on one line) and scrolls sideways inside its own frame where the element is narrower than that
 * (a phone, a narrow panel), rather than being cut by it: the element contains its paint, so what overflowed
 * it was lost, with no way to scroll to it.
 */
export const alertsStyles = css`
  .scroll {
    overflow-x: auto;
    overscroll-behavior-x: contain;
  }
  .scroll:focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  table {
    inline-size: 100%;
    min-inline-size: 38em;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: start;
    padding: 6px 8px;
    border-block-end: 1px solid var(--_border);
    vertical-align: top;
  }
  th {
    font-weight: 700;
  }
  /* The description: the one column that wraps, never squeezed to a word a line. */
  td:nth-child(3) {
    min-inline-size: 16em;
  }
  time {
    white-space: nowrap;
  }
  .level {
    font-weight: 700;
    white-space: nowrap;
  }
  .Error .level {
    color: var(--_error-fg);
  }
  .Warning .level {
    color: var(--_warning-fg);
  }
  .resolved {
    color: var(--_muted-fg);
  }
  caption {
    text-align: start;
    font-weight: 700;
    padding-block-end: 6px;
  }
`;
