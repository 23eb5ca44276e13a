/**
 * A `TsqlSession` over SQLite for tests: it translates the T-SQL constructs the Azure SQL adapter
 * uses into SQLite and binds values the way the mssql session does, so the adapter's own code runs
 * against a real engine. Translations: [x] → "x", N'' → '', T-SQL types → SQLite's, TOP (@limit) →
 * LIMIT, lock hints dropped, BIN2 → BINARY, OPENJSON → json_each, a table-valued parameter → a temp table,
 * OUTPUT inserted.x → RETURNING x, and the UPDATE; IF @@ROWCOUNT = 0 INSERT upsert.
 * Anything else it does not know fails to prepare, loudly.
 *
 * SQLite stores text of any length, so the session enforces what Azure SQL would: a string
 * parameter, table-valued parameter cell or OPENJSON column longer than its declared NVARCHAR size
 * is refused, and so is a write that leaves a value longer than its column's size in the T-SQL DDL
 * (`learnTsqlSchema`), the statement undone as SQL Server undoes it (error 2628).
 */
import type Database from 'better-sqlite3';
import type { Table } from 'mssql';
import type { Row, TsqlResult, TsqlRunner, TsqlSession } from '../mssql/tsql-session.js';
import type { TsqlStatement, TsqlType } from '../mssql/tsql-types.js';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import { datasetTables } from '../dataset-tables.js';
import { MSSQL_MIGRATION_STEPS, mssqlDatasetSteps } from '../mssql/mssql-schema.js';

/** A string longer than a declared NVARCHAR(n), as SQL Server or the driver would refuse it. */
class TooLongForSqlServer extends Error {}

const tooLong = (where: string, size: number, value: string) =>
  new TooLongForSqlServer(`${where}: a value of ${value.length} characters does not fit NVARCHAR(${size}) (Azure SQL refuses it)`);

/** The sizes of `OPENJSON … WITH` columns (`"c" NVARCHAR(n) '$.path'`), checked before translation. */
function checkOpenJsonSizes(sql: string, bound: Readonly<Record<string, unknown>>): void {
  for (const [, parameter, columns] of sql.matchAll(/OPENJSON\(@(\w+)\) WITH \(([^)]*(?:\([^)]*\)[^)]*)*)\)/g)) {
    const items = JSON.parse(String(bound[parameter as string] ?? '[]')) as Record<string, unknown>[];
    for (const column of (columns as string).split(/,\s*(?=\[)/)) {
      const [, name, size, path] = /^\[([a-z0-9_]+)\] NVARCHAR\((\d+)\) '\$\.(\w+)'$/.exec(column.trim()) ?? [];
      if (!name || !size || !path) continue;
      for (const item of items) {
        const value = item[path];
        if (typeof value === 'string' && value.length > Number(size)) throw tooLong(`OPENJSON column ${name}`, Number(size), value);
      }
    }
  }
}

/** `OPENJSON(@p) WITH ("c" TEXT '$.path', …) AS m` → a json_each subquery with those columns. */
function openJsonWith(sql: string): string {
  return sql.replace(/OPENJSON\(@(\w+)\) WITH \(([^)]*)\) AS (\w+)/g, (_match, parameter: string, columns: string, alias: string) => {
    const selected = columns.split(/,\s*/).map((column) => {
      const [, name, path] = /^("[a-z0-9_]+") \w+ '([^']+)'$/.exec(column.trim()) ?? [];
      if (!name || !path) throw new Error(`cannot translate OPENJSON column ${column}`);
      return `json_extract(value, '${path}') AS ${name}`;
    });
    return `(SELECT ${selected.join(', ')} FROM json_each(@${parameter})) AS ${alias}`;
  });
}

