import { html, nothing, type TemplateResult } from 'lit';

export interface FieldOptions {
  /** The element id; the hint and the error take `${id}-hint`, `${id}-error`. */
  id: string;
  name: string;
  label: string;
  value: string;
  error?: string | undefined;
  hint?: string;
  type?: string;
  textarea?: boolean;
  autocomplete?: string;
  inputmode?: string;
  /** Shown while the field is empty: what an empty field stands for (a default). */
  placeholder?: string;
  onInput: (value: string) => void;
}

/** One labelled field with its hint and its message, the message tied to the field for assistive technology. */
export function field(o: FieldOptions): TemplateResult {
  const describedBy = [o.hint ? `${o.id}-hint` : '', o.error ? `${o.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const onInput = (e: Event) => o.onInput((e.target as HTMLInputElement | HTMLTextAreaElement).value);
  return html`<div class="field">
    <label for=${o.id}>${o.label}</label>
    ${
      o.textarea
        ? html`<textarea
            id=${o.id}
            name=${o.name}
            .value=${o.value}
            aria-invalid=${o.error ? 'true' : 'false'}
            aria-describedby=${describedBy || nothing}
            @input=${onInput}
          ></textarea>`
        : html`<input
            id=${o.id}
            name=${o.name}
            type=${o.type ?? 'text'}
            autocomplete=${o.autocomplete ?? 'off'}
            inputmode=${o.inputmode ?? nothing}
            placeholder=${o.placeholder ?? nothing}
            .value=${o.value}
            aria-invalid=${o.error ? 'true' : 'false'}
            aria-describedby=${describedBy || nothing}
            @input=${onInput}
          />`
    }
    ${o.hint ? html`<p class="hint" id=${`${o.id}-hint`}>${o.hint}</p>` : nothing}
    ${o.error ? html`<p class="error" id=${`${o.id}-error`}>${o.error}</p>` : nothing}
  </div>`;
}
