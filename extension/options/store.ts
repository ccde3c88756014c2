import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { STATUS_KEY, type WorkerStatus } from '../shared/messages.ts';
import {
  DEFAULT_SETTINGS,
  readManaged,
  readSecrets,
  readSettings,
  STORAGE_KEYS,
  type ManagedSites,
  type Secrets,
  type Settings,
} from '../shared/settings.ts';

export interface Notice {
  id: string;
  kind: string;
  at: number;
}

/** The organisation's sites as the page shows them, or why the policy could not be read. */
export interface ManagedView extends ManagedSites {
  unreadable: string | null;
}

/**
 * What every section of the options page reads: the admin's own settings and credentials
 * (chrome.storage.local), the organisation's sites (chrome.storage.managed), and what the worker last
 * applied (chrome.storage.session). Each section holds one; every change in any of them is read again and
 * the section re-rendered.
 */
export class OptionsStore implements ReactiveController {
  settings: Settings = DEFAULT_SETTINGS;
  secrets: Secrets = { sites: {} };
  status: WorkerStatus | null = null;
  managed: ManagedView = { sites: [], problems: [], unreadable: null };
  clockOffsetMs = 0;
  notices: Notice[] = [];
  loaded = false;
  /** Bumped on each read, so that a section can tell a new read from a re-render. */
  version = 0;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    chrome.storage.onChanged.addListener(this.onChanged);
    chrome.permissions.onAdded.addListener(this.onPermissions);
    chrome.permissions.onRemoved.addListener(this.onPermissions);
    void this.load();
  }

  hostDisconnected(): void {
    chrome.storage.onChanged.removeListener(this.onChanged);
    chrome.permissions.onAdded.removeListener(this.onPermissions);
    chrome.permissions.onRemoved.removeListener(this.onPermissions);
  }

  async write(items: Record<string, unknown>): Promise<void> {
    await chrome.storage.local.set(items);
  }

  /** Every site id in use, the organisation's included (a new site cannot take one). */
  allIds(): string[] {
    return [...this.managed.sites, ...this.settings.sites].map((s) => s.siteId);
  }

  private onChanged = (changes: Record<string, chrome.storage.StorageChange>, area: string): void => {
    if (area === 'session' && changes[STATUS_KEY]) {
      this.status = (changes[STATUS_KEY].newValue as WorkerStatus | undefined) ?? null;
      this.host.requestUpdate();
    }
    if (area === 'local' || area === 'managed') void this.load();
  };

  private onPermissions = (): void => {
    this.version++;
    this.host.requestUpdate();
  };

  private async load(): Promise<void> {
    const [got, session, managed] = await Promise.all([
      chrome.storage.local.get(null),
      chrome.storage.session.get(STATUS_KEY),
      readManagedView(),
    ]);
    this.settings = readSettings(got[STORAGE_KEYS.settings]).settings;
    this.secrets = readSecrets(got[STORAGE_KEYS.secrets]);
    const offset = got[STORAGE_KEYS.clockOffset];
    this.clockOffsetMs = typeof offset === 'number' && Number.isFinite(offset) ? offset : 0;
    const log = got[STORAGE_KEYS.noticeLog];
    this.notices = Array.isArray(log) ? (log as Notice[]) : [];
    this.status = (session[STATUS_KEY] as WorkerStatus | undefined) ?? null;
    this.managed = managed;
    this.loaded = true;
    this.version++;
    this.host.requestUpdate();
  }
}

async function readManagedView(): Promise<ManagedView> {
  try {
    return { ...readManaged(await chrome.storage.managed.get(null)), unreadable: null };
  } catch (err) {
    return {
      sites: [],
      problems: [],
      unreadable: err instanceof Error ? err.message : String(err),
    };
  }
}
