import type { ImportReason } from './report.ts';

/** The file cannot be imported at all (nothing was written); the report says why. */
export class InventoryFileRejectedError extends Error {
  override name = 'InventoryFileRejectedError';
  readonly reason: ImportReason;

  constructor(reason: ImportReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** The file holds no header row (nothing but blank lines, or nothing at all). */
export const emptyFileError = (): InventoryFileRejectedError =>
  new InventoryFileRejectedError('empty_file', 'the file is empty; expected a header row: store,item,count');

/** How far an import had got when a write failed for good. */
export interface ImportProgress {
  rowsRead: number;
  rowsRejected: number;
}

/** A write failed for good (a permanent error, or retries exhausted): the import stops. */
export class InventoryWriteError extends Error {
  override name = 'InventoryWriteError';
  /** Items of the failed batch that BatchWriteItem did write (all but its unprocessed ones). */
  confirmedItems = 0;
  /** Set by the import loop that met the error. */
  progress?: ImportProgress;
}
