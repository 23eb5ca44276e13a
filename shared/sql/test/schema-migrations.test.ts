/** Both dialects implement the same numbered migrations, and migrating SQLite twice records each once. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_MIGRATIONS, orderedScripts } from '../schema-migrations.js';
import { SQLITE_MIGRATIONS } from '../sqlite/sqlite-schema.js';
import { MSSQL_MIGRATIONS } from '../mssql/mssql-schema.js';
import { SqliteEtlStore } from '../sqlite/sqlite-etl-store.js';
import { runMigrations } from '../migrate-command.js';
import { contractDataset } from './contract-fixtures.js';

describe('schema migrations', () => {
  it('has the same numbered steps in SQLite and T-SQL', () => {
    const numbers = SCHEMA_MIGRATIONS.map((migration) => migration.version);
    expect(orderedScripts(SQLITE_MIGRATIONS).map((m) => m.version)).toEqual(numbers);
    expect(orderedScripts(MSSQL_MIGRATIONS).map((m) => m.version)).toEqual(numbers);
    expect(() => orderedScripts({ ...SQLITE_MIGRATIONS, 99: [] })).toThrow(/do not match/);
  });

  it('records each SQLite migration once however often it runs, through the migrate command', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'etl-migrate-')), 'etl.sqlite');
    const datasets = [contractDataset('first'), contractDataset('second')];
    expect(await runMigrations({ driver: 'sqlite', path }, datasets)).toEqual({ datasets: ['first', 'second'] });
    await runMigrations({ driver: 'sqlite', path }, datasets);
    const store = await SqliteEtlStore.open(path);
    try {
      expect(await store.schemaVersions()).toEqual(SCHEMA_MIGRATIONS.map((migration) => migration.version));
      expect(await store.query.countFacts(datasets[1] ?? datasets[0]!)).toBe(0);
    } finally {
      await store.close();
    }
  });
});
