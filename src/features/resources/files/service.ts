import type { Deps } from '../../../deps.js';
import { countDownload, StoredContentsMissing } from './queries.js';
import type { ReceivedFile } from './received-file.js';

/**
 * Stores received files, then runs `work` (the transaction that attaches them with insertFiles
 * or replaceFile). Storing comes first and outside any transaction, in short statements, so a
 * big file never holds a transaction open. The contents are claimed throughout, and released
 * after: those no file names and no other request holds are forgotten, so a transaction that
 * failed or attached nothing leaves no orphaned chunk. `work` runs a second time, once the files
 * are stored again, when a request in another process forgot them before it attached them.
 */
export async function withStoredFiles<T>(deps: Pick<Deps, 'fileStore'>, files: readonly ReceivedFile[], work: () => Promise<T>): Promise<T> {
  const keys = [...new Set(files.map((file) => file.sha256))];
  const store = async () => {
    for (const file of files) await deps.fileStore.put(file.sha256, { path: file.tempPath, byteSize: file.byteSize });
  };
  for (const key of keys) deps.fileStore.claim(key);
  try {
    await store();
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof StoredContentsMissing)) throw error;
      await store();
      return await work();
    }
  } finally {
    for (const key of keys) await deps.fileStore.release(key);
  }
}

/** The day a download counts on, in the site's time zone (YYYY-MM-DD). */
export function downloadDay(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export async function recordDownload(deps: Pick<Deps, 'db' | 'settings' | 'now'>, fileId: number, memberId: number): Promise<void> {
  await countDownload(deps.db, fileId, memberId, downloadDay(deps.now(), deps.settings.current.TIME_ZONE));
}
