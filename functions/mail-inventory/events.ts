import { z } from 'zod';
import { decodeS3EventKey } from '#shared/aws/s3-event-keys.ts';

/**
 * The two events this function receives. SES's Lambda action (Event invocation) carries the
 * message's metadata and SES's verdicts, not its content, which the rule's S3 action stored
 * under `mail/<messageId>` first:
 * https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html
 * S3 notifications of the mailed files' import reports tell it when to reply. Only the
 * fields read are kept.
 */
const verdict = z.object({ status: z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED']) });

const sesRecord = z.object({
  eventSource: z.literal('aws:ses'),
  ses: z.object({
    mail: z.object({ messageId: z.string(), timestamp: z.string(), source: z.string() }),
    receipt: z.object({
      recipients: z.array(z.string()),
      spfVerdict: verdict,
      dkimVerdict: verdict,
      dmarcVerdict: verdict,
      spamVerdict: verdict,
      virusVerdict: verdict,
    }),
  }),
});
export type SesRecord = z.infer<typeof sesRecord>;

const s3Record = z.object({
  eventSource: z.literal('aws:s3'),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string() }).transform((object, context) => {
      const key = decodeS3EventKey(object.key);
      if (key === undefined) {
        context.addIssue({ code: 'custom', message: `not a URL-encoded object key: ${object.key}` });
        return z.NEVER;
      }
      return { key };
    }),
  }),
});

export const mailEventSchema = z.object({ Records: z.array(z.union([sesRecord, s3Record])) });
export type MailEvent = z.infer<typeof mailEventSchema>;
