/** `ManifestStore` on SQLite: one row per landed file in `etl_files`. */
import type Database from 'better-sqlite3';
import type { ManifestStore } from '../../ports/etl-store.js';
import type { FileManifest, FileState } from '../../ports/file-manifest.js';
import { EtlError } from '../../errors/etl-error.js';
import { sqliteCall } from './sqlite-support.js';
import { FILE_ERROR_LENGTH, fitText } from '../fit-text.js';
import { DATASET_NAME_LENGTH } from '../../datasets/dataset-schema.js';

interface FileRow {
  file_id: string;
  dataset: string;
  blob_name: string;
  blob_etag: string;
  state: FileState;
  total_rows: number;
  valid_rows: number;
  rejected_rows: number;
  transform_rejected_rows: number;
  loaded_rows: number;
  duplicate_rows: number;
  chunks: number;
  chunks_loaded: number;
  chunks_dead_lettered: number;
  error: string | null;
  received_at: string;
  extracted_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

/**
 * Rows transform rejects are kept apart from extract's counts (`transform_rejected_rows`) because
 * extract may finish after transform: finishExtract sets its counts and must not erase them.
 */
export function manifestFromRow(row: FileRow): FileManifest {
  return {
    fileId: row.file_id,
    dataset: row.dataset,
    blobName: row.blob_name,
    blobEtag: row.blob_etag,
    state: row.state,
    totalRows: row.total_rows,
    validRows: row.valid_rows - row.transform_rejected_rows,
    rejectedRows: row.rejected_rows + row.transform_rejected_rows,
    loadedRows: row.loaded_rows,
    duplicateRows: row.duplicate_rows,
    chunks: row.chunks,
    chunksLoaded: row.chunks_loaded,
    chunksDeadLettered: row.chunks_dead_lettered,
    error: row.error,
    receivedAt: row.received_at,
    extractedAt: row.extracted_at,
    completedAt: row.completed_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteManifestStore implements ManifestStore {
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly fail: Database.Statement;
  private readonly deadLetter: Database.Statement;
  private readonly list: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO etl_files (file_id, dataset, blob_name, blob_etag, state, received_at, updated_at)
       VALUES (?, ?, ?, ?, 'extracting', ?, ?) ON CONFLICT (file_id) DO NOTHING`,
    );
    this.select = db.prepare('SELECT * FROM etl_files WHERE file_id = ?');
    this.finish = db.prepare(
      `UPDATE etl_files SET total_rows = @total, valid_rows = @valid, rejected_rows = @rejected, chunks = @chunks,
         extracted_at = @at, updated_at = @at,
         state = CASE WHEN chunks_loaded >= @chunks THEN 'complete' ELSE 'loading' END,
         completed_at = CASE WHEN chunks_loaded >= @chunks THEN COALESCE(completed_at, @at) ELSE NULL END
       WHERE file_id = @fileId`,
    );
    this.fail = db.prepare(`UPDATE etl_files SET state = 'failed', error = ?, updated_at = ? WHERE file_id = ?`);
    this.deadLetter = db.prepare(
      'UPDATE etl_files SET chunks_dead_lettered = chunks_dead_lettered + ?, updated_at = ? WHERE file_id = ?',
    );
    this.list = db.prepare(
      `SELECT * FROM etl_files WHERE (@state IS NULL OR state = @state) AND (@dataset IS NULL OR dataset = @dataset)
       ORDER BY received_at DESC, file_id LIMIT @limit`,
    );
  }

  beginFile(input: { fileId: string; dataset: string; blobName: string; blobEtag: string; receivedAt: string }) {
    return sqliteCall('beginFile', () => {
      const created = this.db.transaction(() => {
        const changes = this.insert.run(
          input.fileId, input.dataset, input.blobName, input.blobEtag, input.receivedAt, input.receivedAt,
        ).changes;
        return { created: changes === 1, manifest: manifestFromRow(this.select.get(input.fileId) as FileRow) };
      });
      return created.immediate();
    });
  }

  finishExtract(
    fileId: string,
    counts: { totalRows: number; validRows: number; rejectedRows: number; chunks: number },
    at: string,
  ): Promise<FileManifest> {
    return sqliteCall('finishExtract', () =>
      this.db
        .transaction(() => {
          this.finish.run({
            total: counts.totalRows,
            valid: counts.validRows,
            rejected: counts.rejectedRows,
            chunks: counts.chunks,
            at,
            fileId,
          });
          const row = this.select.get(fileId) as FileRow | undefined;
          if (!row) throw new EtlError('INTERNAL', `finishExtract: no manifest for file ${fileId}`);
          return manifestFromRow(row);
        })
        .immediate(),
    );
  }

  async failFile(fileId: string, error: string, at: string): Promise<void> {
    await sqliteCall('failFile', () => this.fail.run(fitText(error, FILE_ERROR_LENGTH), at, fileId));
  }

  async addDeadLetteredChunks(fileId: string, delta: number, at: string): Promise<void> {
    await sqliteCall('addDeadLetteredChunks', () => this.deadLetter.run(delta, at, fileId));
  }

  getFile(fileId: string): Promise<FileManifest | undefined> {
    return sqliteCall('getFile', () => {
      const row = this.select.get(fileId) as FileRow | undefined;
      return row ? manifestFromRow(row) : undefined;
    });
  }

  async listFiles(options: { state?: FileState; dataset?: string; limit?: number } = {}): Promise<readonly FileManifest[]> {
    // No file is recorded under a longer name (extract checks folder names), as on Azure SQL.
    if (options.dataset !== undefined && options.dataset.length > DATASET_NAME_LENGTH) return [];
    return sqliteCall('listFiles', () =>
      (
        this.list.all({ state: options.state ?? null, dataset: options.dataset ?? null, limit: options.limit ?? 1000 }) as FileRow[]
      ).map(manifestFromRow),
    );
  }
}