/** Text column sizes per table from T-SQL `CREATE TABLE` statements (`[column] NVARCHAR(n)` lines). */
export function tsqlTextColumnSizes(ddl: readonly string[]): Map<string, Map<string, number>> {
  const tables = new Map<string, Map<string, number>>();
  for (const text of ddl) {
    const table = /CREATE TABLE \[([a-z0-9_]+)\] \(/.exec(text)?.[1];
    if (!table) continue;
    const sizes = new Map<string, number>();
    for (const [, column, size] of text.matchAll(/^\s*\[([a-z0-9_]+)\] NVARCHAR\((\d+)\)/gm)) sizes.set(column as string, Number(size));
    tables.set(table, sizes);
  }
  return tables;
}

export function translate(text: string): string[] {
  let sql = text
    .replace(/\[([a-z0-9_]+)\]/g, '"$1"')
    .replace(/N'/g, "'")
    .replace(/NVARCHAR\((\d+|MAX)\)/g, 'TEXT')
    .replace(/\bFLOAT\b/g, 'REAL')
    .replace(/COUNT_BIG\(/g, 'COUNT(')
    .replace(/ WITH \(UPDLOCK, HOLDLOCK\)/g, '')
    .replace(/COLLATE Latin1_General_100_BIN2/g, 'COLLATE BINARY');
  sql = openJsonWith(sql).replace(/OPENJSON\(@(\w+)\)/g, 'json_each(@$1)');
  const output = /\nOUTPUT ((?:inserted\."[a-z0-9_]+"(?:, )?)+)\n/.exec(sql);
  if (output) sql = `${sql.replace(output[0], '\n')}\nRETURNING ${(output[1] as string).replace(/inserted\./g, '')}`;
  if (/SELECT TOP \(@limit\) /.test(sql)) sql = `${sql.replace('SELECT TOP (@limit) ', 'SELECT ')}\nLIMIT @limit`;
  // The T-SQL upsert: UPDATE; IF @@ROWCOUNT = 0 INSERT. Split, and run the INSERT only when nothing was updated.
  return sql.split(/;\s*IF @@ROWCOUNT = 0\s*/);
}

function bind(type: TsqlType, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (type.kind === 'datetime2') return (value instanceof Date ? value : new Date(String(value))).toISOString();
  if (type.kind === 'date') return (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);
  if (type.kind === 'bit' || typeof value === 'boolean') return value === true || value === 1 ? 1 : 0;
  return value;
}

export class SqliteTranslatingSession implements TsqlSession {
  /** Every statement text the adapter issued, in order. */
  readonly issued: string[] = [];
  /** Table → text column → NVARCHAR size, as the T-SQL DDL declares them. */
  private readonly columnSizes = new Map<string, Map<string, number>>();
  constructor(private readonly db: Database.Database) {}

  /** Takes the text column sizes of the T-SQL DDL the Azure SQL migrations would run for these datasets. */
  learnTsqlSchema(datasets: readonly DatasetDeclaration[]): void {
    const ddl = [
      ...Object.values(MSSQL_MIGRATION_STEPS).flat(),
      ...datasets.flatMap((dataset) => mssqlDatasetSteps(datasetTables(dataset))),
    ];
    for (const [table, sizes] of tsqlTextColumnSizes(ddl.map((step) => step.statement.text))) this.columnSizes.set(table, sizes);
  }

  /** After a write: no value of a written table may be longer than its T-SQL column. */
  private checkWrittenColumns(text: string): void {
    const tables = new Set([...text.matchAll(/(?:INSERT INTO|UPDATE) \[([a-z0-9_]+)\]/g)].map((match) => match[1] as string));
    for (const table of tables) {
      for (const [column, size] of this.columnSizes.get(table) ?? []) {
        // UTF-8 bytes are at least the UTF-16 code units NVARCHAR counts: only longer ones are measured.
        const rows = this.db
          .prepare(`SELECT "${column}" AS value FROM "${table}" WHERE length(CAST("${column}" AS BLOB)) > ${size}`)
          .all() as { value: unknown }[];
        for (const { value } of rows) {
          if (typeof value === 'string' && value.length > size) {
            throw new TooLongForSqlServer(
              `String or binary data would be truncated in table '${table}', column '${column}' (NVARCHAR(${size}), a value of ${value.length} characters)`,
            );
          }
        }
      }
    }
  }

  /**
   * Result columns typed like the table-valued parameter's columns come back as tedious returns
   * them: DATETIME2/DATE as Date, BIT as boolean, BIGINT as a string.
   */
  private asDriverReturns(rows: Row[], table: Table | undefined): Row[] {
    if (!table) return rows;
    const types = new Map(table.columns.map((column) => [column.name, (column.type as { name?: string } | undefined)?.name]));
    return rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([name, value]) => {
          if (value === null) return [name, value];
          switch (types.get(name)) {
            case 'DateTime2':
              return [name, new Date(String(value))];
            case 'Date':
              return [name, new Date(`${String(value)}T00:00:00.000Z`)];
            case 'Bit':
              return [name, value === 1];
            case 'BigInt':
              return [name, String(value)];
            default:
              return [name, value];
          }
        }),
      ),
    );
  }

  /** A table-valued parameter becomes a temp table holding the rows the driver would have sent. */
  private loadTableParameter(name: string, table: Table): string {
    const temp = `tvp_${name}`;
    const columns = table.columns.map((column) => `"${column.name}"`);
    this.db.exec(`DROP TABLE IF EXISTS temp."${temp}"; CREATE TEMP TABLE "${temp}" (${columns.join(', ')})`);
    const insert = this.db.prepare(`INSERT INTO temp."${temp}" VALUES (${columns.map(() => '?').join(', ')})`);
    const sizes = table.columns.map((column) => {
      const { type, length } = column as unknown as { type?: { name?: string }; length?: number };
      return type?.name === 'NVarChar' && length !== undefined && length < 65535 ? length : undefined; // 65535: NVARCHAR(MAX)
    });
    for (const row of table.rows as unknown[][]) {
      row.forEach((value, index) => {
        const size = sizes[index];
        if (size !== undefined && typeof value === 'string' && value.length > size)
          throw tooLong(`table-valued parameter column ${table.columns[index]?.name}`, size, value);
      });
      insert.run(
        row.map((value, index) => {
          const typeName = (table.columns[index]?.type as { name?: string } | undefined)?.name;
          if (value instanceof Date) return typeName === 'Date' ? value.toISOString().slice(0, 10) : value.toISOString();
          return typeof value === 'boolean' ? Number(value) : (value as string | number | null);
        }),
      );
    }
    return `temp."${temp}"`;
  }

  private readonly runner: TsqlRunner = {
    run: async (statement: TsqlStatement, values: Readonly<Record<string, unknown>> = {}): Promise<TsqlResult> => {
      for (const name of Object.keys(values)) if (!(name in statement.parameters)) throw new Error(`undeclared parameter @${name}`);
      for (const [name, type] of Object.entries(statement.parameters)) {
        const value = values[name];
        if (type.kind === 'nvarchar' && type.length !== 'max' && typeof value === 'string' && value.length > type.length)
          throw tooLong(`parameter @${name}`, type.length, value);
      }
      this.issued.push(statement.text);
      const [translated, otherwise] = translate(statement.text);
      let first = translated as string;
      const bound: Record<string, unknown> = {};
      let tableParameter: Table | undefined;
      for (const [name, type] of Object.entries(statement.parameters)) {
        if (type.kind === 'tvp') {
          tableParameter = values[name] as Table;
          first = first.replace(new RegExp(`@${name}\\b`, 'g'), this.loadTableParameter(name, tableParameter));
        } else {
          bound[name] = bind(type, values[name]);
        }
      }
      const execute = (sql: string): TsqlResult => {
        const prepared = this.db.prepare(sql);
        const used = Object.fromEntries(Object.entries(bound).filter(([name]) => new RegExp(`@${name}\\b`).test(sql)));
        if (prepared.reader) {
          const rows = this.asDriverReturns(prepared.all(used) as Row[], tableParameter);
          return { rows, rowsAffected: /\bRETURNING\b/.test(sql) ? rows.length : 0 };
        }
        return { rows: [], rowsAffected: prepared.run(used).changes };
      };
      checkOpenJsonSizes(statement.text, bound);
      // One statement is atomic: a value too long for its column undoes all of it.
      this.db.exec('SAVEPOINT tsql_statement');
      try {
        let result = execute(first);
        if (otherwise !== undefined && result.rowsAffected === 0) result = execute(otherwise);
        this.checkWrittenColumns(statement.text);
        this.db.exec('RELEASE tsql_statement');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK TO tsql_statement');
        this.db.exec('RELEASE tsql_statement');
        throw error;
      }
    },
  };

  query(_what: string, statement: TsqlStatement, values?: Readonly<Record<string, unknown>>) {
    return this.runner.run(statement, values);
  }

  async transaction<T>(_what: string, work: (runner: TsqlRunner) => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(this.runner);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }
}
