// Which database: apart from db.ts so that page-load code can name it (to the shared worker) without idb.

/** The database's default name, one per origin (the page's, or the extension's). */
export const DB_NAME = 'zerto-billing';

/** The shared poller worker's name for a database (`<prefix><database>`): one worker per origin and database. */
export const WORKER_PREFIX = 'zerto-billing-poller:';

/** Which database this context uses (tests and demo stories give each their own). */
export const storageConfig = { dbName: DB_NAME };
