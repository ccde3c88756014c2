// The sites overview's words for forgetting a site (the rest of its words are LIST_WORDS in messages.ts).

const reports = (n: number): string => `${n} usage report${n === 1 ? '' : 's'}`;

export const FORGET_WORDS = {
  /** The column of per-row actions (its header is read by assistive technology, not shown). */
  actions: 'Actions',
  button: 'Forget…',
  /** The button's accessible name, so that each row's button says which site it forgets. */
  buttonLabel: (site: string) => `Forget ${site}…`,
  title: (site: string) => `Forget ${site} in this browser?`,
  removes:
    'Its billing state, transmission log, billing alerts and notes are removed from this browser. Other sites are not touched.',
  /** What stays: the reports still waiting, and the usage history the manual-billing export reads. */
  keeps: (waiting: number) =>
    (waiting
      ? `${reports(waiting)} still waiting to be delivered ${waiting === 1 ? 'is' : 'are'} kept and will still be delivered. `
      : 'Usage reports still waiting to be delivered are kept (none is waiting now). ') +
    'Its usage history stays in the manual-billing export.',
  comesBack: 'A page or extension that still watches this site shows it again at its next check.',
  confirm: 'Forget site',
  cancel: 'Cancel',
  working: 'Forgetting…',
  failed: (reason: string) => `The site could not be forgotten: ${reason}`,
  done: (site: string, waiting: number) =>
    `${site} was forgotten in this browser.` +
    (waiting ? ` ${reports(waiting)} waiting to be delivered ${waiting === 1 ? 'was' : 'were'} kept.` : ''),
} as const;
