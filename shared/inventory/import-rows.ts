import type { RecordDelimiter } from './csv-lines.ts';
import { type CsvRecord, decodeUtf8, innerLineBreaks, readCsvRecords } from './csv-records.ts';
import { emptyFileError, InventoryWriteError } from './errors.ts';
import { KeySet, keyFingerprint } from './key-set.ts';
import { DEFAULT_FILE_LIMITS, type InventoryFileLimits } from './limits.ts';
import { guardCsv } from './ranges.ts';
import type { RowErrorLog } from './report.ts';
import { type ColumnLayout, type InventoryRow, resolveColumns, validateInventoryRow } from './rows.ts';

/** Where valid rows go: the table writer, or nothing for a dry run. */
export interface RowSink {
  /** A promise when the caller must wait (backpressure); `undefined` when it need not. */
  put(row: InventoryRow): Promise<void> | undefined;
  flush(): Promise<void>;
  drain(): Promise<void>;
  readonly rowsWritten: number;
}

export interface ImportRowsOptions {
  /** The file's bytes (already gunzipped), or a byte range of them. */
  source: AsyncIterable<Uint8Array>;
  /** The header, when `source` does not start with it (a byte range of a larger file). */
  header?: readonly string[];
  /** The file line `source` starts on (1 for a whole file). */
  firstLine?: number;
  /** The file's record delimiter, when `source` is a byte range of it (see `readCsvRecords`). */
  recordDelimiter?: RecordDelimiter;
  sink: RowSink;
  errors: RowErrorLog;
  /** Asked every few hundred rows; true stops the import cleanly (time is running out). */
  shouldStop?: () => boolean;
  /** Told the data rows read so far, every few hundred rows (a running import's progress). */
  onRows?: (rowsRead: number) => void;
  /** The header's caps (DEFAULT_FILE_LIMITS if absent). */
  limits?: HeaderLimits;
  /**
   * The set the valid rows' keys go into, to count duplicates (a new one if absent): the
   * direct import keeps it, to hand the keys it wrote to the workflow with the rest.
   */
  keys?: KeySet;
}

/** What of the file's limits applies once its bytes are gunzipped. */
export type HeaderLimits = Pick<InventoryFileLimits, 'maxColumns' | 'maxHeaderBytes'>;

export interface ImportRowsResult {
  rowsRead: number;
  rowsImported: number;
  rowsRejected: number;
  duplicates: number;
  ignoredColumns: string[];
  /** The last line read; every row up to it is in the table. */
  lastLine: number;
  /** True if `shouldStop` ended the import early. */
  stopped: boolean;
}

const STOP_CHECK_EVERY = 250;

/**
 * Streams CSV bytes into the table: decode → parse → validate → write, with backpressure
 * from the writer, so memory stays flat whatever the file size. Invalid rows are skipped
 * and logged with their line; a file-level problem throws InventoryFileRejectedError
 * before the first write only if it is in the header — run `checkInventoryFile` first to
 * catch the rest (encoding, structure) before anything is written.
 *
 * This is the unit the Step Functions path reuses for a byte range of a large file: pass
 * the range as `source`, the file's header as `header` and the range's first line.
 */
export async function importInventoryRows(options: ImportRowsOptions): Promise<ImportRowsResult> {
  const { sink, errors, shouldStop, onRows } = options;
  const limits = options.limits ?? DEFAULT_FILE_LIMITS;
  const firstLine = options.firstLine ?? 1;
  let layout: ColumnLayout | undefined = options.header
    ? resolveColumns(options.header, limits.maxColumns)
    : undefined;
  const seen = options.keys ?? new KeySet();
  let rowsRead = 0;
  let rowsRejected = 0;
  let duplicates = 0;
  let lastLine = firstLine - 1;
  let stopped = false;

  const bytes = options.header ? options.source : guardCsv(options.source, limits.maxHeaderBytes);
  const records = readCsvRecords(decodeUtf8(bytes, firstLine), firstLine, options.recordDelimiter);
  try {
    for await (const record of records) {
      if (isBlank(record)) continue;
      if (!layout) {
        layout = resolveColumns(record.fields, limits.maxColumns);
        lastLine = endLineOf(record);
        continue;
      }
      rowsRead += 1;
      const result = validateInventoryRow(record.fields, layout);
      if (result.ok) {
        const [high, low] = keyFingerprint(result.row.store, result.row.item);
        if (seen.add(high, low) !== 'new') duplicates += 1;
        // Awaited only when the writer asks for it: an `await` per row is garbage per row.
        const waiting = sink.put(result.row);
        if (waiting) await waiting;
      } else {
        rowsRejected += 1;
        errors.add(record.line, result.reason);
      }
      lastLine = endLineOf(record);
      if (rowsRead % STOP_CHECK_EVERY === 0) {
        onRows?.(rowsRead);
        if (shouldStop?.()) {
          stopped = true;
          break;
        }
      }
    }
    if (layout) await sink.flush();
  } catch (error) {
    await sink.drain();
    if (error instanceof InventoryWriteError) error.progress ??= { rowsRead, rowsRejected };
    throw error;
  }
  if (!layout) {
    throw emptyFileError();
  }
  return {
    rowsRead,
    rowsImported: sink.rowsWritten,
    rowsRejected,
    duplicates,
    ignoredColumns: layout.ignoredColumns,
    lastLine,
    stopped,
  };
}

/**
 * Counts what a file holds without writing: the pre-pass that rejects a bad file before any
 * write. A header or a record over the caps is refused once the cap's worth of bytes is read.
 */
export async function checkInventoryFile(
  source: AsyncIterable<Uint8Array>,
  shouldStop?: () => boolean,
  limits: HeaderLimits = DEFAULT_FILE_LIMITS,
): Promise<{ records: number; stopped: boolean }> {
  let header: ColumnLayout | undefined;
  let records = 0;
  for await (const record of readCsvRecords(decodeUtf8(guardCsv(source, limits.maxHeaderBytes)))) {
    if (isBlank(record)) continue;
    if (!header) {
      header = resolveColumns(record.fields, limits.maxColumns);
      continue;
    }
    records += 1;
    if (shouldStop && records % (STOP_CHECK_EVERY * 20) === 0 && shouldStop())
      return { records, stopped: true };
  }
  if (!header) {
    throw emptyFileError();
  }
  return { records, stopped: false };
}

/** A spreadsheet's empty row (`,,`) or a line of spaces: not data, not an error. */
function isBlank(record: CsvRecord): boolean {
  return record.fields.every((field) => field.trim() === '');
}

function endLineOf(record: CsvRecord): number {
  return record.line + innerLineBreaks(record.fields);
}
