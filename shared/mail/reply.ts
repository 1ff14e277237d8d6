import type { InventoryImportReport } from '#shared/inventory/report.ts';
import type { MailReport } from './report.ts';

/** Row errors listed per file in a reply (all are in the report the link leads to). */
export const REPLY_ERRORS_PER_FILE = 20;

/** An import report is final once it is not a hand-off to the Step Functions import. */
export function isFinalImportReport(report: InventoryImportReport): boolean {
  return report.status !== 'handed_off';
}

export interface MailReply {
  subject: string;
  text: string;
}

/** The reply once every file's import has a final report: per file, what happened to it. */
export function renderImportReply(
  mail: MailReport,
  reports: readonly InventoryImportReport[],
  importsUrl: string,
): MailReply {
  const lines = [`Stockroom received your message "${mail.subject}" with ${mail.files.length} file(s).`, ''];
  mail.files.forEach((file, index) => {
    const report = reports[index];
    if (!report) return;
    lines.push(`${file.fileName}: ${report.status}${report.reason ? ` (${report.reason})` : ''}`);
    if (report.detail) lines.push(`  ${report.detail}`);
    lines.push(`  rows imported: ${report.rowsImported}, rows rejected: ${report.rowsRejected}`);
    for (const error of report.errors.slice(0, REPLY_ERRORS_PER_FILE)) {
      lines.push(`  line ${error.line}: ${error.reason}`);
    }
    const more = report.errorsTotal - Math.min(report.errors.length, REPLY_ERRORS_PER_FILE);
    if (more > 0) lines.push(`  … and ${more} more rejected row(s)`);
    lines.push('');
  });
  lines.push(`Every import's report: ${importsUrl}`);
  return { subject: `Re: ${mail.subject}`.slice(0, 200), text: `${lines.join('\n')}\n` };
}

/** The reply to a message refused for what it carried (never for who sent it: see mayReplyTo). */
export function renderRefusalReply(mail: MailReport): MailReply {
  const text = [
    `Stockroom did not import anything from your message "${mail.subject}".`,
    '',
    `${mail.reason}: ${mail.detail ?? ''}`,
    '',
    'Attach each count as a .csv or .csv.gz file with the columns store,item,count.',
    '',
  ].join('\n');
  return { subject: `Re: ${mail.subject}`.slice(0, 200), text };
}
