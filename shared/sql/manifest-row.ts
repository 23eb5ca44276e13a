/** A file's manifest from its `etl_files` row, the same in both dialects. */
import type { FileManifest, FileState } from '../ports/file-manifest.js';
import { isoText } from './dataset-tables.js';

const isoOrNull = (value: unknown): string | null => (value == null ? null : isoText(value));

/**
 * Numbers may come as numbers or (BIGINT through mssql) as text; timestamps as ISO text (SQLite) or
 * Date (mssql).
 */
export function manifestFromRow(row: Readonly<Record<string, unknown>>): FileManifest {
  const n = (name: string) => Number(row[name] ?? 0);
  return {
    fileId: String(row.file_id),
    dataset: String(row.dataset),
    blobName: String(row.blob_name),
    blobEtag: String(row.blob_etag),
    state: String(row.state) as FileState,
    totalRows: n('total_rows'),
    validRows: n('valid_rows'),
    rejectedRows: n('rejected_rows'),
    loadedRows: n('loaded_rows'),
    duplicateRows: n('duplicate_rows'),
    chunks: n('chunks'),
    chunksLoaded: n('chunks_loaded'),
    chunksDeadLettered: n('chunks_dead_lettered'),
    error: row.error == null ? null : String(row.error),
    receivedAt: isoText(row.received_at),
    extractedAt: isoOrNull(row.extracted_at),
    completedAt: isoOrNull(row.completed_at),
    updatedAt: isoText(row.updated_at),
  };
}
