/**
 * The `records` hub's event: a chunk of validated rows of one file, bound for one partition. Rows
 * travel as the CSV's trimmed text in the dataset's column order; transform types them.
 */
import { z } from 'zod';
import { EtlError } from '../errors/etl-error.js';

export const CHUNK_EVENT_TYPE = 'etl.chunk';

export interface ChunkEvent {
  readonly type: typeof CHUNK_EVENT_TYPE;
  readonly v: 1;
  readonly dataset: string;
  readonly datasetVersion: number;
  readonly fileId: string;
  readonly blobName: string;
  readonly chunkIndex: number;
  /** Data row number (1-based, header excluded) of each row. */
  readonly rowNumbers: readonly number[];
  /** Fields per row, in the dataset's column order. */
  readonly rows: readonly (readonly string[])[];
}

const envelope = z.object({
  type: z.literal(CHUNK_EVENT_TYPE),
  v: z.literal(1),
  dataset: z.string().min(1),
  datasetVersion: z.number().int(),
  fileId: z.string().min(1),
  blobName: z.string(),
  chunkIndex: z.number().int().min(0),
  rowNumbers: z.array(z.unknown()),
  rows: z.array(z.unknown()),
});

/** The ledger id of a chunk: deterministic, so a re-published chunk is recognised. */
export function chunkIdOf(fileId: string, chunkIndex: number): string {
  return `${fileId}/${chunkIndex}`;
}

/** What every chunk of one file shares: all of the event but the index and the rows. */
export type ChunkEnvelope = Pick<ChunkEvent, 'type' | 'v' | 'dataset' | 'datasetVersion' | 'fileId' | 'blobName'>;

/** Where a chunk sits in its file: enough to stamp its properties without the rows themselves. */
export interface ChunkPosition {
  readonly chunkIndex: number;
  /** Row numbers of the first and last row (0 for an empty chunk). */
  readonly firstRow: number;
  readonly lastRow: number;
  readonly rowCount: number;
}

/** Application properties stamped on every chunk event (visible to tools without parsing bodies). */
export function chunkEventProperties(event: ChunkEvent, traceParent?: string): Record<string, string | number> {
  const position = {
    chunkIndex: event.chunkIndex,
    firstRow: event.rowNumbers[0] ?? 0,
    lastRow: event.rowNumbers[event.rowNumbers.length - 1] ?? 0,
    rowCount: event.rows.length,
  };
  return chunkPositionProperties(event, position, traceParent);
}

/** The same properties as `chunkEventProperties`, for a chunk whose rows are already encoded. */
export function chunkPositionProperties(
  envelope: ChunkEnvelope,
  position: ChunkPosition,
  traceParent?: string,
): Record<string, string | number> {
  const properties: Record<string, string | number> = {
    dataset: envelope.dataset,
    schemaVersion: envelope.datasetVersion,
    fileId: envelope.fileId,
    chunkIndex: position.chunkIndex,
    firstRow: position.firstRow,
    lastRow: position.lastRow,
    rowCount: position.rowCount,
  };
  if (traceParent) properties.traceparent = traceParent;
  return properties;
}

/** What checking a chunk needs of its dataset's current declaration. */
export interface DeclaredShape {
  readonly columnCount: number;
  readonly version: number;
}

/** A chunk event whose envelope was checked, its rows not yet. */
export type ChunkEnvelopeOf = z.infer<typeof envelope>;

/** Check an incoming body has a chunk event's envelope. Throws EtlError('MALFORMED_EVENT') saying what is wrong. */
export function parseChunkEnvelope(body: unknown): ChunkEnvelopeOf {
  const result = envelope.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EtlError('MALFORMED_EVENT', `not a chunk event: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/**
 * Check an incoming body is a chunk event of a dataset's current declaration. Throws
 * EtlError('MALFORMED_EVENT') saying what is wrong, or EtlError('STALE_DATASET_VERSION') for a chunk
 * cut against another version: its rows are in that version's columns, and typing them by position
 * against the current ones would load wrong values or refuse good rows (docs/faults.md).
 */
export function parseChunkEvent(body: unknown, declared: (dataset: string) => DeclaredShape | undefined): ChunkEvent {
  return checkChunkRows(parseChunkEnvelope(body), declared);
}

/** The second half of `parseChunkEvent`: the version and the rows of an event whose envelope is checked. */
export function checkChunkRows(event: ChunkEnvelopeOf, declared: (dataset: string) => DeclaredShape | undefined): ChunkEvent {
  const declaration = declared(event.dataset);
  if (declaration === undefined) throw new EtlError('MALFORMED_EVENT', `chunk event names unknown dataset '${event.dataset}'`);
  if (event.datasetVersion !== declaration.version) {
    throw new EtlError(
      'STALE_DATASET_VERSION',
      `chunk ${chunkIdOf(event.fileId, event.chunkIndex)} was cut against version ${event.datasetVersion} of dataset '${event.dataset}', ` +
        `which is declared as version ${declaration.version} now; its rows are not typed against other columns ` +
        `(declare version ${event.datasetVersion} again and replay it, or upload the file again under a new name)`,
    );
  }
  const columns = declaration.columnCount;
  if (event.rows.length !== event.rowNumbers.length) {
    throw new EtlError('MALFORMED_EVENT', `chunk event has ${event.rows.length} rows but ${event.rowNumbers.length} row numbers`);
  }
  // A plain loop: this runs on every row and a schema library would cost more than the transform.
  for (let index = 0; index < event.rows.length; index += 1) {
    const row = event.rows[index];
    if (!Array.isArray(row) || row.length !== columns || !row.every((field) => typeof field === 'string')) {
      throw new EtlError('MALFORMED_EVENT', `chunk event row ${index} is not ${columns} text fields`);
    }
    if (!Number.isSafeInteger(event.rowNumbers[index]))
      throw new EtlError('MALFORMED_EVENT', `chunk event row number ${index} is not an integer`);
  }
  return event as ChunkEvent;
}
