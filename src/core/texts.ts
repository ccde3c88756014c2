// Every text an operator reads, in one place (this folder): the messages, headings and phase names
// (texts/messages.ts); the causes, the test's steps, the advice fitted to the address, the export's and the
// seven-day strip's words (texts/advice.ts); and the short history line stored with an alert
// (texts/summary.ts), which the page-load code needs without the rest; the extension's admin words
// (texts/extension.ts).
export * from './texts/messages.ts';
export * from './texts/advice.ts';
export * from './texts/summary.ts';
export * from './texts/extension.ts';
export * from './texts/sites.ts';
