/**
 * Prints how landed files move through the pipeline: a line when a file appears, progress while
 * it loads, and a summary line with its row accounting when it completes or fails.
 */
import type { FileStatus, StatusService } from '../../shared/status/status-service.js';

const number = new Intl.NumberFormat('en-US');

export function describeFile(file: FileStatus): string {
  const name = file.blobName;
  switch (file.state) {
    case 'extracting':
      return `${name}: extracting…`;
    case 'loading': {
      const done = file.loadedRows + file.duplicateRows;
      const percent = file.validRows > 0 ? Math.floor((100 * done) / file.validRows) : 100;
      const waiting = file.chunksDeadLettered > 0 ? `, ${file.chunksDeadLettered} chunk(s) in dead letters` : '';
      return `${name}: loading ${number.format(done)}/${number.format(file.validRows)} valid rows (${percent}%)${waiting}`;
    }
    case 'complete':
      return (
        `${name}: complete in ${file.durationSeconds?.toFixed(1) ?? '?'} s — ${number.format(file.totalRows)} rows: ` +
        `${number.format(file.loadedRows)} loaded, ${number.format(file.duplicateRows)} duplicate, ${number.format(file.rejectedRows)} rejected` +
        (file.balanced ? '' : '  (accounting does not add up!)')
      );
    case 'failed':
      return `${name}: FAILED — ${file.error ?? 'unknown error'}`;
  }
}

export class ProgressReporter {
  private readonly lastLine = new Map<string, string>();

  constructor(
    private readonly status: StatusService,
    private readonly print: (line: string) => void,
  ) {}

  /** Print what changed since the last call; returns the current files. */
  async tick(): Promise<FileStatus[]> {
    const files = await this.status.files({ limit: 1000 });
    for (const file of [...files].reverse()) {
      const line = describeFile(file);
      if (this.lastLine.get(file.fileId) !== line) {
        this.lastLine.set(file.fileId, line);
        this.print(line);
      }
    }
    return files;
  }
}
