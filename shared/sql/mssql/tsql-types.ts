/**
 * T-SQL types of parameters and columns, as plain data: statement generation stays pure and the
 * adapter maps these to `mssql` types when it binds values.
 */
import type { FactColumn } from '../dataset-tables.js';

export type TsqlType =
  | { readonly kind: 'nvarchar'; readonly length: number | 'max' }
  | { readonly kind: 'bigint' }
  | { readonly kind: 'int' }
  | { readonly kind: 'float' }
  | { readonly kind: 'bit' }
  | { readonly kind: 'datetime2' }
  | { readonly kind: 'date' }
  /** A table-valued parameter of a user-defined table type created by the migrations. */
  | { readonly kind: 'tvp'; readonly typeName: string };

/** One statement the adapter can issue: its text and the type of every `@parameter` in it. */
export interface TsqlStatement {
  readonly text: string;
  readonly parameters: Readonly<Record<string, TsqlType>>;
}

export const nvarchar = (length: number | 'max'): TsqlType => ({ kind: 'nvarchar', length });
export const BIGINT: TsqlType = { kind: 'bigint' };
export const INT: TsqlType = { kind: 'int' };
export const FLOAT: TsqlType = { kind: 'float' };
export const BIT: TsqlType = { kind: 'bit' };
export const DATETIME2: TsqlType = { kind: 'datetime2' };
export const DATE: TsqlType = { kind: 'date' };

/** NVARCHAR above 4000 characters must be MAX (and MAX cannot be a key). */
function textType(length: number): TsqlType {
  return nvarchar(length > 4000 ? 'max' : Math.max(1, length));
}

/** Facts column types: text as NVARCHAR of the declared length, timestamps as DATETIME2(3) (UTC). */
export function tsqlColumnType(column: FactColumn): TsqlType {
  switch (column.type) {
    case 'integer':
      return BIGINT;
    case 'number':
      return FLOAT;
    case 'boolean':
      return BIT;
    case 'timestamp':
      return DATETIME2;
    case 'date':
      return DATE;
    case 'uuid':
    case 'enum':
    case 'string':
      return textType(column.maxLength);
  }
}

export function tsqlTypeText(type: TsqlType): string {
  switch (type.kind) {
    case 'nvarchar':
      return `NVARCHAR(${type.length === 'max' ? 'MAX' : type.length})`;
    case 'bigint':
      return 'BIGINT';
    case 'int':
      return 'INT';
    case 'float':
      return 'FLOAT';
    case 'bit':
      return 'BIT';
    case 'datetime2':
      return 'DATETIME2(3)';
    case 'date':
      return 'DATE';
    case 'tvp':
      return `${type.typeName} READONLY`;
  }
}
