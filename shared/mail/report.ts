import { z } from 'zod';
import { REPORTS_PREFIX, reportKeyFor } from '#shared/reports.ts';
import { MAIL_REFUSALS } from './policy.ts';

/**
 * The record of one message, `reports/mail/<messageId>.json`: written before any file is
 * staged, so that whoever sees a file's import report finds the list of all of them.
 */
export const mailReportSchema = z.object({
  messageId: z.string(),
  receivedAt: z.string(),
  from: z.string().optional(),
  subject: z.string(),
  status: z.enum(['accepted', 'refused']),
  reason: z.enum(MAIL_REFUSALS).optional(),
  detail: z.string().optional(),
  /** Each file as mailed, and where it went for the import. */
  files: z.array(z.object({ fileName: z.string(), key: z.string(), reportKey: z.string() })),
  /** Whether the sender gets a reply (never after a refusal for SPF/DKIM/DMARC). */
  replyTo: z.string().optional(),
});
export type MailReport = z.infer<typeof mailReportSchema>;

/** SES message ids are letters and digits; anything else did not come from SES. */
const MESSAGE_ID = /^[A-Za-z0-9._-]{1,128}$/;
export const MAIL_PREFIX = 'mail/';
export const MAILED_INVENTORY_PREFIX = 'inventory/mail/';

export function isMessageId(value: string): boolean {
  return MESSAGE_ID.test(value) && value !== '.' && value !== '..';
}

export function mailReportKey(messageId: string): string {
  return `${REPORTS_PREFIX}mail/${messageId}.json`;
}

/**
 * Where a mailed file is staged for the import: `inventory/mail/<date>/<messageId>/<n>-<name>`.
 * The number keeps two attachments of the same name apart and in the message's order.
 */
export function stagedFileKey(
  receivedAt: string,
  messageId: string,
  index: number,
  safeName: string,
): string {
  return `${MAILED_INVENTORY_PREFIX}${receivedAt.slice(0, 10)}/${messageId}/${index + 1}-${safeName}`;
}

export function importReportKeyOf(stagedKey: string): string {
  return reportKeyFor('inventory', stagedKey);
}

const IMPORT_REPORT = /^reports\/inventory\/inventory\/mail\/\d{4}-\d{2}-\d{2}\/([^/]+)\/[^/]+\.json$/;

/** The message a mailed file's import report belongs to; undefined for any other key. */
export function messageIdOfImportReport(key: string): string | undefined {
  const id = IMPORT_REPORT.exec(key)?.[1];
  return id !== undefined && isMessageId(id) ? id : undefined;
}
