/** `ManifestStore` on Azure SQL: one row per landed file in `etl_files`. */
import type { ManifestStore } from '../../ports/etl-store.js';
import type { FileManifest, FileState } from '../../ports/file-manifest.js';
import { manifestFromRow } from '../manifest-row.js';
import { EtlError } from '../../errors/etl-error.js';
import { ADD_DEAD_LETTERED, BEGIN_FILE, FAIL_FILE, FINISH_EXTRACT, LIST_FILES, SELECT_FILE, TOUCH_EXTRACTING } from './mssql-statements.js';
import type { Row, TsqlSession } from './tsql-session.js';
import { FILE_ERROR_LENGTH, fitText } from '../fit-text.js';
import { DATASET_NAME_LENGTH } from '../../datasets/dataset-schema.js';

export class MssqlManifestStore implements ManifestStore {
  constructor(private readonly session: TsqlSession) {}

  beginFile(input: { fileId: string; dataset: string; blobName: string; blobEtag: string; receivedAt: string }) {
    return this.session.transaction('beginFile', async (runner) => {
      const inserted = await runner.run(BEGIN_FILE, { ...input });
      const row = (await runner.run(SELECT_FILE, { fileId: input.fileId })).rows[0] as Row;
      return { created: inserted.rowsAffected === 1, manifest: manifestFromRow(row) };
    });
  }

  finishExtract(fileId: string, counts: { totalRows: number; validRows: number; rejectedRows: number; chunks: number }, at: string) {
    return this.session.transaction('finishExtract', async (runner) => {
      await runner.run(FINISH_EXTRACT, {
        total: counts.totalRows,
        valid: counts.validRows,
        rejected: counts.rejectedRows,
        chunks: counts.chunks,
        at,
        fileId,
      });
      const row = (await runner.run(SELECT_FILE, { fileId })).rows[0];
      if (!row) throw new EtlError('INTERNAL', `finishExtract: no manifest for file ${fileId}`);
      return manifestFromRow(row);
    });
  }

  async failFile(fileId: string, error: string, at: string): Promise<void> {
    await this.session.query('failFile', FAIL_FILE, { fileId, error: fitText(error, FILE_ERROR_LENGTH), at });
  }

  async touchExtracting(fileId: string, at: string, options: { staleBefore?: string } = {}): Promise<boolean> {
    const result = await this.session.query('touchExtracting', TOUCH_EXTRACTING, { fileId, at, staleBefore: options.staleBefore ?? null });
    return result.rowsAffected === 1;
  }

  async addDeadLetteredChunks(fileId: string, delta: number, at: string): Promise<void> {
    await this.session.query('addDeadLetteredChunks', ADD_DEAD_LETTERED, { fileId, delta, at });
  }

  async getFile(fileId: string): Promise<FileManifest | undefined> {
    const row = (await this.session.query('getFile', SELECT_FILE, { fileId })).rows[0];
    return row ? manifestFromRow(row) : undefined;
  }

  async listFiles(
    options: { state?: FileState; dataset?: string; updatedBefore?: string; limit?: number } = {},
  ): Promise<readonly FileManifest[]> {
    // No file is recorded under a longer name (extract checks folder names), and the parameter holds no more.
    if (options.dataset !== undefined && options.dataset.length > DATASET_NAME_LENGTH) return [];
    const result = await this.session.query('listFiles', LIST_FILES, {
      limit: options.limit ?? 1000,
      state: options.state ?? null,
      dataset: options.dataset ?? null,
      updatedBefore: options.updatedBefore ?? null,
    });
    return result.rows.map(manifestFromRow);
  }
}
