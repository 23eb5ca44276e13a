/** `OutboxStore` on Azure SQL (`etl_outbox`); the fact loader writes the rows, the relay reads them here. */
import type { OutboxMessage, OutboxStore } from '../../ports/etl-store.js';
import { isoText } from '../dataset-tables.js';
import { LIST_UNPUBLISHED, MARK_PUBLISHED } from './mssql-statements.js';
import type { TsqlSession } from './tsql-session.js';

export class MssqlOutboxStore implements OutboxStore {
  constructor(
    private readonly session: TsqlSession,
    private readonly now: () => Date,
  ) {}

  async listUnpublished(limit: number): Promise<readonly OutboxMessage[]> {
    const result = await this.session.query('listUnpublished', LIST_UNPUBLISHED, { limit });
    return result.rows.map((row) => ({
      id: String(row.id),
      destination: String(row.destination),
      partitionKey: String(row.partition_key),
      body: String(row.body),
      createdAt: isoText(row.created_at),
    }));
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.session.query('markPublished', MARK_PUBLISHED, { ids: JSON.stringify(ids), at: this.now() });
  }
}
