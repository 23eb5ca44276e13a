/**
 * What the Azure SQL ports need from a connection: run a statement, or run work in a transaction.
 * `MssqlSession` implements it on the `mssql` driver; the ports never see the driver.
 */
import type { TsqlStatement } from './tsql-types.js';

export type Row = Record<string, unknown>;

export interface TsqlResult {
  readonly rows: Row[];
  /** Rows affected by the statement(s), summed. */
  readonly rowsAffected: number;
}

export interface TsqlRunner {
  run(statement: TsqlStatement, values?: Readonly<Record<string, unknown>>): Promise<TsqlResult>;
}

export interface TsqlSession {
  /** One statement outside a transaction. */
  query(what: string, statement: TsqlStatement, values?: Readonly<Record<string, unknown>>): Promise<TsqlResult>;
  /** `work` inside one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(what: string, work: (runner: TsqlRunner) => Promise<T>): Promise<T>;
}
