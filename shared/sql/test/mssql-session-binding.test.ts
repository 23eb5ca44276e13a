/** Parameter binding onto real `mssql` Request objects (no connection is needed to declare inputs). */
import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { iotEventsDataset } from '../../datasets/iot-events.js';
import { isEtlError } from '../../errors/etl-error.js';
import { datasetTables } from '../dataset-tables.js';
import { mssqlStatementCatalog } from '../mssql/mssql-statement-catalog.js';
import { bindParameters, factsTable } from '../mssql/mssql-session.js';
import { CHUNK_LOADED, LIST_FILES } from '../mssql/mssql-statements.js';
import type { TsqlType } from '../mssql/tsql-types.js';
import { eventFact } from './contract-fixtures.js';

const DRIVER_TYPE_NAMES: Record<TsqlType['kind'], string> = {
  nvarchar: 'NVarChar',
  bigint: 'BigInt',
  int: 'Int',
  float: 'Float',
  bit: 'Bit',
  datetime2: 'DateTime2',
  date: 'Date',
  tvp: 'TVP',
};

interface DeclaredInput {
  type: { name?: string };
  value: unknown;
  length?: number;
  scale?: number;
}

describe('binding T-SQL parameters onto mssql requests', () => {
  it('declares every parameter of every statement with its driver type, size and scale', () => {
    for (const { name, statement } of mssqlStatementCatalog([iotEventsDataset])) {
      const request = bindParameters(new sql.Request(), statement, {});
      const inputs = request.parameters as unknown as Record<string, DeclaredInput>;
      expect(Object.keys(inputs).sort(), name).toEqual(Object.keys(statement.parameters).sort());
      for (const [parameter, type] of Object.entries(statement.parameters)) {
        const input = inputs[parameter] as DeclaredInput;
        expect(input.type.name, `${name} @${parameter}`).toBe(DRIVER_TYPE_NAMES[type.kind]);
        if (type.kind === 'nvarchar') expect(input.length).toBe(type.length === 'max' ? sql.MAX : type.length);
        if (type.kind === 'datetime2') expect(input.scale).toBe(3);
        if (type.kind !== 'tvp') expect(input.value, `${name} @${parameter} unset is NULL`).toBeNull();
      }
    }
  });

  it('converts values as the columns expect and refuses undeclared ones', () => {
    const request = bindParameters(new sql.Request(), CHUNK_LOADED, {
      loaded: 3,
      duplicates: 1,
      at: '2026-11-20T10:00:00.000Z',
      fileId: "f'; --",
    });
    const inputs = request.parameters as unknown as Record<string, DeclaredInput>;
    expect(inputs.at?.value).toEqual(new Date('2026-11-20T10:00:00.000Z'));
    expect(inputs.fileId?.value).toBe("f'; --");
    expect(inputs.chunks?.value).toBeNull();
    let error: unknown;
    try {
      bindParameters(new sql.Request(), LIST_FILES, { limit: 10, status: 'complete' });
    } catch (caught) {
      error = caught;
    }
    expect(isEtlError(error, 'INTERNAL')).toBe(true);
  });

  it('binds a chunk as the TVP of the dataset row type', () => {
    const tables = datasetTables(iotEventsDataset);
    const fact = eventFact(iotEventsDataset, { id: 1 }, 'f', 1);
    const statement = mssqlStatementCatalog([iotEventsDataset]).find((entry) => entry.name === 'iot_events.insert_facts')?.statement;
    if (!statement) throw new Error('no insert_facts statement');
    const request = bindParameters(new sql.Request(), statement, { rows: factsTable(tables, [fact]) });
    const rows = (request.parameters as unknown as Record<string, DeclaredInput & { tvpType?: string }>).rows;
    expect(rows?.type.name).toBe('TVP');
    expect((rows?.value as sql.Table).name).toBe('iot_events_facts_rows');
    expect((rows?.value as sql.Table).rows).toHaveLength(1);
  });
});
