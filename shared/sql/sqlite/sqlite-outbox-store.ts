/** `OutboxStore` on SQLite (`etl_outbox`); the fact loader writes the rows, the relay reads them here. */
import type Database from 'better-sqlite3';
import type { OutboxMessage, OutboxStore } from '../../ports/etl-store.js';
import type { Clock, SqliteCall } from './sqlite-support.js';
import { SQLITE_LIST_UNPUBLISHED, SQLITE_MARK_PUBLISHED } from './sqlite-statements.js';

interface OutboxRow {
  id: string;
  destination: string;
  partition_key: string;
  body: string;
  created_at: string;
}

export function outboxMessageFromRow(row: OutboxRow): OutboxMessage {
  return { id: row.id, destination: row.destination, partitionKey: row.partition_key, body: row.body, createdAt: row.created_at };
}

export class SqliteOutboxStore implements OutboxStore {
  private readonly unpublished: Database.Statement;
  private readonly publish: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly now: Clock,
    private readonly call: SqliteCall,
  ) {
    this.unpublished = db.prepare(SQLITE_LIST_UNPUBLISHED);
    this.publish = db.prepare(SQLITE_MARK_PUBLISHED);
  }

  listUnpublished(limit: number): Promise<readonly OutboxMessage[]> {
    return this.call('listUnpublished', () => (this.unpublished.all({ limit }) as OutboxRow[]).map(outboxMessageFromRow));
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.call('markPublished', () => this.publish.run({ at: this.now().toISOString(), ids: JSON.stringify(ids) }));
  }
}
