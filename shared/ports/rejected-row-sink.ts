/** Where extract writes rows it rejected. Adapter: `BlobRejectedRowSink` (NDJSON per file). */

export interface RejectedRow {
  /** 1-based data row number (header excluded); 0 for a whole-file problem. */
  readonly rowNumber: number;
  readonly raw: string;
  readonly reason: string;
}

export interface RejectedRowWriter {
  write(row: RejectedRow): Promise<void>;
  /** Finish the file; returns how many rows were written. */
  close(): Promise<number>;
}

export interface RejectedRowSink {
  /** Start (or restart, replacing an earlier attempt's) the rejected-rows file of one landed file. */
  open(file: { dataset: string; fileId: string; blobName: string }): RejectedRowWriter;
  /** Whether the rejected rows of a file are stored (a file with none has no rows file). */
  has(file: { dataset: string; fileId: string }): Promise<boolean>;
}
