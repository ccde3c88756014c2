import { html, type TemplateResult } from 'lit';
import { CHECKSUM_ACTION, exportedText } from '../../src/core/texts.ts';
import type { ExportFile } from '../../src/export/index.ts';
import { offerChecksum } from './download.ts';

/** The exported file's name, what it holds, and its checksum with a way to save it. */
export function renderResult(file: ExportFile, root: ShadowRoot): TemplateResult {
  return html`<div part="result" class="result" role="status">
    <p>Exported <strong>${file.fileName}</strong>: ${exportedText(file)}.</p>
    <p>SHA-256: <code>${file.sha256}</code></p>
    <button class="link" @click=${() => offerChecksum(root, file)}>${CHECKSUM_ACTION}</button>
  </div>`;
}
