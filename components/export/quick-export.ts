import { DAY } from '../../src/core/time.ts';
import type { GraceView } from '../../src/core/view.ts';
import { dayKey, parseExportRange, MAX_RANGE_DAYS, type ExportFile } from '../../src/export/index.ts';
import { exportUsage } from '../../src/world/export-usage.ts';
import { fetchServiceExport, type ServiceSource } from '../../src/world/service-lists.ts';
import { openBillingDb } from '../../src/world/storage/db.ts';
import { offerDownload } from './download.ts';

export { renderResult } from './result.ts';

/**
 * The export behind the disconnection notice's button: this site, CSV, from a day before the last success
 * (or 30 days back when there was none) to today, so the whole unsent period is in the file.
 */
export async function quickExport(
  root: ShadowRoot,
  v: GraceView,
  now: number,
  service?: ServiceSource,
): Promise<ExportFile> {
  const start = Math.max(now - (MAX_RANGE_DAYS - 1) * DAY, (v.lastSuccessAt ?? now - 30 * DAY) - DAY);
  const range = parseExportRange({ from: dayKey(start), to: dayKey(now) }, now);
  if (!range.ok) throw new Error(range.error);
  if (service) {
    // A banner reading the fleet service exports what the service holds: this browser holds no usage of it.
    const file = await fetchServiceExport(service, {
      from: dayKey(start),
      to: dayKey(now),
      format: 'csv',
      siteId: v.site.id,
    });
    offerDownload(root, file.fileName, file.bytes, file.mimeType);
    return file;
  }
  const db = await openBillingDb();
  const file = await exportUsage(db, {
    siteIds: [v.site.id],
    ...(v.site.name ? { siteNames: { [v.site.id]: v.site.name } } : {}),
    range: range.value,
    format: 'csv',
    now,
  });
  offerDownload(root, file.fileName, file.bytes, file.mimeType);
  return file;
}
