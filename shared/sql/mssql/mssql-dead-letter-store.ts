/** `DeadLetterStore` on Azure SQL (`etl_dead_letters`); same behaviour as the SQLite one. */
import type { DeadLetter, DeadLetterStage, DeadLetterStore } from '../../ports/dead-letter-store.js';
import { EtlError } from '../../errors/etl-error.js';
import { isoText } from '../dataset-tables.js';
import { LIST_DEAD_LETTERS, MARK_DEAD_LETTER_REPLAYED, SELECT_DEAD_LETTER, UPSERT_DEAD_LETTER } from './mssql-statements.js';
import type { Row, TsqlSession } from './tsql-session.js';
import { deadLetterParameters } from '../dead-letter-parameters.js';

function letterFromRow(row: Row): DeadLetter {
  const text = (value: unknown) => (value == null ? null : String(value));
  return {
    id: String(row.id),
    stage: String(row.stage) as DeadLetterStage,
    source: String(row.source),
    dataset: text(row.dataset),
    fileId: text(row.file_id),
    partitionKey: text(row.partition_key),
    body: String(row.body),
    properties: JSON.parse(String(row.properties)) as DeadLetter['properties'],
    error: String(row.error),
    attempts: Number(row.attempts),
    failedAt: isoText(row.failed_at),
    replayedAt: row.replayed_at == null ? null : isoText(row.replayed_at),
  };
}

export class MssqlDeadLetterStore implements DeadLetterStore {
  constructor(private readonly session: TsqlSession) {}

  async add(letter: Omit<DeadLetter, 'replayedAt'>): Promise<void> {
    await this.session.transaction('add dead letter', (runner) =>
      runner.run(UPSERT_DEAD_LETTER, deadLetterParameters(letter)),
    );
  }

  async list(options: { stage?: DeadLetterStage; includeReplayed?: boolean; limit?: number } = {}): Promise<readonly DeadLetter[]> {
    const result = await this.session.query('list dead letters', LIST_DEAD_LETTERS, {
      limit: options.limit ?? 1000,
      stage: options.stage ?? null,
      includeReplayed: options.includeReplayed ? 1 : 0,
    });
    return result.rows.map(letterFromRow);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const row = (await this.session.query('get dead letter', SELECT_DEAD_LETTER, { id })).rows[0];
    return row ? letterFromRow(row) : undefined;
  }

  async markReplayed(id: string, at: string): Promise<void> {
    const result = await this.session.query('markReplayed', MARK_DEAD_LETTER_REPLAYED, { id, at });
    if (result.rowsAffected === 0) throw new EtlError('INTERNAL', `no dead letter with id ${id}`);
  }
}
