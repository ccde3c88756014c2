export const CHROMIUM_MISSING: string;
export function chromePath(): string;
export const CHROME_ARGS: string[];
export const FIREFOX_MISSING: string;
export function firefoxPath(): string | null;
export const FIREFOX_PREFS: Record<string, string | number | boolean>;
