import { html, type TemplateResult } from 'lit';
import type { ExportFile } from '../../src/export/index.ts';
import { offerChecksum } from './download.ts';

/** The exported file's name, what it holds, and its checksum with a way to save it. */
export function renderResult(file: ExportFile, root: ShadowRoot): TemplateResult {
  return html`<div part="result" class="result" role="status">
    <p>
      Exported <strong>${file.fileName}</strong>: ${file.rows}
      site-days${
        file.unsentDays ? `, ${file.unsentDays} with usage the billing server never acknowledged` : ''
      }.
    </p>
    <p>SHA-256: <code>${file.sha256}</code></p>
    <button class="link" @click=${() => offerChecksum(root, file)}>Download the checksum file</button>
  </div>`;
}
