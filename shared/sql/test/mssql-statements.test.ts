/**
 * Azure SQL without a server: every statement the adapter can issue is generated here and checked.
 * Values only as parameters, identifiers only bracketed, the parser from npm where it copes, and a
 * reviewed snapshot of all of them (`__snapshots__/mssql-statements.sql`).
 */
import { describe, expect, it } from 'vitest';
import nodeSqlParser from 'node-sql-parser';
import { iotEventsDataset } from '../../datasets/iot-events.js';
import type { DatasetDeclaration } from '../../datasets/dataset-declaration.js';
import { datasetTables } from '../dataset-tables.js';
import { mssqlStatementCatalog } from '../mssql/mssql-statement-catalog.js';
import { tsqlTypeText } from '../mssql/tsql-types.js';
import { contractDataset, keylessDataset, timelessDataset } from './contract-fixtures.js';
import { mssqlDatasetSteps } from '../mssql/mssql-schema.js';

const compositeKeyDataset: DatasetDeclaration = {
  name: 'meter_readings',
  version: 2,
  columns: [
    { name: 'meter', type: 'string', required: true, maxLength: 40 },
    { name: 'read_at', type: 'timestamp', required: true },
    { name: 'kwh', type: 'integer', required: true },
    { name: 'estimated', type: 'boolean' },
    { name: 'region', type: 'enum', values: ['north', 'south'] },
  ],
  key: ['meter', 'read_at'],
  partitionKey: 'meter',
  eventTime: 'read_at',
  dimensions: ['region', 'estimated'],
  measures: ['kwh'],
  quantileMeasures: [],
  windowMinutes: 15,
};

const datasets = [iotEventsDataset, contractDataset('contract_events'), compositeKeyDataset, keylessDataset('real_world')];
const catalog = mssqlStatementCatalog(datasets);
const parser = new nodeSqlParser.Parser();

/**
 * The only literals statements may hold: state names, JSON paths, one error text, the keywords of
 * one dynamic DROP CONSTRAINT (its names go through QUOTENAME). None is a value.
 */
const ALLOWED_LITERALS = new Set([
  "N'extracting'",
  "N'loading'",
  "N'complete'",
  "N'failed'",
  "N''",
  "'$.id'",
  "'$.destination'",
  "'$.partitionKey'",
  "'$.body'",
  "N'schema migration lock not granted'",
  "N'ALTER TABLE '",
  "N' DROP CONSTRAINT '",
]);

const LITERAL = /N?'(?:[^']|'')*'/g;

function ourIdentifiers(): Set<string> {
  const names = new Set([
    'etl_files',
    'etl_dead_letters',
    'etl_ledger',
    'etl_outbox',
    'etl_datasets',
    'etl_schema_version',
    'file_id',
    'blob_name',
    'loaded_rows',
    'published_at',
    'dimension_key',
    'window_start',
  ]);
  for (const dataset of datasets) {
    const tables = datasetTables(dataset);
    for (const name of [dataset.name, tables.factsTable, tables.windowsTable, ...tables.factColumns.map((c) => c.name)]) names.add(name);
  }
  return names;
}

function tryParse(text: string): { ok: true; tables: string[] } | { ok: false } {
  try {
    return { ok: true, tables: parser.tableList(text, { database: 'transactsql' }) };
  } catch {
    return { ok: false };
  }
}

