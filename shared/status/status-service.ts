/** What the status API and the CLI report: files with their row accounting, dead letters, health. */
import type { DeadLetter, DeadLetterStore } from '../ports/dead-letter-store.js';
import type { FileManifest, FileState } from '../ports/file-manifest.js';
import type { ManifestStore } from '../ports/etl-store.js';

export interface FileStatus extends FileManifest {
  /** Rows still on their way: valid rows neither loaded nor found duplicate yet. */
  readonly pendingRows: number;
  /** Whether the row accounting adds up (it must once the file is complete). */
  readonly balanced: boolean;
  /** Seconds from arrival to completion, when complete. */
  readonly durationSeconds: number | null;
}

/**
 * Most files or dead letters one status call lists: a page, never the whole store. Above it a
 * limit is refused (400 from the status API, an error from the CLI), not cut down silently.
 */
export const MAX_LIST_LIMIT = 1000;

/**
 * A `limit` as the status API and the CLI take it: a whole number from 1 to MAX_LIST_LIMIT,
 * `fallback` when absent, else the reason it is refused. (A negative LIMIT means none at all in
 * SQLite, and Azure SQL's TOP takes an INT, so only the small whole numbers pass.)
 */
export function parseListLimit(text: string | null | undefined, fallback: number): { readonly limit: number } | { readonly error: string } {
  if (text === null || text === undefined) return { limit: fallback };
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > MAX_LIST_LIMIT) {
    return {
      error: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got '${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`,
    };
  }
  return { limit: Number(text) };
}

export function fileStatusOf(manifest: FileManifest): FileStatus {
  const pendingRows = Math.max(0, manifest.validRows - manifest.loadedRows - manifest.duplicateRows);
  const balanced =
    manifest.totalRows === manifest.validRows + manifest.rejectedRows &&
    (manifest.state !== 'complete' || manifest.validRows === manifest.loadedRows + manifest.duplicateRows);
  const durationSeconds = manifest.completedAt ? (Date.parse(manifest.completedAt) - Date.parse(manifest.receivedAt)) / 1000 : null;
  return { ...manifest, pendingRows, balanced, durationSeconds };
}

export class StatusService {
  constructor(
    private readonly manifest: ManifestStore,
    private readonly deadLetters: DeadLetterStore,
  ) {}

  async files(options: { state?: FileState; dataset?: string; limit?: number } = {}): Promise<FileStatus[]> {
    return (await this.manifest.listFiles(options)).map(fileStatusOf);
  }

  async file(fileId: string): Promise<FileStatus | undefined> {
    const manifest = await this.manifest.getFile(fileId);
    return manifest ? fileStatusOf(manifest) : undefined;
  }

  async deadLetterList(options: { includeReplayed?: boolean; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    return this.deadLetters.list(options);
  }

  /** Totals over the listed files, for a one-line summary. */
  async summary(): Promise<{
    files: number;
    byState: Record<FileState, number>;
    totalRows: number;
    validRows: number;
    rejectedRows: number;
    loadedRows: number;
    duplicateRows: number;
    deadLetters: number;
    replayedDeadLetters: number;
  }> {
    const files = await this.files({ limit: 100_000 });
    const byState: Record<FileState, number> = { extracting: 0, loading: 0, complete: 0, failed: 0 };
    let totalRows = 0;
    let validRows = 0;
    let rejectedRows = 0;
    let loadedRows = 0;
    let duplicateRows = 0;
    for (const file of files) {
      byState[file.state] += 1;
      totalRows += file.totalRows;
      validRows += file.validRows;
      rejectedRows += file.rejectedRows;
      loadedRows += file.loadedRows;
      duplicateRows += file.duplicateRows;
    }
    // Counted from one listing's names and metadata: no letter is read to count it.
    const { waiting: deadLetters, replayed: replayedDeadLetters } = await this.deadLetters.counts();
    return {
      files: files.length,
      byState,
      totalRows,
      validRows,
      rejectedRows,
      loadedRows,
      duplicateRows,
      deadLetters,
      replayedDeadLetters,
    };
  }
}
