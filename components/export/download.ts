import type { ExportFile } from '../../src/export/index.ts';

/** Offers bytes as a file download, from a shadow root, without touching the page's DOM for long. */
export function offerDownload(
  root: ShadowRoot | HTMLElement,
  fileName: string,
  bytes: Uint8Array | string,
  mimeType: string,
): void {
  const blob = new Blob([bytes as BlobPart], { type: mimeType });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  root.append(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function offerChecksum(root: ShadowRoot | HTMLElement, file: ExportFile): void {
  offerDownload(root, `${file.fileName}.sha256`, file.checksumLine, 'text/plain;charset=utf-8');
}
