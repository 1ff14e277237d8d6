import { S3Schema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { decodeS3EventKey } from '#shared/aws/s3-event-keys.ts';

const s3Message = S3Schema.shape.Records.element.shape.s3.shape;

/**
 * The S3 notification the import receives, as far as it reads it: each record's bucket,
 * object key and version. Built from Powertools' S3 schema, keeping only those fields, so
 * a record that lacks what the import does not read (a hand-made event, the local cloud's)
 * is still accepted.
 *
 * Keys arrive URL-encoded, a space as `+` (a literal `+` as `%2B`); `key` is decoded here,
 * as the object is named in S3. A key that is not valid percent-encoding cannot come from
 * S3 and fails the parse.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export const importEventSchema = z.object({
  Records: z.array(
    z.object({
      s3: z.object({
        bucket: s3Message.bucket.pick({ name: true }),
        object: s3Message.object.pick({ key: true, versionId: true }).transform((object, context) => {
          const key = decodeS3EventKey(object.key);
          if (key === undefined) {
            context.addIssue({ code: 'custom', message: `not a URL-encoded object key: ${object.key}` });
            return z.NEVER;
          }
          return { ...object, key };
        }),
      }),
    }),
  ),
});

export type ImportEvent = z.infer<typeof importEventSchema>;
