import { LitElement } from 'lit';

/**
 * The options page's sections render into the light DOM: the page's stylesheet (options.css) styles them,
 * and labels, ids and the live regions are plain document nodes.
 */
export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}

/** A line for the page's live status (the shell announces it): bubbling `zbb-flash`, `detail` the text. */
export const FLASH_EVENT = 'zbb-flash';

export function flash(from: HTMLElement, text: string): void {
  from.dispatchEvent(new CustomEvent<string>(FLASH_EVENT, { detail: text, bubbles: true }));
}

declare global {
  interface HTMLElementEventMap {
    [FLASH_EVENT]: CustomEvent<string>;
  }
}
