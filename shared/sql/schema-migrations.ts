/**
 * The numbered schema migrations both dialects implement. SQLite and T-SQL scripts are keyed by
 * these numbers (a test fails when one dialect lacks a step), so both schemas stay in step.
 * Dataset tables are not numbered: they are created from the declarations on every `migrate`
 * (idempotently) and recorded in `etl_datasets`.
 */
export interface SchemaMigration {
  readonly version: number;
  readonly description: string;
}

export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  { version: 1, description: 'manifest (etl_files), chunk ledger (etl_ledger), outbox (etl_outbox), dataset registry (etl_datasets)' },
  { version: 2, description: 'dead letters (etl_dead_letters)' },
];

/** A dialect's scripts: one list of statements per migration number. */
export type MigrationScripts = Readonly<Record<number, readonly string[]>>;

/** Throws unless `scripts` has exactly the numbered migrations; returns them in order. */
export function orderedScripts(scripts: MigrationScripts): { version: number; description: string; statements: readonly string[] }[] {
  const numbers = Object.keys(scripts).map(Number).sort((a, b) => a - b);
  const expected = SCHEMA_MIGRATIONS.map((migration) => migration.version);
  if (numbers.join(',') !== expected.join(',')) {
    throw new Error(`migration scripts ${numbers.join(',')} do not match the numbered migrations ${expected.join(',')}`);
  }
  return SCHEMA_MIGRATIONS.map((migration) => ({ ...migration, statements: scripts[migration.version] ?? [] }));
}
