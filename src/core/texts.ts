// Every text an operator reads, in one place (this folder): the messages, headings and causes
// (texts/messages.ts), and the short history line stored with an alert (texts/summary.ts), which the
// page-load code needs without the rest.
export * from './texts/messages.ts';
export * from './texts/summary.ts';
