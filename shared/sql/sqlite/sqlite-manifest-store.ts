/** `ManifestStore` on SQLite: one row per landed file in `etl_files`. */
import type Database from 'better-sqlite3';
import type { ManifestStore } from '../../ports/etl-store.js';
import type { FileManifest, FileState } from '../../ports/file-manifest.js';
import { manifestFromRow } from '../manifest-row.js';
import { EtlError } from '../../errors/etl-error.js';
import type { SqliteCall } from './sqlite-support.js';
import { FILE_ERROR_LENGTH, fitText } from '../fit-text.js';
import { DATASET_NAME_LENGTH } from '../../datasets/dataset-schema.js';
import {
  SQLITE_ADD_DEAD_LETTERED,
  SQLITE_BEGIN_FILE,
  SQLITE_FAIL_FILE,
  SQLITE_FINISH_EXTRACT,
  SQLITE_LIST_FILES,
  SQLITE_SELECT_FILE,
  SQLITE_TOUCH_EXTRACTING,
} from './sqlite-statements.js';

type FileRow = Record<string, unknown>;

export class SqliteManifestStore implements ManifestStore {
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly fail: Database.Statement;
  private readonly touch: Database.Statement;
  private readonly deadLetter: Database.Statement;
  private readonly list: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly call: SqliteCall,
  ) {
    this.insert = db.prepare(SQLITE_BEGIN_FILE);
    this.select = db.prepare(SQLITE_SELECT_FILE);
    this.finish = db.prepare(SQLITE_FINISH_EXTRACT);
    this.fail = db.prepare(SQLITE_FAIL_FILE);
    this.touch = db.prepare(SQLITE_TOUCH_EXTRACTING);
    this.deadLetter = db.prepare(SQLITE_ADD_DEAD_LETTERED);
    this.list = db.prepare(SQLITE_LIST_FILES);
  }

  beginFile(input: { fileId: string; dataset: string; blobName: string; blobEtag: string; receivedAt: string }) {
    return this.call('beginFile', () => {
      const created = this.db.transaction(() => {
        const changes = this.insert.run(input).changes;
        return { created: changes === 1, manifest: manifestFromRow(this.select.get({ fileId: input.fileId }) as FileRow) };
      });
      return created.immediate();
    });
  }

  finishExtract(
    fileId: string,
    counts: { totalRows: number; validRows: number; rejectedRows: number; chunks: number },
    at: string,
  ): Promise<FileManifest> {
    return this.call('finishExtract', () =>
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
          const row = this.select.get({ fileId }) as FileRow | undefined;
          if (!row) throw new EtlError('INTERNAL', `finishExtract: no manifest for file ${fileId}`);
          return manifestFromRow(row);
        })
        .immediate(),
    );
  }

  async failFile(fileId: string, error: string, at: string): Promise<void> {
    await this.call('failFile', () => this.fail.run({ error: fitText(error, FILE_ERROR_LENGTH), at, fileId }));
  }

  touchExtracting(fileId: string, at: string, options: { staleBefore?: string } = {}): Promise<boolean> {
    return this.call('touchExtracting', () => this.touch.run({ fileId, at, staleBefore: options.staleBefore ?? null }).changes === 1);
  }

  async addDeadLetteredChunks(fileId: string, delta: number, at: string): Promise<void> {
    await this.call('addDeadLetteredChunks', () => this.deadLetter.run({ delta, at, fileId }));
  }

  getFile(fileId: string): Promise<FileManifest | undefined> {
    return this.call('getFile', () => {
      const row = this.select.get({ fileId }) as FileRow | undefined;
      return row ? manifestFromRow(row) : undefined;
    });
  }

  async listFiles(
    options: { state?: FileState; dataset?: string; updatedBefore?: string; limit?: number } = {},
  ): Promise<readonly FileManifest[]> {
    // No file is recorded under a longer name (extract checks folder names), as on Azure SQL.
    if (options.dataset !== undefined && options.dataset.length > DATASET_NAME_LENGTH) return [];
    return this.call('listFiles', () =>
      (
        this.list.all({
          state: options.state ?? null,
          dataset: options.dataset ?? null,
          updatedBefore: options.updatedBefore ?? null,
          limit: options.limit ?? 1000,
        }) as FileRow[]
      ).map(manifestFromRow),
    );
  }
}
