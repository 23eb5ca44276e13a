/**
 * The one place that talks to the `mssql` driver: binds typed parameters, runs single statements
 * and whole transactions under the pipeline's retry policy. Everything above it works with
 * `TsqlStatement`s and plain values.
 */
import sql from 'mssql';
import { EtlError } from '../../errors/etl-error.js';
import { factRowValues, type DatasetTables } from '../dataset-tables.js';
import type { Fact } from '../../datasets/dataset-declaration.js';
import { factsRowsType } from './mssql-schema.js';
import { XACT_ABORT } from './mssql-session-statements.js';
import { withTransientRetry } from './mssql-transient-policy.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../runtime/retry.js';
import { tsqlColumnType, type TsqlStatement, type TsqlType } from './tsql-types.js';
import type { Row, TsqlRunner, TsqlSession } from './tsql-session.js';

function driverType(type: TsqlType): sql.ISqlType {
  switch (type.kind) {
    case 'nvarchar':
      return sql.NVarChar(type.length === 'max' ? sql.MAX : type.length);
    case 'bigint':
      return sql.BigInt();
    case 'int':
      return sql.Int();
    case 'float':
      return sql.Float();
    case 'bit':
      return sql.Bit();
    case 'datetime2':
      return sql.DateTime2(3);
    case 'date':
      return sql.Date();
    case 'tvp':
      return sql.TVP(type.typeName);
  }
}

/** A JS value as the driver binds it for a column type (ISO text → Date for temporal types). */
export function driverValue(type: TsqlType, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (type.kind) {
    case 'datetime2':
      return value instanceof Date ? value : new Date(String(value));
    case 'date':
      return value instanceof Date ? value : new Date(`${String(value).slice(0, 10)}T00:00:00.000Z`);
    case 'bit':
      return value === true || value === 1;
    default:
      return value;
  }
}

/** One chunk of facts as a table-valued parameter of the dataset's row type. */
export function factsTable(tables: DatasetTables, facts: readonly Fact[]): sql.Table {
  const table = new sql.Table(factsRowsType(tables));
  const types = tables.factColumns.map((column) => tsqlColumnType(column));
  tables.factColumns.forEach((column, index) => {
    table.columns.add(column.name, driverType(types[index] as TsqlType), { nullable: !column.required });
  });
  for (const fact of facts) {
    const values = factRowValues(tables, fact).map((value, index) => driverValue(types[index] as TsqlType, value));
    table.rows.add(...(values as (string | number | boolean | Date | null)[]));
  }
  return table;
}

/**
 * Declares every parameter of `statement` on `request` with its driver type and the value as the
 * driver binds it (absent values as NULL). A value for a parameter the statement does not declare
 * is a bug, not something to drop silently.
 */
export function bindParameters(request: sql.Request, statement: TsqlStatement, values: Readonly<Record<string, unknown>>): sql.Request {
  for (const name of Object.keys(values)) {
    if (!(name in statement.parameters)) throw new EtlError('INTERNAL', `value for undeclared parameter @${name}`);
  }
  for (const [name, type] of Object.entries(statement.parameters)) {
    const value = values[name];
    request.input(name, driverType(type), type.kind === 'tvp' ? value : driverValue(type, value));
  }
  return request;
}

class RequestRunner implements TsqlRunner {
  constructor(private readonly target: sql.ConnectionPool | sql.Transaction) {}

  async run(statement: TsqlStatement, values: Readonly<Record<string, unknown>> = {}) {
    const request = this.target instanceof sql.Transaction ? new sql.Request(this.target) : new sql.Request(this.target);
    bindParameters(request, statement, values);
    const result = await request.query<Row>(statement.text);
    return { rows: result.recordset ?? [], rowsAffected: result.rowsAffected.reduce((a, b) => a + b, 0) };
  }
}

export class MssqlSession implements TsqlSession {
  constructor(
    private readonly pool: sql.ConnectionPool,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  ) {}

  /** One statement outside a transaction (reads, single-row updates), retried when transient. */
  query(what: string, statement: TsqlStatement, values?: Readonly<Record<string, unknown>>) {
    return withTransientRetry(what, () => new RequestRunner(this.pool).run(statement, values), this.policy);
  }

  /** `work` inside one transaction; a transient failure rolls it back and runs `work` again from the start. */
  transaction<T>(what: string, work: (runner: TsqlRunner) => Promise<T>): Promise<T> {
    return withTransientRetry(
      what,
      async () => {
        const transaction = new sql.Transaction(this.pool);
        await transaction.begin(sql.ISOLATION_LEVEL.READ_COMMITTED);
        try {
          const runner = new RequestRunner(transaction);
          await runner.run(XACT_ABORT);
          const result = await work(runner);
          await transaction.commit();
          return result;
        } catch (error) {
          // After XACT_ABORT or a deadlock the server already rolled back; a second rollback may fail.
          await transaction.rollback().catch(() => undefined);
          throw error;
        }
      },
      this.policy,
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