describe('T-SQL statements of MssqlEtlStore (generated, no server)', () => {
  it('covers every kind of statement for every dataset', () => {
    expect(catalog.length).toBeGreaterThan(50);
    for (const dataset of datasets) {
      for (const kind of ['insert_facts', 'update_window', 'insert_window', 'list_windows', 'group_by_window']) {
        expect(catalog.some((entry) => entry.name === `${dataset.name}.${kind}`)).toBe(true);
      }
    }
  });

  it('binds every value as a declared parameter and holds no other literal', () => {
    for (const { name, statement } of catalog) {
      const text = statement.text;
      const locals = new Set([...text.matchAll(/DECLARE\s+@(\w+)/g)].map((match) => match[1]));
      // sp_getapplock's own argument names are not parameters of ours.
      const used = new Set(
        [
          ...text
            .replace(LITERAL, '')
            .replace(/@(Resource|LockMode|LockOwner|LockTimeout) = /g, '')
            .matchAll(/(?<!@)@(\w+)/g),
        ]
          .map((match) => match[1] as string)
          .filter((p) => !locals.has(p)),
      );
      expect([...used].sort(), name).toEqual(Object.keys(statement.parameters).sort());
      for (const literal of text.match(LITERAL) ?? []) expect(ALLOWED_LITERALS.has(literal), `${name}: ${literal}`).toBe(true);
      // Numbers in the text are sizes and constants of the schema, never data: at most 6 digits, none with a fraction.
      expect(text.replace(LITERAL, '').match(/\b\d+\.\d+\b/g), name).toBeNull();
    }
  });

  it('quotes every identifier that comes from a declaration or the schema', () => {
    const identifiers = ourIdentifiers();
    for (const { name, statement } of catalog) {
      const bare = statement.text.replace(LITERAL, ' ').replace(/\[[a-z0-9_]+\]/g, ' ');
      const words = new Set(bare.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
      for (const identifier of identifiers) expect(words.has(identifier), `${name}: bare ${identifier}`).toBe(false);
    }
  });

  it('parses with node-sql-parser (transactsql) wherever it copes, naming only our tables', () => {
    const known = new Set([
      ...ourIdentifiers(),
      ...datasets.map((d) => `${datasetTables(d).factsTable}_rows`),
      'tables',
      'types',
      'indexes',
      'base',
      'stats',
      'spread',
      'kept',
      'openjson',
    ]);
    const parsed = catalog.filter(({ name, statement }) => {
      const result = tryParse(statement.text);
      if (!result.ok) return false;
      for (const entry of result.tables) {
        const table = entry.split('::')[2] ?? '';
        expect(known.has(table.toLowerCase()), `${name} names ${entry}`).toBe(true);
      }
      return true;
    });
    const names = parsed.map((entry) => entry.name);
    // What the parser handles today; anything else is pinned by the snapshot below.
    for (const expected of [
      'claim_ledger',
      'finish_extract',
      'chunk_loaded',
      'list_files',
      'mark_published',
      'iot_events.daily_percentile',
      'iot_events.update_window',
      'iot_events.group_by_window',
      'meter_readings.list_windows',
    ]) {
      expect(names, expected).toContain(expected);
    }
    expect(parsed.length).toBeGreaterThan(catalog.length / 2);
  });

  it('matches the reviewed snapshot of every statement', async () => {
    const text = catalog
      .map(({ name, statement }) => {
        const parameters = Object.entries(statement.parameters).map(([p, type]) => `@${p} ${tsqlTypeText(type)}`);
        const parsed = tryParse(statement.text).ok ? 'yes' : 'no (reviewed by hand)';
        return `-- ${name}\n-- parameters: ${parameters.join(', ') || 'none'}\n-- parsed by node-sql-parser: ${parsed}\n${statement.text}\nGO\n`;
      })
      .join('\n');
    await expect(text).toMatchFileSnapshot('__snapshots__/mssql-statements.sql');
  });

  it('creates the facts of a dataset without an event time with its own columns only, clustered by file', () => {
    const ddl = mssqlDatasetSteps(datasetTables(timelessDataset('products')))
      .map((step) => step.statement.text)
      .join('\n');
    const facts = /CREATE TABLE \[products_facts\] \(([\s\S]*?)\n\)/.exec(ddl)?.[1] ?? '';
    expect(facts.split(',\n').map((line) => line.trim().split(' ')[0])).toEqual([
      '[sku]',
      '[title]',
      '[price]',
      '[file_id]',
      '[row_number]',
      'CONSTRAINT',
    ]);
    // Sizes come from the declaration: maxLength 16 and 80.
    expect(facts).toContain('[sku] NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL');
    expect(facts).toContain('[title] NVARCHAR(80) NULL');
    expect(ddl).toContain('CREATE CLUSTERED INDEX [products_facts_by_file] ON [products_facts] ([file_id], [row_number])');
    expect(ddl).not.toMatch(/\[event_date\]|\[event_hour\]|CLUSTERED INDEX [^\n]*\[window_start\]/);
  });
});
