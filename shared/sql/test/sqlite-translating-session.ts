/**
 * A `TsqlSession` over SQLite for tests: it translates the T-SQL constructs the Azure SQL adapter
 * uses into SQLite and binds values the way the mssql session does, so the adapter's own code runs
 * against a real engine. Translations: [x] → "x", N'' → '', T-SQL types → SQLite's, TOP (@limit) →
 * LIMIT, lock hints dropped, BIN2 → BINARY, OPENJSON → json_each, a table-valued parameter → a temp table,
 * OUTPUT inserted.x → RETURNING x, and the UPDATE; IF @@ROWCOUNT = 0 INSERT upsert.
 * Anything else it does not know fails to prepare, loudly.
 */
import type Database from 'better-sqlite3';
import type { Table } from 'mssql';
import type { Row, TsqlResult, TsqlRunner, TsqlSession } from '../mssql/tsql-session.js';
import type { TsqlStatement, TsqlType } from '../mssql/tsql-types.js';

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
  constructor(private readonly db: Database.Database) {}

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
    for (const row of table.rows as unknown[][]) {
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
      const result = execute(first);
      if (otherwise !== undefined && result.rowsAffected === 0) return execute(otherwise);
      return result;
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
