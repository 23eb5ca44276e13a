/**
 * `DeadLetterStore` on SQLite (`etl_dead_letters`). Adding a letter with an id already there
 * replaces it and clears `replayedAt`: the event failed again after a replay.
 */
import type Database from 'better-sqlite3';
import type { DeadLetter, DeadLetterStage, DeadLetterStore } from '../../ports/dead-letter-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { sqliteCall } from './sqlite-support.js';
import { deadLetterParameters } from '../dead-letter-parameters.js';

interface DeadLetterRow {
  id: string;
  stage: DeadLetterStage;
  source: string;
  dataset: string | null;
  file_id: string | null;
  partition_key: string | null;
  body: string;
  properties: string;
  error: string;
  attempts: number;
  failed_at: string;
  replayed_at: string | null;
}

function letterFromRow(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    stage: row.stage,
    source: row.source,
    dataset: row.dataset,
    fileId: row.file_id,
    partitionKey: row.partition_key,
    body: row.body,
    properties: JSON.parse(row.properties) as DeadLetter['properties'],
    error: row.error,
    attempts: row.attempts,
    failedAt: row.failed_at,
    replayedAt: row.replayed_at,
  };
}

export class SqliteDeadLetterStore implements DeadLetterStore {
  private readonly upsert: Database.Statement;
  private readonly select: Database.Statement;
  private readonly listing: Database.Statement;
  private readonly replayed: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO etl_dead_letters (id, stage, source, dataset, file_id, partition_key, body, properties, error, attempts, failed_at, replayed_at)
       VALUES (@id, @stage, @source, @dataset, @fileId, @partitionKey, @body, @properties, @error, @attempts, @failedAt, NULL)
       ON CONFLICT (id) DO UPDATE SET stage = excluded.stage, source = excluded.source, dataset = excluded.dataset,
         file_id = excluded.file_id, partition_key = excluded.partition_key, body = excluded.body, properties = excluded.properties,
         error = excluded.error, attempts = excluded.attempts, failed_at = excluded.failed_at, replayed_at = NULL`,
    );
    this.select = db.prepare('SELECT * FROM etl_dead_letters WHERE id = ?');
    this.listing = db.prepare(
      `SELECT * FROM etl_dead_letters WHERE (@stage IS NULL OR stage = @stage) AND (@includeReplayed = 1 OR replayed_at IS NULL)
       ORDER BY failed_at, id LIMIT @limit`,
    );
    this.replayed = db.prepare('UPDATE etl_dead_letters SET replayed_at = ? WHERE id = ?');
  }

  async add(letter: Omit<DeadLetter, 'replayedAt'>): Promise<void> {
    await sqliteCall('add dead letter', () =>
      this.upsert.run(deadLetterParameters(letter)),
    );
  }

  list(options: { stage?: DeadLetterStage; includeReplayed?: boolean; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    return sqliteCall('list dead letters', () =>
      (
        this.listing.all({ stage: options.stage ?? null, includeReplayed: options.includeReplayed ? 1 : 0, limit: options.limit ?? 1000 }) as DeadLetterRow[]
      ).map(letterFromRow),
    );
  }

  get(id: string): Promise<DeadLetter | undefined> {
    return sqliteCall('get dead letter', () => {
      const row = this.select.get(id) as DeadLetterRow | undefined;
      return row ? letterFromRow(row) : undefined;
    });
  }

  async markReplayed(id: string, at: string): Promise<void> {
    const changes = await sqliteCall('markReplayed', () => this.replayed.run(at, id).changes);
    if (changes === 0) throw new EtlError('INTERNAL', `no dead letter with id ${id}`);
  }
}
