/** This package's version, as in package.json (a test holds the two equal): sent with usage, shown in warnings. */
export const VERSION = '0.1.0';
