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

/** A write failed for good (a permanent error, or retries exhausted): the import stops. */
export class InventoryWriteError extends Error {
  override name = 'InventoryWriteError';
}
