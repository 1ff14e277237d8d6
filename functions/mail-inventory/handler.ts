import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import { dynamoDbClient, s3Client, sesClient } from '#shared/aws/clients.ts';
import { parseEnvironment } from '#shared/env.ts';
import { renderImportReply, renderRefusalReply } from '#shared/mail/reply.ts';
import { messageIdOfImportReport } from '#shared/mail/report.ts';
import { createObservability } from '#shared/observability.ts';
import { mailConfigFrom, mailEnvironmentSchema } from './config.ts';
import { type MailEvent, mailEventSchema } from './events.ts';
import { receiveMail } from './receive.ts';
import { reportsWhenAllFinal } from './replies.ts';
import { sendReplyOnce } from './reply-once.ts';

const config = mailConfigFrom(parseEnvironment(mailEnvironmentSchema));
const { logger, metrics } = createObservability();

const replyOnce = (messageId: string, to: string, reply: { subject: string; text: string }) =>
  sendReplyOnce({
    dynamoDb: dynamoDbClient(),
    ses: sesClient(),
    table: config.repliesTable,
    messageId,
    from: config.recipient,
    to,
    reply,
  });

/**
 * Mail-in inventory (docs/mail.md). From SES: a message is judged and its CSV files staged
 * for the normal import. From S3: a mailed file's import report arrived; once every file of
 * its message has a final one, the sender gets one reply.
 */
async function mailInventory(event: MailEvent): Promise<void> {
  for (const record of event.Records) {
    if (record.eventSource === 'aws:ses') {
      const { report, replyNow } = await receiveMail(s3Client(), config, record);
      const log = logger.createChild({ persistentKeys: { messageId: report.messageId } });
      const summary = { status: report.status, reason: report.reason, files: report.files.length };
      metrics.addMetric(report.status === 'accepted' ? 'MailAccepted' : 'MailRefused', MetricUnit.Count, 1);
      if (report.status === 'accepted') log.info('Mail accepted: files staged for import', summary);
      else log.warn('Mail refused', { ...summary, detail: report.detail });
      if (replyNow && report.replyTo) {
        const sent = await replyOnce(report.messageId, report.replyTo, renderRefusalReply(report));
        log.info('Refusal reply', { outcome: sent });
      }
      continue;
    }
    const messageId = messageIdOfImportReport(record.s3.object.key);
    if (messageId === undefined) continue;
    const ready = await reportsWhenAllFinal(s3Client(), config.uploadsBucket, messageId);
    if (!ready?.mail.replyTo) continue;
    const reply = renderImportReply(ready.mail, ready.reports, config.importsUrl);
    const sent = await replyOnce(messageId, ready.mail.replyTo, reply);
    if (sent === 'sent') metrics.addMetric('MailRepliesSent', MetricUnit.Count, 1);
    logger.info('Import reply', { messageId, outcome: sent });
  }
}

export const handler = middy(mailInventory)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(parser({ schema: mailEventSchema }));
