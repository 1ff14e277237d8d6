import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isMissingSource } from '#shared/aws/s3-objects.ts';
import { type InventoryImportReport, inventoryImportReportSchema } from '#shared/inventory/report.ts';
import { isFinalImportReport } from '#shared/mail/reply.ts';
import { type MailReport, mailReportKey, mailReportSchema } from '#shared/mail/report.ts';

/**
 * Called for each import report of a mailed file: the message's record and every one of
 * its files' reports, once all are final; undefined while one is missing or handed off
 * (its final report brings this function back).
 */
export async function reportsWhenAllFinal(
  s3: S3Client,
  bucket: string,
  messageId: string,
): Promise<{ mail: MailReport; reports: InventoryImportReport[] } | undefined> {
  const mailJson = await readJson(s3, bucket, mailReportKey(messageId));
  if (mailJson === undefined) return undefined;
  const mail = mailReportSchema.parse(mailJson);
  if (mail.status !== 'accepted' || mail.replyTo === undefined) return undefined;
  const reports: InventoryImportReport[] = [];
  for (const file of mail.files) {
    const json = await readJson(s3, bucket, file.reportKey);
    if (json === undefined) return undefined;
    const report = inventoryImportReportSchema.parse(json);
    if (!isFinalImportReport(report)) return undefined;
    reports.push(report);
  }
  return { mail, reports };
}

async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await object.Body?.transformToString('utf8')) ?? '');
  } catch (error) {
    if (await isMissingSource(s3, bucket, key, error)) return undefined;
    throw error;
  }
}
