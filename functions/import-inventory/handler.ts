import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { dynamoDbClient, s3Client, sfnClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { isFolderMarker, isInventoryFileKey } from '#shared/inventory/files.ts';
import type { ImportSource, InventoryImportReport } from '#shared/inventory/report.ts';
import { createObservability } from '#shared/observability.ts';
import {
  handOffConfigFrom,
  handOffEnvironmentSchema,
  importConfigFrom,
  importEnvironmentSchema,
} from './config.ts';
import { type DirectPart, handOffLargeImport, startLargeImport } from './hand-off.ts';
import { importInventoryObject } from './import-object.ts';
import { type ProgressStart, ProgressWriter } from './progress-writer.ts';
import { type ImportEvent, importEventSchema } from './s3-event.ts';

const config = importConfigFrom(parseEnvironment(importEnvironmentSchema));
const handOffConfig = handOffConfigFrom(parseEnvironment(handOffEnvironmentSchema));
const { logger, metrics } = createObservability();

/** Out of time, the file (or, once rows are written, its rest) goes to the workflow, when there is one. */
const { stateMachineArn } = handOffConfig;
const handOffForTime = stateMachineArn
  ? (source: ImportSource, detail: string, resume?: DirectPart) =>
      startLargeImport({
        s3: s3Client(),
        sfn: sfnClient(),
        stateMachineArn,
        uploadsBucket: config.uploadsBucket,
        source,
        reason: 'time',
        detail,
        ...(resume ? { resume } : {}),
      })
  : undefined;

/**
 * One invocation per S3 notification (normally one record), its keys already decoded by
 * the parser (s3-event.ts).
 */
async function importInventory(event: ImportEvent, context: Context): Promise<void> {
  for (const record of event.Records) {
    const { bucket, object } = record.s3;
    const log = logger.createChild({ persistentKeys: { bucket: bucket.name, key: object.key } });
    if (isFolderMarker(object.key)) {
      log.info('Folder marker ignored');
      continue;
    }
    const target = {
      bucket: bucket.name,
      key: object.key,
      ...(object.versionId ? { versionId: object.versionId } : {}),
    };
    // Too large for one invocation (or asked for): the Step Functions import takes it. A file
    // of another type goes straight to the direct path, which reports it.
    const handOff = !isInventoryFileKey(object.key)
      ? { handedOff: false as const }
      : await handOffLargeImport({
          s3: s3Client(),
          sfn: sfnClient(),
          config: handOffConfig,
          uploadsBucket: config.uploadsBucket,
          ...target,
        });
    if (handOff.handedOff) {
      metrics.addMetric('ImportsHandedOff', MetricUnit.Count, 1);
      log.info('Inventory import handed off to Step Functions', { ...handOff });
      continue;
    }
    const result = await importInventoryObject({
      s3: s3Client(),
      dynamoDb: dynamoDbClient(),
      config,
      ...target,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      ...(handOffForTime ? { handOffForTime } : {}),
      writerOverrides: {
        onRetry: ({ attempt, delayMs, unprocessed, error }) =>
          log.warn('Retrying inventory batch write', { attempt, delayMs, unprocessed, error }),
      },
      startProgress: progressWriterFor(log),
    });
    if (result.outcome === 'handed_off') {
      metrics.addMetric('ImportsHandedOff', MetricUnit.Count, 1);
      log.info('Inventory import out of time: handed off to Step Functions', { ...result.handOff });
      continue;
    }
    if (result.outcome === 'superseded') {
      log.warn('Object replaced while importing; its own notification imports the new version');
      continue;
    }
    const { report } = result;
    metrics.addMetric('RowsImported', MetricUnit.Count, report.rowsImported);
    metrics.addMetric('RowsRejected', MetricUnit.Count, report.rowsRejected);
    // One series per status: a single metric, so the dimension stays off the counts above
    // (and off the next record's).
    const imports = metrics.singleMetric();
    imports.addDimension('status', report.status);
    imports.addMetric('Imports', MetricUnit.Count, 1);
    const summary = summaryOf(report);
    if (report.reason === 'time_limit') {
      // Only without a state machine to hand off to. Not rethrown: a retry would hit the same
      // wall. The report and this error are the record.
      metrics.addMetric('ImportTimeLimitReached', MetricUnit.Count, 1);
      log.error('Inventory import stopped: the file is too large for one invocation', summary);
    } else if (result.outcome === 'write_failed') {
      log.error('Inventory import failed on a write', { ...summary, error: result.error });
      // Rethrown so Lambda's async retries, then the on-failure queue, take over.
      throw result.error;
    } else if (report.status === 'rejected') {
      log.warn('Inventory file rejected', summary);
    } else {
      log.info('Inventory imported', summary);
    }
  }
}

/** A direct import is watchable while it runs (docs/inventory.md, "Watching an import"). */
function progressWriterFor(log: Logger) {
  return (start: ProgressStart) =>
    new ProgressWriter({
      s3: s3Client(),
      uploadsBucket: config.uploadsBucket,
      ...start,
      onFailure: ({ action, progressKey, error }) =>
        log.warn(`Import progress ${action} failed; the import goes on`, { progressKey, error }),
    });
}

/** What a log line says of a report. */
function summaryOf(report: InventoryImportReport) {
  const { status, reason, detail, rowsRead, rowsImported, rowsRejected, duplicates } = report;
  return { status, reason, detail, rowsRead, rowsImported, rowsRejected, duplicates };
}

export const handler = middy(importInventory)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(parser({ schema: importEventSchema }));
