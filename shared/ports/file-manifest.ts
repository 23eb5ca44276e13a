/** The manifest of one landed file: what extract saw and what transform loaded (table `etl_files`). */

export type FileState = 'extracting' | 'loading' | 'complete' | 'failed';

export interface FileManifest {
  /** Stable id of one file content at one blob path (see `fileIdFor` in the extract handler). */
  readonly fileId: string;
  readonly dataset: string;
  /** Blob path inside the landing container, e.g. `iot_events/2026/11/a.csv`. */
  readonly blobName: string;
  readonly blobEtag: string;
  readonly state: FileState;
  /** Data rows (header excluded) extract read. `total = valid + rejected`. */
  readonly totalRows: number;
  readonly validRows: number;
  /** Rows extract rejected, each written with its reason; transform rejects none (it parks whole chunks). */
  readonly rejectedRows: number;
  /** Rows transform inserted as new facts, and rows it found already loaded (by key). */
  readonly loadedRows: number;
  readonly duplicateRows: number;
  /** Chunk events extract published, and chunks transform has applied. */
  readonly chunks: number;
  readonly chunksLoaded: number;
  /** Chunks currently in the dead-letter store (rows there are neither loaded nor duplicate). */
  readonly chunksDeadLettered: number;
  readonly error: string | null;
  /** ISO timestamps of the stages. */
  readonly receivedAt: string;
  readonly extractedAt: string | null;
  readonly completedAt: string | null;
  readonly updatedAt: string;
}
