import { z } from 'zod';
import { parseAllowedSenders } from '#shared/mail/policy.ts';

export const mailEnvironmentSchema = z.object({
  UPLOADS_BUCKET: z.string().min(1),
  MAIL_RECIPIENT: z.email(),
  MAIL_ALLOWED_SENDERS: z.string(),
  MAIL_MAX_FILE_BYTES: z.coerce.number().int().positive(),
  MAIL_REPLIES_TABLE: z.string().min(1),
  /** The dashboard's origin: the custom domain, else the distribution's (PUBLIC_ORIGIN locally). */
  CUSTOM_DOMAIN_NAME: z.string().default(''),
  CDN_DOMAIN_NAME: z.string().default(''),
  PUBLIC_ORIGIN: z.string().default(''),
});

export type MailConfig = ReturnType<typeof mailConfigFrom>;

export function mailConfigFrom(env: z.infer<typeof mailEnvironmentSchema>) {
  const origin = env.PUBLIC_ORIGIN || `https://${env.CUSTOM_DOMAIN_NAME || env.CDN_DOMAIN_NAME}`;
  return {
    uploadsBucket: env.UPLOADS_BUCKET,
    recipient: env.MAIL_RECIPIENT.toLowerCase(),
    allowedSenders: parseAllowedSenders(env.MAIL_ALLOWED_SENDERS),
    maxFileBytes: env.MAIL_MAX_FILE_BYTES,
    repliesTable: env.MAIL_REPLIES_TABLE,
    importsUrl: `${origin.replace(/\/$/, '')}/imports`,
  };
}
