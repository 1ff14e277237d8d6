import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseMailedInventory, safeFileName } from '#shared/mail/message.ts';
import { judgeSender, type MailJudgement, mayReplyTo } from '#shared/mail/policy.ts';
import {
  importReportKeyOf,
  isMessageId,
  MAIL_PREFIX,
  type MailReport,
  mailReportKey,
  stagedFileKey,
} from '#shared/mail/report.ts';
import { putJsonReport } from '#shared/reports.ts';
import type { MailConfig } from './config.ts';
import type { SesRecord } from './events.ts';

/**
 * One message from SES: judged, recorded in `reports/mail/<messageId>.json`, and each of
 * its inventory files staged under `inventory/mail/…`, where the normal import takes it.
 * Returns the report; `replyNow` when the sender is told at once (a refusal of what the
 * message carried), since no import report will ever come.
 */
export async function receiveMail(
  s3: S3Client,
  config: MailConfig,
  record: SesRecord,
): Promise<{ report: MailReport; replyNow: boolean }> {
  const { mail, receipt } = record.ses;
  if (!isMessageId(mail.messageId)) throw new Error(`not an SES message id: ${mail.messageId}`);
  const raw = await s3.send(
    new GetObjectCommand({ Bucket: config.uploadsBucket, Key: `${MAIL_PREFIX}${mail.messageId}` }),
  );
  const bytes = await raw.Body?.transformToByteArray();
  if (!bytes) throw new Error(`the message ${mail.messageId} has no content`);
  const message = await parseMailedInventory(bytes, config.maxFileBytes);
  const verdicts = {
    spf: receipt.spfVerdict.status,
    dkim: receipt.dkimVerdict.status,
    dmarc: receipt.dmarcVerdict.status,
    spam: receipt.spamVerdict.status,
    virus: receipt.virusVerdict.status,
  };
  const judgement = judgeContent(judgeSender(verdicts, message.from, config.allowedSenders), message);
  const files = judgement.accepted
    ? message.files.map((file, index) => {
        const key = stagedFileKey(mail.timestamp, mail.messageId, index, safeFileName(file.fileName));
        return { fileName: file.fileName, key, reportKey: importReportKeyOf(key) };
      })
    : [];
  const report: MailReport = {
    messageId: mail.messageId,
    receivedAt: mail.timestamp,
    ...(message.from ? { from: message.from } : {}),
    subject: message.subject,
    status: judgement.accepted ? 'accepted' : 'refused',
    ...(judgement.accepted ? {} : { reason: judgement.reason, detail: judgement.detail }),
    files,
    ...(message.from && mayReplyTo(judgement) ? { replyTo: message.from } : {}),
  };
  // The record first: a file's import report may arrive before this function returns.
  await putJsonReport(s3, config.uploadsBucket, mailReportKey(mail.messageId), report);
  for (const [index, file] of files.entries()) {
    await s3.send(
      new PutObjectCommand({
        Bucket: config.uploadsBucket,
        Key: file.key,
        Body: message.files[index]?.content,
        // S3 metadata is ASCII: the sender and subject travel percent-encoded.
        Metadata: {
          'mail-from': encodeURIComponent(message.from ?? ''),
          'mail-subject': encodeURIComponent(message.subject.slice(0, 200)),
          'mail-message-id': mail.messageId,
        },
      }),
    );
  }
  return { report, replyNow: !judgement.accepted && report.replyTo !== undefined };
}

/** After the sender passed: a message without an inventory file, or with one too large. */
function judgeContent(
  judgement: MailJudgement,
  message: Awaited<ReturnType<typeof parseMailedInventory>>,
): MailJudgement {
  if (!judgement.accepted) return judgement;
  const [tooLarge] = message.oversized;
  if (tooLarge) {
    const detail = `${tooLarge.fileName} is ${tooLarge.bytes} bytes, over the limit for a mailed file.`;
    return { accepted: false, reason: 'attachment_too_large', detail };
  }
  if (message.files.length === 0) {
    const detail = 'The message has no .csv or .csv.gz attachment.';
    return { accepted: false, reason: 'no_csv_attachment', detail };
  }
  return judgement;
}
