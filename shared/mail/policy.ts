/**
 * Who may mail inventory in, and what is refused. SES puts its verdicts in the receipt of
 * the Lambda action's event:
 * https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html
 */
export type VerdictStatus = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';

export interface ReceiptVerdicts {
  spf: VerdictStatus;
  dkim: VerdictStatus;
  dmarc: VerdictStatus;
  spam: VerdictStatus;
  virus: VerdictStatus;
}

export const MAIL_REFUSALS = [
  'not_authenticated',
  'spam',
  'virus',
  'sender_not_allowed',
  'no_csv_attachment',
  'attachment_too_large',
] as const;
export type MailRefusal = (typeof MAIL_REFUSALS)[number];

export type MailJudgement = { accepted: true } | { accepted: false; reason: MailRefusal; detail: string };

/**
 * `user@example.com` allows that address; `@example.com` the whole domain. Comma-separated,
 * any case.
 */
export function parseAllowedSenders(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0);
}

export function isAllowedSender(address: string | undefined, allowed: readonly string[]): boolean {
  if (!address) return false;
  const lower = address.toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@'));
  return allowed.some((entry) => (entry.startsWith('@') ? entry === domain : entry === lower));
}

/**
 * The sender first: a From that SES could not authenticate is refused before anything else
 * is looked at. Any FAIL refuses, and so does a message that neither SPF nor DKIM passed:
 * the allow-list names From addresses, and only an authenticated From can be trusted to be
 * the one written.
 */
export function judgeSender(verdicts: ReceiptVerdicts, from: string | undefined, allowed: readonly string[]) {
  const { spf, dkim, dmarc } = verdicts;
  if ([spf, dkim, dmarc].includes('FAIL') || (spf !== 'PASS' && dkim !== 'PASS')) {
    const detail = `SES could not authenticate the sender (SPF ${spf}, DKIM ${dkim}, DMARC ${dmarc}).`;
    return refused('not_authenticated', detail);
  }
  if (verdicts.virus !== 'PASS') return refused('virus', `SES's virus scan said ${verdicts.virus}.`);
  if (verdicts.spam !== 'PASS') return refused('spam', `SES's spam scan said ${verdicts.spam}.`);
  if (!isAllowedSender(from, allowed)) {
    return refused('sender_not_allowed', `${from ?? 'The sender'} is not on the list of allowed senders.`);
  }
  return { accepted: true } as const;
}

/**
 * Replies go only to senders that passed judgeSender: a reply to a forged or unlisted From
 * would be backscatter, mail to someone who never wrote.
 */
export function mayReplyTo(judgement: MailJudgement): boolean {
  return (
    judgement.accepted ||
    judgement.reason === 'no_csv_attachment' ||
    judgement.reason === 'attachment_too_large'
  );
}

function refused(reason: MailRefusal, detail: string): MailJudgement {
  return { accepted: false, reason, detail };
}
