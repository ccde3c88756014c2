/** Milliseconds in the units the product speaks in. Time is always epoch milliseconds (UTC). */
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A clock is injected everywhere so that tests and the demo can move time. */
export type Clock = () => number;
