/**
 * The numbered schema migrations both dialects implement, and the one algorithm that runs them.
 * SQLite and T-SQL scripts are keyed by these numbers (a dialect that lacks one fails before
 * anything runs), so both schemas stay in step. Dataset tables are not numbered: they are created
 * from the declarations on every `migrate` (idempotently) and recorded in `etl_datasets`.
 */
import type { DatasetTables } from './dataset-tables.js';
import { step, type Algorithm, type Step } from './sql-steps.js';

export interface SchemaMigration {
  readonly version: number;
  readonly description: string;
}

export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  { version: 1, description: 'manifest (etl_files), chunk ledger (etl_ledger), outbox (etl_outbox), dataset registry (etl_datasets)' },
  { version: 2, description: 'dead letters (etl_dead_letters)' },
  { version: 3, description: 'etl_dead_letters dropped: dead letters live in blob storage only' },
  { version: 4, description: 'etl_files.transform_rejected_rows dropped: only extract rejects rows' },
];

/** A dialect's scripts: one list of statements per migration number. */
export type MigrationScripts<Statement = string> = Readonly<Record<number, readonly Statement[]>>;

/** Throws unless `scripts` has exactly the numbered migrations; returns them in order. */
export function orderedScripts<Statement>(
  scripts: MigrationScripts<Statement>,
): { version: number; description: string; statements: readonly Statement[] }[] {
  const numbers = Object.keys(scripts)
    .map(Number)
    .sort((a, b) => a - b);
  const expected = SCHEMA_MIGRATIONS.map((migration) => migration.version);
  if (numbers.join(',') !== expected.join(',')) {
    throw new Error(`migration scripts ${numbers.join(',')} do not match the numbered migrations ${expected.join(',')}`);
  }
  return SCHEMA_MIGRATIONS.map((migration) => ({ ...migration, statements: scripts[migration.version] ?? [] }));
}

/** What a dialect runs for the migration algorithm, inside its transaction. */
export interface MigrationDialect<Statement> {
  /** The dialect's statements for each numbered migration. */
  readonly scripts: MigrationScripts<Statement>;
  /** Creates `etl_schema_version` if it is missing. */
  readonly versionTable: Statement;
  /** Serialises migrations that start at once (an app lock); absent where the transaction already does. */
  lock?(): Step<void>;
  run(statement: Statement): Step<void>;
  appliedVersions(): Step<Iterable<number>>;
  recordVersion(migration: SchemaMigration, at: Date): Step<void>;
  /** The idempotent statements that create one dataset's tables (and types, indexes). */
  datasetObjects(tables: DatasetTables): readonly Statement[];
  registerDataset(tables: DatasetTables, at: Date): Step<void>;
}

/**
 * The migration algorithm, once for both dialects; run it inside one transaction (`sql-steps.ts`):
 * the numbered migrations not yet recorded, each recorded as it runs, then every dataset's objects,
 * each dataset registered.
 */
export function* migrateInTransaction<Statement>(
  dialect: MigrationDialect<Statement>,
  tables: readonly DatasetTables[],
  at: Date,
): Algorithm<void> {
  const migrations = orderedScripts(dialect.scripts); // the numbering matches, or nothing runs
  if (dialect.lock) yield* step(dialect.lock());
  yield* step(dialect.run(dialect.versionTable));
  const applied = new Set(yield* step(dialect.appliedVersions()));
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) yield* step(dialect.run(statement));
    yield* step(dialect.recordVersion(migration, at));
  }
  for (const table of tables) {
    for (const statement of dialect.datasetObjects(table)) yield* step(dialect.run(statement));
    yield* step(dialect.registerDataset(table, at));
  }
}
