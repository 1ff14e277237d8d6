import { createHash } from 'node:crypto';
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { isMissingSource, unquoteEtag } from '#shared/aws/s3-objects.ts';
import type { FingerprintList } from '#shared/inventory/key-set.ts';
import {
  directKeysKey,
  directPartKey,
  type LargeImportInput,
  partsPrefixFor,
  putFingerprints,
  type RangePart,
} from '#shared/inventory/large-import-input.ts';
import {
  type ImportSource,
  type InventoryImportReport,
  nothingCounted,
  putImportReport,
} from '#shared/inventory/report.ts';
import { putJsonReport } from '#shared/reports.ts';
import type { HandOffConfig } from './config.ts';

/** User metadata (`x-amz-meta-import-mode`) that sends one object to the workflow whatever its size. */
export const IMPORT_MODE_METADATA_KEY = 'import-mode';

/** Why a file went to the workflow: its size, its upload's request, or too little time left. */
export type HandOffReason = 'size' | 'metadata' | 'time';

export type HandedOff = {
  handedOff: true;
  executionArn: string;
  alreadyStarted: boolean;
  reason: HandOffReason;
  /** The workflow imports the file after this line (the direct import wrote the lines up to it). */
  restAfterLine?: number;
};
export type HandOffResult = { handedOff: false } | HandedOff;

export interface HandOffOptions {
  s3: S3Client;
  sfn: SFNClient;
  config: HandOffConfig;
  uploadsBucket: string;
  bucket: string;
  key: string;
  versionId?: string;
  now?: () => Date;
}

/**
 * Decides whether the S3-triggered import hands an object to the large-import state machine:
 * when it is larger than LARGE_IMPORT_THRESHOLD_BYTES, or its upload asked for it with
 * `x-amz-meta-import-mode: workflow`. If so, starts the execution and writes a
 * `handed_off` report naming it; the execution's final report replaces that one.
 *
 * The execution name is derived from the object (bucket, key and version or ETag), so a
 * re-delivered S3 event (delivery is at least once) cannot start a second execution: Step
 * Functions answers ExecutionAlreadyExists, and the object counts as already handed off.
 * The report is then left alone — the execution may already have written its final one.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export async function handOffLargeImport(options: HandOffOptions): Promise<HandOffResult> {
  const { s3, config, bucket, key } = options;
  if (!config.stateMachineArn) return { handedOff: false };
  let head: HeadObjectCommandOutput;
  try {
    head = await s3.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(options.versionId ? { VersionId: options.versionId } : {}),
      }),
    );
  } catch (error) {
    // The direct path reports a missing object.
    if (await isMissingSource(s3, bucket, key, error)) return { handedOff: false };
    throw error;
  }
  const size = head.ContentLength ?? 0;
  const requested = head.Metadata?.[IMPORT_MODE_METADATA_KEY]?.trim().toLowerCase() === 'workflow';
  if (!requested && size <= config.thresholdBytes) return { handedOff: false };

  const etag = unquoteEtag(head.ETag);
  const versionId = head.VersionId ?? options.versionId;
  return startLargeImport({
    ...options,
    stateMachineArn: config.stateMachineArn,
    source: { bucket, key, etag, ...(versionId ? { versionId } : {}) },
    reason: requested ? 'metadata' : 'size',
    detail: requested
      ? 'the upload asked for the Step Functions import (x-amz-meta-import-mode: workflow)'
      : `${size} bytes is over the direct import's ${config.thresholdBytes}; imported by Step Functions`,
  });
}

export interface StartLargeImportOptions {
  s3: S3Client;
  sfn: SFNClient;
  stateMachineArn: string;
  uploadsBucket: string;
  /** The object version the execution imports (its ETag pins it). */
  source: ImportSource;
  reason: HandOffReason;
  /** The `handed_off` report's detail: why the direct import let go of the file. */
  detail: string;
  /** Out of time part-way: what the direct import wrote, so the workflow imports only the rest. */
  resume?: DirectPart;
  now?: () => Date;
}

/** The rows a direct import wrote before it ran out of time: every line up to `part.lastLine`. */
export interface DirectPart {
  part: RangePart;
  /** The distinct store+item keys it wrote (fingerprints: shared/inventory/key-set.ts). */
  keys: FingerprintList;
}

/**
 * Starts the large-import execution for one object version and writes the `handed_off`
 * report naming it. With `resume`, the direct part is first written to the execution's
 * parts (`direct-<line>.json` and `.keys`) and the workflow imports the rest of the file
 * only, from the line after it, counting the direct part as its range 0: its final report
 * covers the whole file (duplicates across the boundary included). Without one, or if the
 * part cannot be written, the workflow imports the whole file; counts are absolute, so rows
 * already written are written again, identically.
 */
export async function startLargeImport(options: StartLargeImportOptions): Promise<HandedOff> {
  const { sfn, stateMachineArn, source, reason } = options;
  const pinned: LargeImportInput = {
    bucket: source.bucket,
    key: source.key,
    etag: source.etag,
    ...(source.versionId ? { versionId: source.versionId } : {}),
  };
  const name = executionNameFor(pinned);
  const resumed =
    options.resume && (await putDirectPart(options.s3, options.uploadsBucket, name, options.resume));
  const input: LargeImportInput = resumed ? { ...pinned, resume: { afterLine: resumed } } : pinned;
  let executionArn: string;
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    executionArn = started.executionArn ?? executionArnFor(stateMachineArn, name);
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') {
      return {
        handedOff: true,
        executionArn: executionArnFor(stateMachineArn, name),
        alreadyStarted: true,
        reason,
      };
    }
    throw error;
  }
  const now = (options.now ?? (() => new Date()))().toISOString();
  const report: InventoryImportReport = {
    source,
    status: 'handed_off',
    detail: reason === 'time' ? `${options.detail}; ${takenOver(resumed)}` : options.detail,
    ...nothingCounted(),
    executionArn,
    startedAt: now,
    finishedAt: now,
  };
  await putImportReport(options.s3, options.uploadsBucket, report);
  return {
    handedOff: true,
    executionArn,
    alreadyStarted: false,
    reason,
    ...(resumed ? { restAfterLine: resumed } : {}),
  };
}

/** Out of time: what the workflow takes over. */
const takenOver = (restAfterLine: number | undefined): string =>
  restAfterLine === undefined
    ? 'the whole file is imported by Step Functions'
    : `the rest, from line ${restAfterLine + 1}, is imported by Step Functions`;

/**
 * Writes the direct part under the execution's parts; returns the line it ends on, or
 * undefined when it could not be written (the workflow then imports the whole file).
 */
async function putDirectPart(
  s3: S3Client,
  bucket: string,
  executionName: string,
  { part, keys }: DirectPart,
): Promise<number | undefined> {
  const job = { partsPrefix: partsPrefixFor(executionName) };
  try {
    await putFingerprints(s3, bucket, directKeysKey(job, part.lastLine), keys);
    await putJsonReport(s3, bucket, directPartKey(job, part.lastLine), part);
    return part.lastLine;
  } catch {
    return undefined;
  }
}

/**
 * `import-<hash>`: 80 characters at most, from [A-Za-z0-9-_] as execution names require,
 * and the same for the same object version.
 */
export function executionNameFor(
  input: Pick<LargeImportInput, 'bucket' | 'key' | 'versionId' | 'etag'>,
): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([input.bucket, input.key, input.versionId ?? '', input.etag ?? '']))
    .digest('hex');
  return `import-${hash.slice(0, 48)}`;
}

/** An execution's ARN follows from its state machine's ARN and its name. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
