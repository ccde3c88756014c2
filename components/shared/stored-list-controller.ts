import { css, html, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';

/**
 * `loading` until a read has answered, `ready` once one has, `failed` when the last one could not: a list
 * that was never read, or could not be, says so instead of showing its empty state.
 */
export type ListStatus = 'loading' | 'ready' | 'failed';

export interface StoredListOptions<T> {
  /** Reads the list; a rejection is the failure shown to the operator. */
  read: () => Promise<T>;
  /**
   * Reads again only the items of `keys` (sites, say) into the list last read, when the subscription names
   * them; without it every change reads the whole list.
   */
  readSome?: (keys: ReadonlySet<string>, current: T) => Promise<T>;
  /**
   * Subscribes to the changes that make what was read stale, naming the items that changed when it knows
   * them (`keys`; none: anything may have); returns the unsubscribe.
   */
  subscribe: (changed: (keys?: readonly string[]) => void) => () => void;
  /** Whether the list is read from storage at all now (default: always); an explicit `reload()` reads anyway. */
  active?: () => boolean;
  /** Names the list in console reports. */
  name: string;
}

/**
 * A list an element reads from storage and keeps live: it reads when the element connects and again when the
 * subscription says something changed. Reloads are coalesced: at most one read runs and at most one waits
 * behind it, so a burst of changes costs one read, and a change heard during a read (which may have started
 * before that change was stored) is always followed by a read that sees it; reads never answer out of order.
 */
export class StoredListController<T> implements ReactiveController {
  status: ListStatus = 'loading';
  /** What the last successful read returned; undefined unless `status` is `ready`. */
  value: T | undefined = undefined;
  /** Why the last read failed (null unless `status` is `failed`). */
  error: string | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** What the queued read must read again: some items, or all. */
  private wanted: Set<string> | 'all' = 'all';
  /** Bumped by `retry()`: a read started before it answers for a list nobody shows any more. */
  private generation = 0;
  private off: (() => void) | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: StoredListOptions<T>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.off = this.options.subscribe(this.onChange);
    if (this.isActive()) void this.reload();
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = null;
  }

  /**
   * Where the list comes from changed (another source, such as a service URL): the subscription is made again
   * and the list read anew, showing `loading` meanwhile.
   */
  resubscribe(): Promise<void> {
    if (!this.off) return this.retry();
    this.off();
    this.off = this.options.subscribe(this.onChange);
    return this.retry();
  }

  private onChange = (keys?: readonly string[]): void => {
    if (this.isActive()) void this.reload(keys);
  };

  /**
   * Reads again, keeping what is shown until the answer comes; resolves once a read begun after this call is
   * applied. With `keys` (and `readSome`), only those items are read again, unless the read that will run must
   * read everything anyway.
   */
  reload(keys?: readonly string[]): Promise<void> {
    const some = keys && this.options.readSome ? keys : null;
    if (this.queued) {
      if (!some) this.wanted = 'all';
      else if (this.wanted !== 'all') for (const k of some) this.wanted.add(k);
      return this.queued;
    }
    this.wanted = some ? new Set(some) : 'all';
    const next = (this.running ?? Promise.resolve()).then(() => {
      this.queued = null;
      const wanted = this.wanted;
      const run = this.read(wanted).finally(() => {
        if (this.running === run) this.running = null;
      });
      this.running = run;
      return run;
    });
    this.queued = next;
    return next;
  }

  /**
   * Forgets what was read and reads again, showing `loading` meanwhile: the Retry button, and a list that now
   * shows something else (another site), whose old rows must not stand in for the new ones.
   */
  retry(): Promise<void> {
    this.generation++;
    this.status = 'loading';
    this.value = undefined;
    this.error = null;
    this.host.requestUpdate();
    return this.reload();
  }

  private isActive(): boolean {
    return this.options.active?.() ?? true;
  }

  /** Never rejects: the failure becomes the status. */
  private async read(wanted: Set<string> | 'all' = 'all'): Promise<void> {
    const generation = this.generation;
    const current = this.value;
    try {
      const value =
        wanted !== 'all' && this.options.readSome && this.status === 'ready' && current !== undefined
          ? await this.options.readSome(wanted, current)
          : await this.options.read();
      if (generation !== this.generation) return;
      this.value = value;
      this.status = 'ready';
      this.error = null;
    } catch (err) {
      if (generation !== this.generation) return;
      console.error(`${this.options.name}: the list could not be read`, err);
      this.value = undefined;
      this.status = 'failed';
      this.error = describeError(err);
    }
    this.host.requestUpdate();
  }
}

/** The reason as the operator reads it: a storage error's own message (a DOMException is not always an Error). */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) {
    const { message, name } = err as { message?: unknown; name?: unknown };
    if (typeof message === 'string' && message) return message;
    if (typeof name === 'string' && name) return name;
  }
  return String(err) || 'unknown error';
}

/**
 * The failure of a list, in place of the list: what could not be read and why (as text), and a Retry button.
 * `role="alert"`, so that a list that was fine and then failed is announced.
 */
export function renderListFailure(what: string, error: string, retry: () => void): TemplateResult {
  return html`<div part="failure" class="list-failure" role="alert">
    <p><strong>${what}</strong></p>
    <p>Reason: <span part="failure-reason">${error}</span></p>
    <button part="retry-button" class="button" @click=${retry}>Retry</button>
  </div>`;
}

export const listStatusStyles = css`
  .list-failure {
    background: var(--_error-bg);
    color: var(--_error-fg);
    border: 1px solid var(--_error-accent);
    border-inline-start-width: 4px;
    border-radius: var(--_radius);
    padding: 8px 12px;
    margin-block-end: var(--_gap);
  }
  .list-failure p {
    margin: 0 0 8px;
    overflow-wrap: anywhere;
  }
  .list-loading {
    color: var(--_muted-fg);
  }
`;
